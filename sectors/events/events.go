// Package events carries credit events — every sector record created, corrected or ended,
// listings and removals, entities' tier changes, repair and objection decisions — from the
// transactions that make them to the GraphQL subscribers. Events are published only after their
// transaction commits (AfterCommit), and each subscriber gets only what its role may see.
//
// One instance hands events to its subscribers in memory. Several instances on one database
// share them (Broker.Share): a transaction writes its events into the outbox table as it
// commits, and every instance's relay (Broker.Relay) reads that table and hands each event, once,
// to its own subscribers — so a subscriber on instance B hears a write committed through A.
package events

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/vocab"
)

// Type is the kind of a credit event.
type Type string

// The event types.
const (
	Recorded          Type = "RECORDED"  // a record was created (a listing: Listed)
	Corrected         Type = "CORRECTED" // a record was changed and stays in force
	Ended             Type = "ENDED"     // a record stopped: expired, repaired, withdrawn, corrected away
	Listed            Type = "LISTED"
	Removed           Type = "REMOVED"
	TierChanged       Type = "TIER_CHANGED" // an entity's risk tier changed
	RepairDecision    Type = "REPAIR_DECISION"
	ObjectionDecision Type = "OBJECTION_DECISION"
)

// Values lists the types.
func (Type) Values() []string {
	return []string{string(Recorded), string(Corrected), string(Ended), string(Listed), string(Removed), string(TierChanged),
		string(RepairDecision), string(ObjectionDecision)}
}

// MarshalGQL writes the type as a GraphQL enum.
func (t Type) MarshalGQL(w io.Writer) { vocab.MarshalEnum(w, string(t)) }

// UnmarshalGQL reads a GraphQL enum.
func (t *Type) UnmarshalGQL(v any) error { return vocab.UnmarshalEnum(v, t, "credit event type") }

// Event is one credit event.
type Event struct {
	Type Type
	// Kind is the kind of record, "" for an entity's tier change (RecordID is then the
	// entity's).
	Kind     vocab.RecordType
	Sector   vocab.Sector // sector of the record; "" for a tier change
	RecordID int
	EntityID int // 0 when the subject is a person
	// Document is the workflow document a decision tells of — a repair application, an
	// objection — or 0. The event says that the document exists and how it was decided, so it
	// goes only to subscribers who may read the document as well as the record.
	Document int
	Summary  string
	At       time.Time
}

// Broker fans events out to subscribers. It is safe for concurrent use; a slow subscriber
// loses events rather than blocking a commit.
type Broker struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Event
	now  vocab.Clock
	// shared, when set, is the client of the database whose outbox carries the events
	// (Share); origin names this instance in the rows it writes.
	shared *ent.Client
	origin string
	warn   func(error)
	seqRow atomic.Int64 // id of the outbox sequence's row, once known
}

// NewBroker returns an empty broker that stamps events with clock's time.
func NewBroker(clock vocab.Clock) *Broker {
	if clock == nil {
		clock = vocab.SystemClock
	}
	return &Broker{subs: map[int]chan Event{}, now: clock}
}

// Publish sends e to every subscriber that has room.
func (b *Broker) Publish(e Event) {
	if b == nil {
		return
	}
	if e.At.IsZero() {
		e.At = b.now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- e:
		default: // the subscriber is not keeping up
		}
	}
}

// Subscribe returns a channel of events and a function that ends the subscription.
func (b *Broker) Subscribe(buffer int) (<-chan Event, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	ch := make(chan Event, buffer)
	b.subs[id] = ch
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.subs[id]; ok {
			delete(b.subs, id)
			close(ch)
		}
	}
}

// Subscribers is how many subscriptions are open on this instance (for readiness checks and
// tests).
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Wanted reports whether an event made now may have a subscriber: one on this instance, or,
// with shared events, possibly one on another — producers that must do extra work to make an
// event (reading an entity's tier before a recompute) skip it when no one can hear it.
func (b *Broker) Wanted() bool {
	return b != nil && (b.shared != nil || b.Subscribers() > 0)
}

// AfterCommit publishes e through b when the transaction in ctx commits, or at once outside a
// transaction: an event of a rolled-back change is never seen. The events of one transaction
// are published in the order they were made. With shared events they are written to the
// outbox in the transaction, just before it commits, and published by the relays.
func AfterCommit(ctx context.Context, b *Broker, e Event) {
	if b == nil {
		return
	}
	if e.At.IsZero() {
		e.At = b.now()
	}
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		if b.shared != nil {
			// Outside a transaction the change the event reports is already made: a
			// failure to write it is for the log (Share's warn).
			_ = b.append(ctx, b.shared, []Event{e})
			return
		}
		b.Publish(e)
		return
	}
	if q, loaded := pending.LoadOrStore(tx, &queue{events: []Event{e}}); loaded {
		q := q.(*queue)
		q.mu.Lock()
		q.events = append(q.events, e)
		q.mu.Unlock()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if b.shared != nil {
				q, _ := pending.LoadAndDelete(tx)
				if q != nil {
					if err := b.append(ctx, tx.Client(), q.(*queue).events); err != nil {
						_ = tx.Rollback()
						return fmt.Errorf("writing the transaction's events: %w", err)
					}
				}
				return next.Commit(ctx, tx)
			}
			err := next.Commit(ctx, tx)
			q, _ := pending.LoadAndDelete(tx)
			if err == nil && q != nil {
				q := q.(*queue)
				q.mu.Lock()
				defer q.mu.Unlock()
				for _, e := range q.events {
					b.Publish(e)
				}
			}
			return err
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			pending.Delete(tx)
			return next.Rollback(ctx, tx)
		})
	})
}

// pending holds the events of each open transaction until it ends.
var pending sync.Map // *ent.Tx → *queue

type queue struct {
	mu     sync.Mutex
	events []Event
}
