package events_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/outboxevent"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Two instances on one database with shared events: a subscriber on B hears every event of a
// write committed through A, exactly once, the events of each entity in the order they were
// committed, and nothing of a transaction that rolled back — while writers on A and B work
// at once. A's own subscriber hears the same through its relay.
func TestSharedEventsReachEveryInstanceOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		a := e.Open(t, storagetest.Options{})
		b := storagetest.Reopen(t, a, storagetest.Options{})
		ExerciseSharedEvents(t, a, b)
	})
}

// ExerciseSharedEvents is the shared-events check on any two handles of one database (also run
// on two nodes of a Galera cluster, where writes through both clash and are retried).
func ExerciseSharedEvents(t *testing.T, a, b *storage.DB) {
	ctx, cancel := context.WithCancel(authz.SystemContext(context.Background()))
	defer cancel()
	if err := seed.Reference(ctx, a.Client); err != nil {
		t.Fatal(err)
	}
	for i, db := range []*storage.DB{a, b} {
		db.Events.Share(db.Client, fmt.Sprintf("instance-%d", i), func(err error) { t.Logf("instance %d: %v", i, err) })
		go db.Events.Relay(ctx, events.RelayOptions{Interval: 20 * time.Millisecond})
	}
	onA, stopA := a.Events.Subscribe(10000)
	defer stopA()
	onB, stopB := b.Events.Subscribe(10000)
	defer stopB()
	time.Sleep(100 * time.Millisecond) // both relays have started after the table's last row

	dep := a.Client.Department.Query().Where(department.SectorEQ(vocab.Environment)).FirstIDX(ctx)
	const writers, each = 4, 15
	entities := make([]int, writers)
	for w := range entities {
		uscc := usccs[w]
		entities[w] = a.Client.MarketEntity.Create().SetUscc(uscc).SetName(fmt.Sprintf("某某%d有限公司", w)).SaveX(ctx).ID
	}
	// Entity creation makes no event; everything from here on is a record.
	var (
		mu        sync.Mutex
		committed = map[int][]int{} // entity → its penalties' ids in commit order
		wg        sync.WaitGroup
	)
	for w := range writers {
		db := []*storage.DB{a, b}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var p int
				for attempt := 1; ; attempt++ { // on a cluster, a write clash is retried whole
					tx, err := db.Client.Tx(ctx)
					if err != nil {
						if derrors.WriteClash(err) && attempt < 10 && derrors.AfterClash(ctx, attempt) {
							continue
						}
						t.Error(err)
						return
					}
					txCtx := ent.NewTxContext(ctx, tx)
					p, err = penalty(txCtx, tx.Client(), dep, entities[w], usccs[w], fmt.Sprintf("W%d-%d", w, i))
					if err != nil {
						_ = tx.Rollback()
						if derrors.WriteClash(err) && attempt < 10 && derrors.AfterClash(ctx, attempt) {
							continue
						}
						t.Error(err)
						return
					}
					if i%5 == 4 { // every fifth is rolled back: its event must never be seen
						if err := tx.Rollback(); err != nil {
							t.Error(err)
						}
						p = 0
						break
					}
					if err = tx.Commit(); err != nil {
						if derrors.WriteClash(err) && attempt < 10 && derrors.AfterClash(ctx, attempt) {
							continue
						}
						t.Error(err)
						return
					}
					break
				}
				if p == 0 {
					continue
				}
				mu.Lock()
				committed[entities[w]] = append(committed[entities[w]], p)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	want := 0
	for _, ids := range committed {
		want += len(ids)
	}
	order := map[string][]int{} // each subscriber's penalties in the order heard
	for name, ch := range map[string]<-chan events.Event{"A": onA, "B": onB} {
		got := map[int][]int{}
		seen := map[int]bool{}
		tiers := map[string]bool{}
		n := 0
		timeout := time.After(15 * time.Second)
	collect:
		for n < want {
			select {
			case ev := <-ch:
				if ev.Type == events.TierChanged { // the first penalty moves an entity's tier
					key := fmt.Sprint(ev.EntityID, ev.Summary)
					if seen[-ev.EntityID] && tiers[key] {
						t.Errorf("%s: tier change %s delivered twice", name, key)
					}
					tiers[key], seen[-ev.EntityID] = true, true
					continue
				}
				if ev.Type != events.Recorded || ev.Kind != vocab.RecordPenalty {
					t.Errorf("%s: unexpected event %+v", name, ev)
					continue
				}
				if seen[ev.RecordID] {
					t.Errorf("%s: penalty %d delivered twice", name, ev.RecordID)
				}
				seen[ev.RecordID] = true
				got[ev.EntityID] = append(got[ev.EntityID], ev.RecordID)
				order[name] = append(order[name], ev.RecordID)
				n++
			case <-timeout:
				break collect
			}
		}
		// Nothing more arrives: no duplicate, no event of a rolled-back write.
		for quiet := time.After(300 * time.Millisecond); ; {
			select {
			case ev := <-ch:
				if ev.Type != events.TierChanged || tiers[fmt.Sprint(ev.EntityID, ev.Summary)] {
					t.Errorf("%s: event beyond the %d committed: %+v", name, want, ev)
				}
				continue
			case <-quiet:
			}
			break
		}
		for ent, ids := range committed {
			if fmt.Sprint(got[ent]) != fmt.Sprint(ids) {
				t.Errorf("%s: entity %d's events %v, committed %v", name, ent, got[ent], ids)
			}
		}
		t.Logf("%s: %d of %d events", name, n, want)
		if t.Failed() {
			for _, r := range a.Client.OutboxEvent.Query().Order(ent.Asc(outboxevent.FieldID)).AllX(ctx) {
				t.Logf("outbox %d: %s %d entity %d %s", r.ID, r.Type, r.RecordID, r.EntityID, r.Origin)
			}
		}
	}
	// One commit order for everyone: both instances hear the same sequence.
	if fmt.Sprint(order["A"]) != fmt.Sprint(order["B"]) {
		t.Errorf("A heard %v, B heard %v", order["A"], order["B"])
	}
	if rows := a.Client.OutboxEvent.Query().Where(outboxevent.TypeEQ(string(events.Recorded))).CountX(ctx); rows != want {
		t.Errorf("outbox holds %d recorded events, want %d", rows, want)
	}
}

var usccs = func() []string {
	var out []string
	for i := range 4 {
		body := fmt.Sprintf("MA1E%04d", 7100+i)
		oc, err := ident.OrgCodeCheckChar(body)
		if err != nil {
			panic(err)
		}
		first17 := "91320500" + body + string(oc)
		cc, err := ident.USCCCheckChar(first17)
		if err != nil {
			panic(err)
		}
		out = append(out, first17+string(cc))
	}
	return out
}()

func penalty(ctx context.Context, c *ent.Client, dep, entity int, uscc, src string) (int, error) {
	p, err := c.AdministrativePenalty.Create().SetDepartmentID(dep).SetEntityID(entity).SetSourceSystem("t").
		SetSourceRecordID(src).SetSeverity(vocab.General).SetCounterpartyName("某某有限公司").SetCounterpartyCategory("LEGAL_PERSON").
		SetCounterpartyUscc(uscc).SetDecisionNo("罚" + src).SetViolationType("v").SetViolationFacts("f").SetLegalBasis("b").
		SetPenaltyCategories([]vocab.PenaltyCategory{vocab.Warning}).SetPenaltyContent("警告").SetDecisionDate(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)).
		SetAuthorityName("某局").SetAuthorityUscc(uscc).SetDataSourceUnit("某局").SetDataSourceUnitUscc(uscc).Save(ctx)
	if err != nil {
		return 0, errors.Join(fmt.Errorf("penalty %s", src), err)
	}
	return p.ID, nil
}

// The same through two nodes of a Galera cluster: a subscriber of the instance on node 2 hears,
// in commit order and once, what was committed through node 1 (and the other way round).
func TestGaleraSharedEventsAcrossNodes(t *testing.T) {
	nodes := storagetest.GaleraNodes(t, storagetest.Options{})
	ExerciseSharedEvents(t, nodes[0], nodes[1])
}

// The relay keeps a row for Retention after it has read past it, and no longer: rows are
// trimmed by the marks it takes a minute apart, by its own clock (set here).
func TestRelayTrimsRowsAfterRetention(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx, cancel := context.WithCancel(authz.SystemContext(context.Background()))
		defer cancel()
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		clock := newStepClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		db.Events.Share(db.Client, "instance", func(err error) { t.Logf("relay: %v", err) })
		go db.Events.Relay(ctx, events.RelayOptions{Interval: 5 * time.Millisecond, Retention: 5 * time.Minute, Clock: clock.now})
		heard, stop := db.Events.Subscribe(100)
		defer stop()
		clock.polled(t) // the relay started after the table's last row and took its first mark

		dep := db.Client.Department.Query().Where(department.SectorEQ(vocab.Environment)).FirstIDX(ctx)
		entity := db.Client.MarketEntity.Create().SetUscc(usccs[0]).SetName("某某有限公司").SaveX(ctx).ID
		rows := func(where ...predicate.OutboxEvent) int {
			return db.Client.OutboxEvent.Query().Where(where...).CountX(ctx)
		}
		last := func() int64 {
			if rows() == 0 {
				return 0
			}
			return int64(db.Client.OutboxEvent.Query().Aggregate(ent.Max(outboxevent.FieldSeq)).IntX(ctx))
		}
		// write commits three penalties and waits until the relay has delivered every row they
		// added (a penalty may add more than its own event); it returns the last row's seq.
		write := func(batch string) int64 {
			before := last()
			for i := range 3 {
				if _, err := penalty(ctx, db.Client, dep, entity, usccs[0], fmt.Sprintf("%s-%d", batch, i)); err != nil {
					t.Fatal(err)
				}
			}
			for range rows(outboxevent.SeqGT(before)) {
				select {
				case <-heard:
				case <-time.After(30 * time.Second):
					t.Fatalf("the relay did not deliver batch %s", batch)
				}
			}
			return last()
		}

		first := write("A")
		clock.advance(t, time.Minute) // a mark: read up to the first batch at 09:01
		write("B")
		clock.advance(t, 4*time.Minute) // 09:05: the 09:00 mark is 5 minutes old; it covered nothing
		both := rows()
		if got := rows(outboxevent.SeqLTE(first)); got == 0 || got == both {
			t.Fatalf("%d of %d rows are the first batch's; want some and not all", got, both)
		}
		clock.advance(t, 0) // another whole poll at 09:05 changes nothing either
		if got := rows(); got != both {
			t.Fatalf("at 09:05 the table holds %d rows, want both batches' %d", got, both)
		}
		second := both - rows(outboxevent.SeqLTE(first))
		clock.advance(t, time.Minute) // 09:06: the 09:01 mark is 5 minutes old: the first batch goes
		if got := rows(outboxevent.SeqLTE(first)); got != 0 {
			t.Errorf("at 09:06 %d rows of the first batch remain, want 0", got)
		}
		if got := rows(); got != second {
			t.Errorf("at 09:06 the table holds %d rows, want the second batch's %d", got, second)
		}
	})
}

// stepClock is a clock the test moves; it counts how often it was read, so the test knows
// that the relay has polled at the new time.
type stepClock struct {
	mu    sync.Mutex
	t     time.Time
	reads int
}

func newStepClock(t time.Time) *stepClock { return &stepClock{t: t} }

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return c.t
}

// advance moves the clock and returns once the relay has finished a whole poll at the new time.
func (c *stepClock) advance(t *testing.T, d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	c.polled(t)
}

// polled waits for two more reads: the poll that read the time has ended once the next has begun.
func (c *stepClock) polled(t *testing.T) {
	c.mu.Lock()
	from := c.reads
	c.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.mu.Lock()
		n := c.reads
		c.mu.Unlock()
		if n >= from+2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the relay did not poll within 30 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// Every field of an event crosses the outbox: what a subscriber on another instance receives
// is the event as it was published — generated from the struct, so a field added to Event but
// not to the table or the relay fails here (subscribers decide who may hear an event from its
// fields: a decision's document dropped on the way would reach readers of the record alone).
func TestEveryEventFieldCrossesTheOutbox(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		a := e.Open(t, storagetest.Options{})
		b := storagetest.Reopen(t, a, storagetest.Options{})
		ctx, cancel := context.WithCancel(authz.SystemContext(context.Background()))
		defer cancel()
		a.Events.Share(a.Client, "instance-a", func(err error) { t.Logf("instance a: %v", err) })
		b.Events.Share(b.Client, "instance-b", func(err error) { t.Logf("instance b: %v", err) })
		go b.Events.Relay(ctx, events.RelayOptions{Interval: 10 * time.Millisecond})
		heard, stop := b.Events.Subscribe(10)
		defer stop()
		time.Sleep(100 * time.Millisecond) // the relay has started after the table's last row

		var sent events.Event
		v := reflect.ValueOf(&sent).Elem()
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			switch {
			case f.Type() == reflect.TypeFor[time.Time]():
				f.Set(reflect.ValueOf(time.Date(2026, 3, 2, 9, 30, 15, 0, time.UTC)))
			case f.Kind() == reflect.String:
				f.SetString(strings.ToUpper(name[:3]) + "-" + fmt.Sprint(i))
			case f.Kind() == reflect.Int:
				f.SetInt(int64(1000 + i))
			default:
				t.Fatalf("Event.%s (%s): say here how to fill it", name, f.Type())
			}
		}
		events.AfterCommit(ctx, a.Events, sent)
		select {
		case got := <-heard:
			got.At, sent.At = got.At.UTC(), sent.At.UTC()
			if !reflect.DeepEqual(got, sent) {
				t.Errorf("through the outbox:\n got %+v\nsent %+v", got, sent)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the event did not cross the outbox within 10 s")
		}
	})
}
