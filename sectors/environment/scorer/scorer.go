// Package scorer turns recorded score events into their consequences, inside the transaction
// that records them: the environmental credit score becomes the entity's ENV_CREDIT_JS rating
// (and so its evaluation), and EIA points at the thresholds put the provider or practitioner on
// the rectification list or, on a ban, the blacklist.
package scorer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/ent/serviceprovider"
	"github.com/creditgraph/creditgraph/sectors/environment"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/vocab"
)

// Source system of the records the scorer derives.
const source = "creditgraph-scoring"

// Apply derives the consequences of a recorded event on day.
func Apply(ctx context.Context, c *ent.Client, ev *ent.CreditScoreEvent, day time.Time) error {
	ctx = authz.AsSystem(ctx) // derived records; the event's own write passed its checks
	switch ev.Scheme {
	case creditscoreevent.SchemeENV_CREDIT_JS:
		if ev.EntityID == 0 {
			return derrors.Field("entityID", "an environmental credit event is about an entity")
		}
		return applyEnv(ctx, c, ev, day)
	case creditscoreevent.SchemeEIA_POINTS:
		return applyEIA(ctx, c, ev, day)
	}
	return nil
}

func counted() predicate.CreditScoreEvent {
	return creditscoreevent.And(creditscoreevent.StatusEQ(vocab.Published), creditscoreevent.UnderObjection(false))
}

// EnvScore is the entity's environmental credit score and colour on day.
func EnvScore(ctx context.Context, c *ent.Client, entityID int, day time.Time) (int, environment.Colour, error) {
	rows, err := c.CreditScoreEvent.Query().Where(creditscoreevent.EntityID(entityID),
		creditscoreevent.SchemeEQ(creditscoreevent.SchemeENV_CREDIT_JS), counted(), predicate.CreditScoreEvent(evaluator.Current)).All(authz.AsSystem(ctx))
	if err != nil {
		return 0, "", err
	}
	events := make([]environment.Event, len(rows))
	for i, r := range rows {
		events[i] = environment.Event{Points: r.Points, EffectiveFrom: r.EffectiveFrom}
		if r.ExpiresOn != nil {
			events[i].ExpiresOn = *r.ExpiresOn
		}
	}
	scale, err := refdata.Scale(ctx, refdata.Of(c), vocab.ScaleEnvCredit, day)
	if err != nil {
		return 0, "", err
	}
	base, err := importedBase(ctx, c, entityID, day)
	if err != nil {
		return 0, "", err
	}
	if base.Since.IsZero() {
		base.Score = scale.InitialScore
	}
	s := environment.ScoreFrom(scale, base, events, day)
	return s, environment.ColourOf(scale, s), nil
}

// importedBase is the entity's newest environmental credit score imported from the provincial
// system (a rating of the scheme not derived here) in force on day: the score starts from it,
// and the events after it are added. Zero when there is none: the scale's initial score.
func importedBase(ctx context.Context, c *ent.Client, entityID int, day time.Time) (environment.Base, error) {
	r, err := c.SectorRating.Query().Where(sectorrating.EntityID(entityID), importedScores(day)).
		Order(ent.Desc(sectorrating.FieldValidFrom), ent.Desc(sectorrating.FieldID)).First(authz.AsSystem(ctx))
	switch {
	case ent.IsNotFound(err):
		return environment.Base{}, nil
	case err != nil:
		return environment.Base{}, err
	}
	return environment.Base{Score: int(*r.Score), Since: r.ValidFrom}, nil
}

// importedScores are the environmental credit scores imported from the provincial system (the
// scheme's ratings with a score not derived here) in force by day.
func importedScores(day time.Time) predicate.SectorRating {
	return sectorrating.And(sectorrating.SchemeEQ(sectorrating.SchemeENV_CREDIT_JS), sectorrating.SourceSystemNEQ(source),
		sectorrating.ScoreNotNil(), sectorrating.ValidFromLTE(day), sectorrating.StatusEQ(vocab.Published))
}

func applyEnv(ctx context.Context, c *ent.Client, ev *ent.CreditScoreEvent, day time.Time) error {
	return score(ctx, c, ev.EntityID, ev.DepartmentID, day)
}

// score stores the entity's environmental score and colour on day as its rolling rating, made
// by the department when there is none yet.
func score(ctx context.Context, c *ent.Client, entityID, departmentID int, day time.Time) error {
	// The entity's lock first, then its events and rolling rating as committed (Current): a
	// concurrent event's transaction either committed before (and is read) or waits.
	if err := evaluator.Lock(ctx, c, entityID); err != nil {
		return err
	}
	score, colour, err := EnvScore(ctx, c, entityID, day)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("ENV-ROLLING-%d", entityID)
	existing, err := c.SectorRating.Query().Where(sectorrating.SourceSystem(source), sectorrating.SourceRecordID(key),
		predicate.SectorRating(evaluator.Current)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return c.SectorRating.Create().SetDepartmentID(departmentID).SetEntityID(entityID).
			SetSourceSystem(source).SetSourceRecordID(key).SetScheme(sectorrating.SchemeENV_CREDIT_JS).
			SetGrade(string(colour)).SetScore(float64(score)).SetPeriod("ROLLING").SetValidFrom(day).Exec(ctx)
	case err != nil:
		return err
	}
	return existing.Update().SetGrade(string(colour)).SetScore(float64(score)).SetValidFrom(day).Exec(ctx)
}

// Lapsed lists the entities whose rolling environmental rating may no longer hold on day,
// though nothing was recorded about them: the rating was scored on its validFrom day, and since
// then one of their events stopped counting (扣3分（有效期半年）), or a version of the colour
// bands began or ended.
func Lapsed(ctx context.Context, c *ent.Client, day time.Time) ([]int, error) {
	ctx = authz.AsSystem(ctx)
	vs, err := refdata.ScaleVersions(ctx, refdata.Of(c), vocab.ScaleEnvCredit)
	if err != nil {
		return nil, err
	}
	bands := vs.LastChange(day)
	return c.SectorRating.Query().Where(sectorrating.SourceSystem(source), sectorrating.SchemeEQ(sectorrating.SchemeENV_CREDIT_JS),
		sectorrating.ValidFromLT(day), func(s *sql.Selector) {
			ev := sql.Table(creditscoreevent.Table)
			expired := sql.Exists(sql.Select(ev.C(creditscoreevent.FieldID)).From(ev).Where(sql.And(
				sql.ColumnsEQ(ev.C(creditscoreevent.FieldEntityID), s.C(sectorrating.FieldEntityID)),
				sql.EQ(ev.C(creditscoreevent.FieldScheme), creditscoreevent.SchemeENV_CREDIT_JS),
				sql.ColumnsGT(ev.C(creditscoreevent.FieldExpiresOn), s.C(sectorrating.FieldValidFrom)),
				sql.LTE(ev.C(creditscoreevent.FieldExpiresOn), day))))
			if bands.IsZero() {
				s.Where(expired)
			} else {
				s.Where(sql.Or(expired, sql.LT(s.C(sectorrating.FieldValidFrom), bands)))
			}
		}).Select(sectorrating.FieldEntityID).Ints(ctx)
}

// Rescore scores the entity again on day (Lapsed): its rolling rating follows, and with it,
// through the rating's write, its evaluation.
func Rescore(ctx context.Context, c *ent.Client, entityID int, day time.Time) error {
	return score(authz.AsSystem(ctx), c, entityID, 0, day)
}

// EIA is a provider's or practitioner's EIA integrity state on day; subject names one of them.
func EIA(ctx context.Context, c *ent.Client, entityID, personID int, day time.Time) (environment.EIAState, error) {
	// A subject or person token asks only about itself; another is answered like a missing one.
	if !authz.AsksAbout(ctx, authz.Own{EntityID: entityID, PersonID: personID}) {
		return environment.EIAState{}, fmt.Errorf("%w: no such provider or practitioner", derrors.NotFound)
	}
	return eia(authz.AsSystem(ctx), c, entityID, personID, day, func(*sql.Selector) {})
}

// eia is EIA without the caller's check; read is added to the read of the events
// (evaluator.Current when an event's derivation asks, in its writing transaction).
func eia(ctx context.Context, c *ent.Client, entityID, personID int, day time.Time, read func(*sql.Selector)) (environment.EIAState, error) {
	q := c.CreditScoreEvent.Query().Where(creditscoreevent.SchemeEQ(creditscoreevent.SchemeEIA_POINTS), counted(), predicate.CreditScoreEvent(read))
	if entityID != 0 {
		q = q.Where(creditscoreevent.EntityID(entityID))
	} else {
		q = q.Where(creditscoreevent.PersonID(personID))
	}
	rows, err := q.Order(ent.Asc(creditscoreevent.FieldEffectiveFrom), ent.Asc(creditscoreevent.FieldID)).All(ctx)
	if err != nil {
		return environment.EIAState{}, err
	}
	var opened time.Time
	if entityID != 0 {
		sp, err := c.ServiceProvider.Query().Where(serviceprovider.EntityID(entityID)).Only(ctx)
		if err == nil && sp.FileOpenedOn != nil {
			opened = *sp.FileOpenedOn
		}
	}
	var acts []environment.EIAPoints
	var bans []environment.EIABan
	for _, r := range rows {
		if opened.IsZero() {
			opened = r.EffectiveFrom
		}
		if r.Category == "BAN" { // its end is the first day over; none: for good
			b := environment.EIABan{From: r.EffectiveFrom}
			if r.ExpiresOn != nil {
				b.Until = *r.ExpiresOn
			}
			bans = append(bans, b)
			continue
		}
		acts = append(acts, environment.EIAPoints{Points: r.Points, On: r.EffectiveFrom})
	}
	versions, err := refdata.ScaleVersions(ctx, refdata.Of(c), vocab.ScaleEIAPoints)
	if err != nil {
		return environment.EIAState{}, err
	}
	return environment.EvaluateEIA(versions.At, opened, acts, bans, day)
}

func applyEIA(ctx context.Context, c *ent.Client, ev *ent.CreditScoreEvent, day time.Time) error {
	// The provider's events as committed, waiting for another event being written: two events
	// at once are counted together (one of them reruns after a deadlock), so a threshold they
	// reach together lists the provider.
	st, err := eia(authz.AsSystem(ctx), c, ev.EntityID, ev.PersonID, day, evaluator.Current)
	if err != nil {
		return err
	}
	// One listing per rectification and per ban of the history, dated the day the threshold
	// was reached or the ban began — however many events are recorded while it lasts, and
	// also when an event is recorded after what it caused has ended: the listing is public for
	// its rule's 5 years. Its measures last as long as the rectification or the ban.
	type listing struct {
		listType  listentry.ListType
		from, end time.Time
	}
	var want []listing
	for _, r := range st.Rectifications {
		want = append(want, listing{listentry.ListTypeEE_EIA_RECTIFICATION, r.From, r.Until})
	}
	for _, b := range st.Bans {
		want = append(want, listing{listentry.ListTypeEE_EIA_BLACKLIST, b.From, b.LastDay()})
	}
	if len(want) == 0 {
		return nil
	}
	key := func(l listing) string {
		return fmt.Sprintf("EIA-%s-%d-%d-%s", l.listType, ev.EntityID, ev.PersonID, l.from.Format("20060102"))
	}
	keys := make([]string, len(want))
	for i, l := range want {
		keys[i] = key(l)
	}
	var stored []string
	if err := c.ListEntry.Query().Where(listentry.SourceSystem(source), listentry.SourceRecordIDIn(keys...)).
		Select(listentry.FieldSourceRecordID).Scan(ctx, &stored); err != nil {
		return err
	}
	var scale vocab.ScaleParams
	for _, l := range want {
		if slices.Contains(stored, key(l)) {
			continue
		}
		sev := vocab.General
		reason := "被禁止从事环境影响报告书（表）编制工作"
		if l.listType == listentry.ListTypeEE_EIA_RECTIFICATION {
			if scale, err = refdata.Scale(ctx, refdata.Of(c), vocab.ScaleEIAPoints, l.from); err != nil {
				return err
			}
			reason = fmt.Sprintf("环评失信记分在一个记分周期内累计达到%d分", scale.RestrictionPoints)
		} else {
			sev = vocab.Serious
		}
		create := c.ListEntry.Create().SetDepartmentID(ev.DepartmentID).SetSourceSystem(source).SetSourceRecordID(key(l)).
			SetSeverity(sev).SetListType(l.listType).SetListedOn(l.from).SetReason(reason).
			SetBasis("《建设项目环境影响报告书（表）编制单位和编制人员失信行为记分办法（试行）》").
			SetDecisionNo(fmt.Sprintf("环评记分〔%d〕%s", l.from.Year(), key(l)))
		if !l.end.IsZero() {
			create.SetMeasuresEndOn(l.end)
		}
		if ev.EntityID != 0 {
			create.SetEntityID(ev.EntityID)
		} else {
			create.SetPersonID(ev.PersonID)
		}
		if err := create.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Snapshot stores, for every entity with an environmental credit score on the last day of a
// past half-year (an event that counts, or an imported score, dated by then), its score and
// colour that day (label 2026H1 or 2026H2) as a rating of that period: the
// basis of the half-yearly electricity and sewage surcharges for RED and BLACK. It is
// idempotent per entity and period and returns how many ratings it stored.
func Snapshot(ctx context.Context, c *ent.Client, departmentID int, label string, today time.Time) (int, error) {
	var year, half int
	if _, err := fmt.Sscanf(label, "%4dH%1d", &year, &half); err != nil || half < 1 || half > 2 || fmt.Sprintf("%dH%d", year, half) != label {
		return 0, derrors.Field("halfYear", "%q is not a half-year such as 2026H1", label)
	}
	last := time.Date(year, 6, 30, 0, 0, 0, 0, time.UTC)
	if half == 2 {
		last = time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	if !last.Before(today) {
		return 0, derrors.Field("halfYear", "%s has not ended yet", label)
	}
	// The entities scored by the last day: an event that counts dated by then, or a score
	// imported from the provincial system by then (the score starts from it).
	var scored, imported []int
	if err := c.CreditScoreEvent.Query().Where(creditscoreevent.SchemeEQ(creditscoreevent.SchemeENV_CREDIT_JS), creditscoreevent.EntityIDNotNil(),
		counted(), creditscoreevent.EffectiveFromLTE(last)).
		Unique(true).Select(creditscoreevent.FieldEntityID).Scan(authz.AsSystem(ctx), &scored); err != nil {
		return 0, err
	}
	if err := c.SectorRating.Query().Where(importedScores(last)).
		Unique(true).Select(sectorrating.FieldEntityID).Scan(authz.AsSystem(ctx), &imported); err != nil {
		return 0, err
	}
	ids := append(scored, imported...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	n := 0
	for _, id := range ids {
		key := fmt.Sprintf("ENV-SNAP-%d-%s", id, label)
		exists, err := c.SectorRating.Query().Where(sectorrating.SourceSystem(source), sectorrating.SourceRecordID(key)).Exist(authz.AsSystem(ctx))
		if err != nil {
			return n, err
		}
		if exists {
			continue
		}
		score, colour, err := EnvScore(ctx, c, id, last)
		if err != nil {
			return n, err
		}
		// Written as the caller: the data layer checks it may record environment ratings.
		err = c.SectorRating.Create().SetDepartmentID(departmentID).SetEntityID(id).SetSourceSystem(source).SetSourceRecordID(key).
			SetScheme(sectorrating.SchemeENV_CREDIT_JS).SetGrade(string(colour)).SetScore(float64(score)).SetPeriod(label).
			SetValidFrom(last).SetValidUntil(last).Exec(ctx)
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
