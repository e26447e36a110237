package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Records whose window has ended read EXPIRED (domain.md §4: PUBLISHED → EXPIRED), at the edge:
// with today 2026-12-02, an environment department's serious penalty decided 2023-12-01 under
// Order 58 (36 months; market supervision's warnings are not published under SAMR Order 45) was
// public through 2026-12-01 and expires; one decided 2023-12-02 is public through today and
// does not. Listings likewise by their planned end; a removed listing keeps its status.
func TestExpireEndsWindowsAtTheirLastDay(t *testing.T) {
	clock := vocab.FixedClock(time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC))
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{Options: storage.Options{Clock: clock}})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		dep := db.Client.Department.Query().Where(department.SectorEQ(vocab.Market)).FirstIDX(ctx)
		envDep := db.Client.Department.Query().Where(department.SectorEQ(vocab.Environment)).FirstIDX(ctx)
		const uscc = "91320000134834003C"
		ent := db.Client.MarketEntity.Create().SetUscc(uscc).SetName("某某有限公司").SaveX(ctx)
		day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
		penalty := func(src, decided string) int {
			return db.Client.AdministrativePenalty.Create().SetDepartmentID(envDep).SetEntityID(ent.ID).SetSourceSystem("t").
				SetSourceRecordID(src).SetSeverity(vocab.Serious).SetCounterpartyName("某某有限公司").SetCounterpartyCategory("LEGAL_PERSON").
				SetCounterpartyUscc(uscc).SetDecisionNo("罚" + src).SetViolationType("v").SetViolationFacts("f").SetLegalBasis("b").
				SetPenaltyCategories([]vocab.PenaltyCategory{vocab.Warning}).SetPenaltyContent("警告").SetDecisionDate(day(decided)).
				SetAuthorityName("某局").SetAuthorityUscc(uscc).SetDataSourceUnit("某局").SetDataSourceUnitUscc(uscc).SaveX(ctx).ID
		}
		listing := func(src, listed string, removed bool) int {
			c := db.Client.ListEntry.Create().SetDepartmentID(dep).SetEntityID(ent.ID).SetSourceSystem("t").SetSourceRecordID(src).
				SetSeverity(vocab.Serious).SetListType(listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST).SetListedOn(day(listed)).
				SetReason("r").SetBasis("b").SetDecisionNo("列" + src)
			if removed {
				c.SetRemovedOn(day("2024-06-01")).SetRemovalReason(listentry.RemovalReasonEARLY_REPAIR)
			}
			return c.SaveX(ctx).ID
		}
		ended, lastDay := penalty("P1", "2023-12-01"), penalty("P2", "2023-12-02")
		lEnded, lLastDay, lRemoved := listing("L1", "2023-12-01", false), listing("L2", "2023-12-02", false), listing("L3", "2023-11-01", true)
		// Two instances run the job at once, with shared events: each record ends, and is
		// announced, once.
		other := storagetest.Reopen(t, db, storagetest.Options{Options: storage.Options{Clock: clock}})
		rctx, stop := context.WithCancel(ctx)
		defer stop()
		for _, d := range []*storage.DB{db, other} {
			d.Events.Share(d.Client, "", func(err error) { t.Log(err) })
			go d.Events.Relay(rctx, events.RelayOptions{Interval: 10 * time.Millisecond})
		}
		heard, unsubscribe := db.Events.Subscribe(10)
		defer unsubscribe()
		time.Sleep(50 * time.Millisecond)
		var (
			wg    sync.WaitGroup
			total atomic.Int64
		)
		for _, d := range []*storage.DB{db, other} {
			wg.Go(func() {
				n, err := d.Ledger.Expire(ctx, d.Client)
				if err != nil {
					t.Logf("one run gave way: %v", err) // SQLite's busy snapshot, MariaDB's lock wait
				}
				total.Add(int64(n))
			})
		}
		wg.Wait()
		if n := total.Load(); n != 2 {
			t.Errorf("%d records expired, want 2", n)
		}
		got := map[int]int{}
		for quiet := time.After(time.Second); ; {
			select {
			case ev := <-heard:
				if ev.Type == events.Ended {
					got[ev.RecordID]++
				}
				continue
			case <-quiet:
			}
			break
		}
		if fmt.Sprint(got) != fmt.Sprint(map[int]int{ended: 1, lEnded: 1}) {
			t.Errorf("ENDED events per record %v, want penalty %d and listing %d once each", got, ended, lEnded)
		}
		for id, want := range map[int]vocab.RecordStatus{ended: vocab.Expired, lastDay: vocab.Published} {
			if got := db.Client.AdministrativePenalty.GetX(ctx, id).Status; got != want {
				t.Errorf("penalty %d: %s, want %s", id, got, want)
			}
		}
		for id, want := range map[int]vocab.RecordStatus{lEnded: vocab.Expired, lLastDay: vocab.Published, lRemoved: vocab.Published} {
			if got := db.Client.ListEntry.GetX(ctx, id).Status; got != want {
				t.Errorf("listing %d: %s, want %s", id, got, want)
			}
		}
		if n, _ := db.Ledger.Expire(ctx, db.Client); n != 0 {
			t.Errorf("a second run expired %d more", n)
		}
	})
}
