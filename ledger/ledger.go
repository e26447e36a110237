// Package ledger is the write engine of the credit graph. ent/schema declares the model; this
// package acts on it: Register installs, on a client, the hooks that run in every writing
// transaction — whatever wrote (GraphQL, the batch ingest, the seed, a CLI job) — and derive
// what a write implies: USCC and ID-number facts, a record's sector, its publicity window from
// the dated rules (sectors/publicity), the entity lock and the evaluation recompute
// (sectors/evaluation/evaluator), prior-notice checks, score-event effects, commitment breaches
// and the credit events published after commit.
//
// The hooks run before the privacy policy of the schema (ent runs a client's hooks outside its
// schema's): they validate and derive, and the policy then judges the write with what they
// derived — a record's sector above all. A hook fails with a derrors.FieldError naming the
// GraphQL field; since it runs before the INSERT or UPDATE, nothing is written. A caller the
// policy refuses hears that refusal, never a hook's (permissionFirst).
package ledger

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"entgo.io/ent"
	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/sectors/events"
	"github.com/creditgraph/creditgraph/vocab"
)

// Engine is the write engine with what it needs from the composition root.
type Engine struct {
	// Clock says what "today" is for derived dates and future-date checks.
	Clock vocab.Clock
	// Events receives credit events after their transactions commit; nil publishes none.
	Events *events.Broker
	// Cipher seals personal data; without it, persons cannot be recorded.
	Cipher *pii.Cipher
	// notices is how far SyncNoticesDue has synced: reply deadlines before syncedTo; zero
	// until its first run.
	notices struct {
		sync.Mutex
		syncedTo time.Time
	}
	// representatives is SyncRepresentatives' last run that succeeded, as notices is.
	representatives struct {
		sync.Mutex
		syncedTo time.Time
	}
}

// Register installs the engine's hooks on c. Every client the service builds gets them (see
// storage.Open); transactions started from c share them.
func (e *Engine) Register(c *gen.Client) {
	if e.Clock == nil {
		e.Clock = vocab.SystemClock
	}
	c.Intercept(lockedReads)
	c.Use(permissionFirst) // every type: a caller the policy refuses hears only that, outermost
	c.Use(currentOld)      // every type: an updated row's stored values read as committed
	c.Use(sane)            // every type: finite numbers, amounts and dates within range
	c.Use(namedReferences) // every type: a reference to no stored row named by its field
	c.Use(periodOrder)     // every type: no period ends before it starts
	c.MarketEntity.Use(e.marketEntity)
	c.Department.Use(departmentIdentity)
	c.NaturalPerson.Use(e.naturalPerson)
	c.EntityRole.Use(e.entityRole, e.roleMeasures)
	c.AdministrativePenalty.Use(once(finders.penalty), e.record(recordRules{pastDates: []string{"decision_date", "published_on"},
		amounts: []string{"fine_amount", "confiscated_amount"}, severityNeeded: true, extra: e.penaltyRules, evaluates: true}),
		e.recordEvents(vocab.RecordPenalty))
	c.AdministrativeLicense.Use(once(finders.licence), e.record(recordRules{pastDates: []string{"decision_date"}, extra: licenseRules}),
		e.recordEvents(vocab.RecordLicence))
	c.ListEntry.Use(once(finders.listEntry), e.record(recordRules{pastDates: []string{"listed_on", "removed_on", "obligations_met_on"}, severityNeeded: true,
		extra: e.listEntryRules, evaluates: true}), e.recordEvents(vocab.RecordListEntry), e.listingMeasures)
	c.SectorRating.Use(once(finders.rating), e.record(recordRules{pastDates: []string{"valid_from"}, extra: ratingRules, evaluates: true}),
		e.recordEvents(vocab.RecordRating))
	c.SpotCheck.Use(once(finders.spotCheck), e.record(recordRules{pastDates: []string{"inspected_on"}}), e.recordEvents(vocab.RecordSpotCheck))
	c.CreditCommitment.Use(once(finders.commitment), e.record(recordRules{pastDates: []string{"signed_on"}, extra: commitmentPublicity}), e.commitmentBreach,
		e.recordEvents(vocab.RecordCommitment))
	c.RedListEntry.Use(once(finders.redList), e.record(recordRules{pastDates: []string{"recognised_on", "removed_on"}, extra: redListRules}),
		e.recordEvents(vocab.RecordRedList))
	c.CreditScoreEvent.Use(once(finders.scoreEvent), e.record(recordRules{pastDates: []string{"effective_from"}, extra: scoreEventRules}), e.scoreEventEffects)
	c.GovernmentIntegrityRecord.Use(e.governmentRecord)
	c.PriorNotice.Use(e.priorNotice, e.noticeMeasures)
	c.RepairApplication.Use(oneRecord, repairDepartment)
	c.Objection.Use(oneRecord)
}

// today is the current calendar date in China, as midnight UTC like stored dates.
func (e *Engine) today() time.Time { return e.Clock.Today() }

// notFuture refuses a date field set to a day after today.
func (e *Engine) notFuture(m ent.Mutation, fields ...string) error {
	for _, f := range fields {
		v, ok := m.Field(f)
		if !ok {
			continue
		}
		if t, ok := v.(time.Time); ok && t.After(e.today()) {
			return derrors.Field(derrors.GraphQLName(f), "%s is in the future", t.Format(time.DateOnly))
		}
	}
	return nil
}

// nonNegative refuses a negative amount.
func nonNegative(m ent.Mutation, fields ...string) error {
	for _, f := range fields {
		if v, ok := m.Field(f); ok {
			if d, ok := v.(decimal.Decimal); ok && d.IsNegative() {
				return derrors.Field(derrors.GraphQLName(f), "must not be negative, got %s", d)
			}
		}
	}
	return nil
}

// after is the value field has once m is applied, and whether it has one: the value m sets,
// none when m clears it or a create leaves it, else (an update of one row) the stored value.
// A rule about fields that depend on each other judges the row as it will be with it, not only
// the fields an update sets.
func after[T any](ctx context.Context, m ent.Mutation, field string) (T, bool, error) {
	var zero T
	v, ok := m.Field(field)
	if !ok {
		if m.FieldCleared(field) || !m.Op().Is(ent.OpUpdateOne) {
			return zero, false, nil
		}
		var err error
		if v, err = m.OldField(ctx, field); err != nil {
			return zero, false, err
		}
	}
	switch x := v.(type) {
	case T:
		return x, true, nil
	case *T:
		if x == nil {
			return zero, false, nil
		}
		return *x, true, nil
	}
	return zero, false, fmt.Errorf("ledger: field %s holds a %T, not a %T", field, v, zero)
}

// periods are the date pairs of each type that make a period: its end may not be before its
// start. One hook (periodOrder) applies them to every write, so a period is declared here once;
// the tests read this table (Periods) to try each one.
var periods = map[string][][2]string{
	gen.TypeAdministrativePenalty: {{"decision_date", "valid_until"}, {"decision_date", "published_on"}},
	gen.TypeAdministrativeLicense: {{"valid_from", "valid_to"}},
	gen.TypeListEntry: {{"listed_on", "planned_end_on"}, {"listed_on", "removed_on"}, {"listed_on", "measures_end_on"},
		{"listed_on", "obligations_met_on"}},
	gen.TypeSectorRating:     {{"valid_from", "valid_until"}},
	gen.TypeRedListEntry:     {{"recognised_on", "valid_until"}, {"recognised_on", "removed_on"}},
	gen.TypeCreditScoreEvent: {{"effective_from", "expires_on"}},
	gen.TypeEntityRole:       {{"started_on", "ended_on"}},
	gen.TypePractitioner:     {{"started_on", "ended_on"}},
	gen.TypePriorNotice:      {{"served_on", "reply_deadline"}},
	gen.TypeExemptionPeriod:  {{"starts_on", "ends_on"}},
}

// Periods returns the date pairs that make a period, by type (a copy).
func Periods() map[string][][2]string {
	out := make(map[string][][2]string, len(periods))
	for t, ps := range periods {
		out[t] = slices.Clone(ps)
	}
	return out
}

// periodOrder refuses a write that leaves a period ending before it starts.
func periodOrder(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		for _, p := range periods[m.Type()] {
			if err := notBefore(ctx, m, p[0], p[1]); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

// notBefore refuses an end date earlier than its start date. On an update of one row the
// stored value stands in for the one not being changed.
func notBefore(ctx context.Context, m ent.Mutation, start, end string) error {
	value := func(name string) (time.Time, bool) {
		v, ok := m.Field(name)
		if !ok && m.Op().Is(ent.OpUpdateOne) {
			var err error
			if v, err = m.OldField(ctx, name); err != nil {
				return time.Time{}, false
			}
			ok = true
		}
		switch t := v.(type) {
		case time.Time:
			return t, ok
		case *time.Time:
			if t != nil {
				return *t, ok
			}
		}
		return time.Time{}, false
	}
	st, ok1 := value(start)
	et, ok2 := value(end)
	if ok1 && ok2 && et.Before(st) {
		return derrors.Field(derrors.GraphQLName(end), "%s is before %s %s", et.Format(time.DateOnly), derrors.GraphQLName(start), st.Format(time.DateOnly))
	}
	return nil
}
