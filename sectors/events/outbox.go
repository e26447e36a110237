package events

import (
	"context"
	"slices"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/outboxevent"
	"github.com/creditgraph/creditgraph/ent/outboxsequence"
	"github.com/creditgraph/creditgraph/vocab"
)

// Share makes b carry events through the outbox table of c's database instead of in memory:
// AfterCommit writes them in their transaction, and Relay — which every instance on that
// database runs — hands them to this instance's subscribers. origin names the instance in the
// rows (for diagnostics); warn hears the errors nobody else can (an event made outside a
// transaction that could not be written, a relay query that failed).
func (b *Broker) Share(c *ent.Client, origin string, warn func(error)) {
	if warn == nil {
		warn = func(error) {}
	}
	b.shared, b.origin, b.warn = c, origin, warn
}

// append writes events to the outbox through c, a transaction's client, numbered with the
// transaction's place in commit order; outside a transaction (c is the shared client) it
// opens one.
func (b *Broker) append(ctx context.Context, c *ent.Client, evs []Event) (err error) {
	ctx = authz.SystemContext(ctx)
	if ent.TxFromContext(ctx) == nil && c == b.shared {
		tx, err := c.Tx(ctx)
		if err != nil {
			b.warn(err)
			return err
		}
		if err = b.append(ent.NewTxContext(ctx, tx), tx.Client(), evs); err != nil {
			_ = tx.Rollback()
			b.warn(err)
			return err
		}
		if err = tx.Commit(); err != nil {
			b.warn(err)
		}
		return err
	}
	seq, err := b.nextSeq(ctx, c)
	if err != nil {
		return err
	}
	rows := make([]*ent.OutboxEventCreate, len(evs))
	for i, e := range evs {
		rows[i] = c.OutboxEvent.Create().SetSeq(seq).SetType(string(e.Type)).SetKind(string(e.Kind)).SetSector(string(e.Sector)).
			SetRecordID(e.RecordID).SetEntityID(e.EntityID).SetDocumentID(e.Document).SetSummary(clip(e.Summary, 512)).SetAt(e.At).SetOrigin(b.origin)
	}
	return c.OutboxEvent.CreateBulk(rows...).Exec(ctx)
}

// nextSeq increments the outbox sequence in c's transaction and returns the new number; the row
// stays locked until the transaction ends.
func (b *Broker) nextSeq(ctx context.Context, c *ent.Client) (int64, error) {
	id, err := b.sequenceRow(ctx, c)
	if err != nil {
		return 0, err
	}
	if err := c.OutboxSequence.UpdateOneID(id).AddN(1).Exec(ctx); err != nil {
		return 0, err
	}
	row, err := c.OutboxSequence.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	return row.N, nil
}

// sequenceRow is the id of the sequence's row (the first, should two have been made at once),
// made when missing.
func (b *Broker) sequenceRow(ctx context.Context, c *ent.Client) (int, error) {
	if id := b.seqRow.Load(); id != 0 {
		return int(id), nil
	}
	id, err := c.OutboxSequence.Query().Order(ent.Asc(outboxsequence.FieldID)).FirstID(ctx)
	if ent.IsNotFound(err) {
		err = Install(ctx, b.shared)
		if err == nil {
			id, err = b.shared.OutboxSequence.Query().Order(ent.Asc(outboxsequence.FieldID)).FirstID(ctx)
		}
	}
	if err != nil {
		return 0, err
	}
	b.seqRow.Store(int64(id))
	return id, nil
}

// Install makes the outbox sequence's row when the database has none (storage's Migrate calls
// it).
func Install(ctx context.Context, c *ent.Client) error {
	ctx = authz.SystemContext(ctx)
	n, err := c.OutboxSequence.Query().Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	return c.OutboxSequence.Create().Exec(ctx)
}

// RelayOptions tune Relay; zero fields take DefaultRelay's.
type RelayOptions struct {
	// Interval is how often the relay looks for new rows: the delay a subscriber on another
	// instance sees, at most.
	Interval time.Duration
	// Retention is how long rows stay in the table after the relay has read past them.
	Retention time.Duration
	// Clock measures Retention; the system's clock when nil. (Not the broker's clock, which
	// stamps events and may stand still in tests and demos.)
	Clock vocab.Clock
}

// DefaultRelay polls ten times a second and keeps rows for an hour.
var DefaultRelay = RelayOptions{Interval: 100 * time.Millisecond, Retention: time.Hour}

// Relay hands every event committed to the outbox after it starts to this instance's
// subscribers, exactly once and in commit order: the rows are read by (seq, id), and a
// transaction takes its seq as it commits, holding the sequence until it has, so no row ever
// appears behind one already read. It returns when ctx ends; b must be shared.
func (b *Broker) Relay(ctx context.Context, opts RelayOptions) {
	if b == nil || b.shared == nil {
		return
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultRelay.Interval
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRelay.Retention
	}
	if opts.Clock == nil {
		opts.Clock = vocab.SystemClock
	}
	ctx = authz.SystemContext(ctx)
	r := relay{b: b, opts: opts}
	for {
		var err error
		if r.started {
			err = r.poll(ctx)
		} else {
			err = r.start(ctx)
		}
		if err != nil && ctx.Err() == nil {
			b.warn(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(opts.Interval):
		}
	}
}

// relay is Relay's state: the last row delivered, and a mark a minute of how far it had read,
// to trim the table by.
type relay struct {
	b       *Broker
	opts    RelayOptions
	started bool
	seq     int64
	id      int
	marks   []mark
}

type mark struct {
	seq int64
	at  time.Time
}

// start begins after the last row committed so far: subscriptions hear what happens while
// they are open.
func (r *relay) start(ctx context.Context) error {
	last, err := r.b.shared.OutboxEvent.Query().Order(ent.Desc(outboxevent.FieldSeq), ent.Desc(outboxevent.FieldID)).First(ctx)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return err
	default:
		r.seq, r.id = last.Seq, last.ID
	}
	r.started = true
	return nil
}

const relayPage = 1000

// poll delivers the rows after the last one delivered, then trims the table.
func (r *relay) poll(ctx context.Context) error {
	c := r.b.shared
	for {
		rows, err := c.OutboxEvent.Query().
			Where(outboxevent.Or(outboxevent.SeqGT(r.seq), outboxevent.And(outboxevent.SeqEQ(r.seq), outboxevent.IDGT(r.id)))).
			Order(ent.Asc(outboxevent.FieldSeq), ent.Asc(outboxevent.FieldID)).Limit(relayPage).All(ctx)
		if err != nil {
			return err
		}
		for _, row := range rows {
			r.seq, r.id = row.Seq, row.ID
			r.b.Publish(Event{Type: Type(row.Type), Kind: vocab.RecordType(row.Kind), Sector: vocab.Sector(row.Sector),
				RecordID: row.RecordID, EntityID: row.EntityID, Document: row.DocumentID, Summary: row.Summary, At: row.At})
		}
		if len(rows) < relayPage {
			break
		}
	}
	now := r.opts.Clock.Now()
	if len(r.marks) == 0 || now.Sub(r.marks[len(r.marks)-1].at) >= time.Minute {
		r.marks = append(r.marks, mark{seq: r.seq, at: now})
	}
	if now.Sub(r.marks[0].at) < r.opts.Retention {
		return nil
	}
	purge := r.marks[0].seq
	r.marks = slices.Delete(r.marks, 0, 1)
	// Every instance trims; the deletes are idempotent, and one that clashes with another's is
	// simply done by the other.
	_, err := c.OutboxEvent.Delete().Where(outboxevent.SeqLTE(purge)).Exec(ctx)
	return err
}

// clip cuts s to at most n bytes at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
