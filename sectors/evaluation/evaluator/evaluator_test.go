package evaluator_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/sectors/evaluation"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// demo opens a database of e holding the demo data with n entities, and the system's context.
func demo(tb testing.TB, e storagetest.Engine, n int) (*storage.DB, context.Context) {
	db := e.Open(tb, storagetest.Options{})
	ctx := authz.SystemContext(context.Background())
	o := seed.DefaultOptions()
	o.Entities = n
	if _, err := seed.Demo(ctx, db.Client, o); err != nil {
		tb.Fatal(err)
	}
	return db, ctx
}

// Recompute stores, for every entity, what evaluation.Evaluate gives on all of its records as
// plain Go filters them — whatever the queries behind Recompute aggregate or leave out — under
// the rule set the plain reading picks itself from the stored versions, and the earliest day
// after which one of those records stops counting. Checked on days from the data's own to
// years later, as penalties, listings and ratings lapse, with entities given extra penalties
// of every severity so that several of one severity meet (some exempt, under objection or no
// longer published), several ratings of one scheme (the newest counts) beginning and ending on
// and beside the days checked, and rule set versions beginning and ending on them.
func TestRecomputeAgreesWithAPlainReading(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db, ctx := demo(t, e, 1000)
		c := db.Client
		pens, err := c.AdministrativePenalty.Query().All(ctx)
		if err != nil || len(pens) == 0 {
			t.Fatalf("the demo's penalties: %d, %v", len(pens), err)
		}
		// Penalties moved onto the first ten entities, two of each severity apiece, their windows
		// shifted so that one entity's penalties of a severity end on different days.
		ids, err := c.MarketEntity.Query().Order(marketentity.ByID()).Limit(10).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sevs := []vocab.Severity{vocab.Minor, vocab.General, vocab.Serious}
		moved := 0
		for _, p := range pens {
			if moved == 6*len(ids) {
				break
			}
			i := moved
			moved++
			deadline := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 5*(i%7), 0)
			// Around the ORM: a penalty's entity is immutable through it.
			status, exemption := vocab.Published, any(nil)
			switch i % 9 {
			case 4:
				exemption = "COVID-19-SME" // kept, but exempt from the gates
			case 7:
				status = vocab.Repaired
			}
			_, err := c.ExecContext(ctx, "UPDATE administrative_penalties SET entity_id = ?, severity = ?, publicity_deadline = ?, "+
				"status = ?, under_objection = ?, exemption = ? WHERE id = ?",
				ids[i%len(ids)], sevs[(i/(2*len(ids)))%3], deadline, status, i%9 == 8, exemption, p.ID)
			if err != nil {
				t.Fatal(err)
			}
		}
		if moved < 6*len(ids) {
			t.Fatalf("only %d penalties to move", moved)
		}
		start := time.Now().UTC().Truncate(24 * time.Hour)
		days := []time.Time{start, start.AddDate(0, 6, 0), start.AddDate(1, 0, 0), start.AddDate(2, 0, 0), start.AddDate(4, 0, 0)}
		// Ratings moved onto the same entities, four of one scheme apiece, valid from and until
		// the days checked or the days beside them; some under objection or not published.
		rts, err := c.SectorRating.Query().Order(ent.Asc("id")).Limit(4 * len(ids)).All(ctx)
		if err != nil || len(rts) < 4*len(ids) {
			t.Fatalf("the demo's ratings: %d, %v", len(rts), err)
		}
		for i, r := range rts {
			d := days[i%len(days)]
			from := []time.Time{d, d.AddDate(0, 0, 1), d.AddDate(0, 0, -1), start.AddDate(-1, 0, 0)}[i%4]
			until := []any{nil, d, d.AddDate(0, 0, -1), days[(i+1)%len(days)]}[(i/4)%4]
			if u, ok := until.(time.Time); ok && u.Before(from) {
				until = nil
			}
			status := vocab.Published
			if i%13 == 12 {
				status = vocab.Withdrawn
			}
			if _, err := c.ExecContext(ctx, "UPDATE sector_ratings SET entity_id = ?, scheme = 'MARKET_RISK_CLASS', sector = 'MARKET', grade = ?, "+
				"valid_from = ?, valid_until = ?, status = ?, under_objection = ? WHERE id = ?",
				ids[i%len(ids)], []string{"A", "B", "C", "D"}[(i/3)%4], from, until, status, i%11 == 10, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		// Rule set versions from the second day checked (open) and from the fourth until the
		// fifth (its effectiveTo, the first day it no longer applies): each grades differently.
		for i, v := range []struct {
			from time.Time
			to   *time.Time
		}{{days[1], nil}, {days[3], &days[4]}} {
			rs := evaluation.DefaultRuleSet()
			rs.Name = fmt.Sprintf("TEST-v%d", i+2)
			rs.NoRatingScore = 50 + 20*float64(i)
			rs.Bands = []vocab.Band{{Tier: vocab.TierA, MinScore: 950 - 100*float64(i)}, {Tier: vocab.TierB, MinScore: 700}, {Tier: vocab.TierC, MinScore: 500}, {Tier: vocab.TierD, MinScore: 0}}
			if err := c.EvaluationRuleSet.Create().SetName(rs.Name).SetEffectiveFrom(v.from).SetNillableEffectiveTo(v.to).SetRules(rs).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		all, err := c.MarketEntity.Query().IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, day := range days {
			want, got := recomputed(t, ctx, c, vocab.FixedClock(day.Add(6*time.Hour)), all)
			for _, me := range got {
				w := want[me.ID]
				wj, _ := json.Marshal(w.res)
				gj, _ := json.Marshal(me.Evaluation)
				if string(wj) != string(gj) {
					t.Errorf("%s on %s: stored %s, plain reading %s", me.Uscc, day.Format(time.DateOnly), gj, wj)
				}
				if (me.EvaluationDueOn == nil) != (w.due == nil) || (w.due != nil && !me.EvaluationDueOn.Equal(*w.due)) {
					t.Errorf("%s on %s: due %v, plain reading %v", me.Uscc, day.Format(time.DateOnly), me.EvaluationDueOn, w.due)
				}
			}
		}
	})
}

// recomputed recomputes the entities on clock and returns the plain reading of its day and
// every entity as stored then.
func recomputed(t *testing.T, ctx context.Context, c *ent.Client, clock vocab.Clock, ids []int) (map[int]plain, []*ent.MarketEntity) {
	t.Helper()
	if err := evaluator.Recompute(ctx, c, clock, ids...); err != nil {
		t.Fatal(err)
	}
	want := plainReading(t, ctx, c, clock.Today())
	got, err := c.MarketEntity.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return want, got
}

type plain struct {
	res vocab.Result
	due *time.Time
}

// plainReading evaluates every entity from all of its records, read whole and filtered here.
func plainReading(t *testing.T, ctx context.Context, c *ent.Client, day time.Time) map[int]plain {
	t.Helper()
	// The version in force: begun by day, not yet ended (effectiveTo is the first day it no
	// longer applies), the latest begun; the default before any.
	versions, err := c.EvaluationRuleSet.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rs := evaluation.DefaultRuleSet()
	var since time.Time
	var nextRules *time.Time // the first later day a version begins or ends: every evaluation falls due then
	later := func(d time.Time) {
		if d.After(day) && (nextRules == nil || d.Before(*nextRules)) {
			nextRules = &d
		}
	}
	for _, v := range versions {
		if !v.EffectiveFrom.After(day) && (v.EffectiveTo == nil || v.EffectiveTo.After(day)) && !v.EffectiveFrom.Before(since) {
			rs, since = v.Rules, v.EffectiveFrom
		}
		later(v.EffectiveFrom)
		if v.EffectiveTo != nil {
			later(*v.EffectiveTo)
		}
	}
	in := map[int]*evaluation.Input{}
	due := map[int]time.Time{}
	input := func(id int) *evaluation.Input {
		if in[id] == nil {
			in[id] = &evaluation.Input{}
		}
		return in[id]
	}
	lapse := func(id int, last *time.Time) {
		if last == nil {
			return
		}
		if d, ok := due[id]; !ok || last.AddDate(0, 0, 1).Before(d) {
			due[id] = last.AddDate(0, 0, 1)
		}
	}
	ratings, err := c.SectorRating.Query().Order(ent.Asc("valid_from"), ent.Asc("id")).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ratings {
		if r.EntityID == 0 || r.Status != vocab.Published || r.UnderObjection || r.ValidFrom.After(day) || (r.ValidUntil != nil && r.ValidUntil.Before(day)) {
			continue
		}
		x := input(r.EntityID)
		rating := evaluation.Rating{Scheme: string(r.Scheme), Grade: r.Grade, Sector: r.Sector}
		replaced := false
		for i := range x.Ratings {
			if x.Ratings[i].Scheme == rating.Scheme {
				x.Ratings[i], replaced = rating, true
			}
		}
		if !replaced {
			x.Ratings = append(x.Ratings, rating)
		}
		lapse(r.EntityID, r.ValidUntil)
	}
	lists, err := c.ListEntry.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lists {
		active := l.Status == vocab.Published && !l.UnderObjection && l.Exemption == "" &&
			!l.ListedOn.After(day) && l.RemovedOn == nil && (l.PlannedEndOn == nil || !l.PlannedEndOn.Before(day)) &&
			(l.MeasuresEndOn == nil || !l.MeasuresEndOn.Before(day))
		if l.EntityID == 0 || !active {
			continue
		}
		input(l.EntityID).Listings = append(input(l.EntityID).Listings, evaluation.Listing{ListType: string(l.ListType), Severity: l.Severity})
		lapse(l.EntityID, l.PlannedEndOn)
		lapse(l.EntityID, l.MeasuresEndOn)
	}
	pens, err := c.AdministrativePenalty.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pens {
		if p.EntityID == 0 || p.Status != vocab.Published || p.UnderObjection || p.Exemption != "" ||
			p.PublicityDeadline == nil || p.PublicityDeadline.Before(day) {
			continue
		}
		input(p.EntityID).Penalties = append(input(p.EntityID).Penalties, evaluation.Penalty{Severity: p.Severity})
		lapse(p.EntityID, p.PublicityDeadline)
	}
	ids, err := c.MarketEntity.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]plain{}
	for _, id := range ids {
		p := plain{res: evaluation.Evaluate(rs, *input(id))}
		if nextRules != nil {
			lapse(id, ptr(nextRules.AddDate(0, 0, -1)))
		}
		if d, ok := due[id]; ok {
			p.due = &d
		}
		out[id] = p
	}
	return out
}

// A recompute writes in full only the evaluations that change and gives the others their new
// time. Whatever it skips must hold exactly what it would have written: for every column it
// writes, entities whose stored value differs from their records' evaluation in that column
// alone — the JSON also only in its spacing, the due date also where one of the two is none —
// are recomputed among entities that are right, and afterwards every entity holds its
// evaluation from a plain reading of its records, to the JSON's text, with the new time.
func TestARecomputeLeavesNoStoredValueStale(t *testing.T) {
	type corruption struct {
		name   string
		set    string // the SET clause, with one ? for the value
		value  func(me *ent.MarketEntity, text string) (any, bool)
		column string
	}
	flip := func(v, a, b string) string {
		if v == a {
			return b
		}
		return a
	}
	corruptions := []corruption{
		{"tier", "risk_tier = ?", func(me *ent.MarketEntity, _ string) (any, bool) {
			return flip(string(*me.RiskTier), "A", "D"), true
		}, marketentity.FieldRiskTier},
		{"score", "credit_score = ?", func(me *ent.MarketEntity, _ string) (any, bool) { return *me.CreditScore + 1, true }, marketentity.FieldCreditScore},
		{"grade", "credit_grade = ?", func(me *ent.MarketEntity, _ string) (any, bool) {
			return flip(string(*me.CreditGrade), "EXCELLENT", "POOR"), true
		}, marketentity.FieldCreditGrade},
		{"evaluation's spacing", "evaluation = ?", func(_ *ent.MarketEntity, text string) (any, bool) {
			var b bytes.Buffer
			ok := json.Indent(&b, []byte(text), "", " ") == nil
			return b.String(), ok
		}, marketentity.FieldEvaluation},
		{"evaluation's content", "evaluation = ?", func(me *ent.MarketEntity, _ string) (any, bool) {
			changed := *me.Evaluation
			changed.RuleSet += "x"
			text, err := changed.Stored()
			return text, err == nil
		}, marketentity.FieldEvaluation},
		// Rows written before the stored form hold the object form json.Marshal writes.
		{"evaluation in the earlier object form", "evaluation = ?", func(me *ent.MarketEntity, _ string) (any, bool) {
			text, err := json.Marshal(me.Evaluation)
			return string(text), err == nil
		}, marketentity.FieldEvaluation},
		{"due date a day later", "evaluation_due_on = ?", func(me *ent.MarketEntity, _ string) (any, bool) {
			if me.EvaluationDueOn == nil {
				return nil, false
			}
			return me.EvaluationDueOn.AddDate(0, 0, 1), true
		}, marketentity.FieldEvaluationDueOn},
		{"due date none", "evaluation_due_on = ?", func(me *ent.MarketEntity, _ string) (any, bool) {
			return nil, me.EvaluationDueOn != nil
		}, marketentity.FieldEvaluationDueOn},
		{"due date where none is", "evaluation_due_on = ?", func(me *ent.MarketEntity, _ string) (any, bool) {
			return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), me.EvaluationDueOn == nil
		}, marketentity.FieldEvaluationDueOn},
	}
	for _, col := range evaluator.StoredColumns {
		if !slices.ContainsFunc(corruptions, func(c corruption) bool { return c.column == col }) {
			t.Fatalf("the recompute writes %s, and no case here makes it stale", col)
		}
	}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db, ctx := demo(t, e, 300)
		c := db.Client
		ids, err := c.MarketEntity.Query().Order(marketentity.ByID()).IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Now().UTC().Truncate(24 * time.Hour)
		// Penalties in publicity for some of the entities to be corrupted, so that they have a
		// due date (the demo's few penalties may all have lapsed).
		pens, err := c.AdministrativePenalty.Query().IDs(ctx)
		if err != nil || len(pens) < 10 {
			t.Fatalf("the demo's penalties: %d, %v", len(pens), err)
		}
		for i, p := range pens {
			_, err := c.ExecContext(ctx, "UPDATE administrative_penalties SET entity_id = ?, publicity_deadline = ?, status = ?, "+
				"under_objection = ?, exemption = NULL WHERE id = ?", ids[3*i], day.AddDate(0, 1+i, 0), vocab.Published, false, p)
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := evaluator.Recompute(ctx, c, vocab.FixedClock(day.Add(8*time.Hour)), ids...); err != nil {
			t.Fatal(err)
		}
		texts := storedTexts(t, ctx, c)
		entities, err := c.MarketEntity.Query().Order(marketentity.ByID()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Every third entity gets one corruption: each in turn goes to the next such entity it
		// applies to, until none applies to any left.
		made := map[string]int{}
		used := map[int]bool{}
		for more := true; more; {
			more = false
			for _, cr := range corruptions {
				for i := 0; i < len(entities); i += 3 {
					me := entities[i]
					v, ok := cr.value(me, texts[me.ID])
					if used[me.ID] || !ok {
						continue
					}
					if _, err := c.ExecContext(ctx, "UPDATE market_entities SET "+cr.set+" WHERE id = ?", v, me.ID); err != nil {
						t.Fatalf("%s: %v", cr.name, err)
					}
					used[me.ID], more = true, true
					made[cr.name]++
					break
				}
			}
		}
		for _, cr := range corruptions {
			if made[cr.name] == 0 {
				t.Fatalf("no entity could be given %s", cr.name)
			}
		}
		at := day.Add(9 * time.Hour)
		want, got := recomputed(t, ctx, c, vocab.FixedClock(at), ids)
		texts = storedTexts(t, ctx, c)
		for _, me := range got {
			w := want[me.ID]
			wj, err := w.res.Stored()
			switch {
			case err != nil:
				t.Errorf("%s: %v", me.Uscc, err)
			case texts[me.ID] != wj:
				t.Errorf("%s: stored evaluation %s, plain reading %s", me.Uscc, texts[me.ID], wj)
			case me.RiskTier == nil || *me.RiskTier != w.res.Tier:
				t.Errorf("%s: stored tier %s, plain reading %s", me.Uscc, shown(me.RiskTier), w.res.Tier)
			case me.CreditScore == nil || *me.CreditScore != w.res.Score:
				t.Errorf("%s: stored score %s, plain reading %d", me.Uscc, shown(me.CreditScore), w.res.Score)
			case me.CreditGrade == nil || *me.CreditGrade != w.res.Grade:
				t.Errorf("%s: stored grade %s, plain reading %s", me.Uscc, shown(me.CreditGrade), w.res.Grade)
			case (me.EvaluationDueOn == nil) != (w.due == nil) || w.due != nil && !me.EvaluationDueOn.Equal(*w.due):
				t.Errorf("%s: due %v, plain reading %v", me.Uscc, me.EvaluationDueOn, w.due)
			case me.EvaluatedAt == nil || !me.EvaluatedAt.Equal(at):
				t.Errorf("%s: evaluated at %v, the recompute ran at %v", me.Uscc, me.EvaluatedAt, at)
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

// shown is *p, or "none".
func shown[T any](p *T) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

// storedTexts reads every entity's evaluation as the text stored.
func storedTexts(t *testing.T, ctx context.Context, c *ent.Client) map[int]string {
	t.Helper()
	rows, err := c.QueryContext(ctx, "SELECT id, evaluation FROM market_entities")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var id int
		var text sql.NullString
		if err := rows.Scan(&id, &text); err != nil {
			t.Fatal(err)
		}
		out[id] = text.String
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// earlierBuild reads an evaluation as builds before the array form did: encoding/json into
// Result's fields, without Result's own reader (a defined type keeps fields, not methods).
type earlierBuild vocab.Result

// A cluster upgraded server by server runs earlier builds beside this one, and those read
// only the object form. Asked for it, the recompute rewrites every row in it, so that an
// earlier build reads each as this build does; asked for the array again, it rewrites every
// row back. The recompute also converts a database for a return to an earlier build.
func TestTheObjectFormForARollingUpgrade(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db, ctx := demo(t, e, 60)
		c := db.Client
		clock := vocab.FixedClock(time.Now().UTC())
		check := func(form vocab.StoredForm) {
			t.Helper()
			texts := storedTexts(t, ctx, c)
			if len(texts) < 60 {
				t.Fatalf("%d entities", len(texts))
			}
			for id, text := range texts {
				var now vocab.Result
				if err := json.Unmarshal([]byte(text), &now); err != nil {
					t.Fatalf("entity %d: %s: %v", id, text, err)
				}
				var old earlierBuild
				errOld := json.Unmarshal([]byte(text), &old)
				switch form {
				case vocab.ObjectForm:
					if errOld != nil || !reflect.DeepEqual(vocab.Result(old), now) {
						t.Fatalf("entity %d: %s reads in an earlier build as %+v (%v), in this one as %+v", id, text, old, errOld, now)
					}
				case vocab.ArrayForm:
					if !strings.HasPrefix(text, "[2,") {
						t.Fatalf("entity %d: %s is not in the array form", id, text)
					}
				}
			}
		}
		check(vocab.ArrayForm)
		if err := vocab.WriteStored(vocab.ObjectForm); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = vocab.WriteStored(vocab.ArrayForm) })
		if _, err := evaluator.RecomputeAll(ctx, c, clock, false, 25, nil); err != nil {
			t.Fatal(err)
		}
		check(vocab.ObjectForm)
		if err := vocab.WriteStored(vocab.ArrayForm); err != nil {
			t.Fatal(err)
		}
		if _, err := evaluator.RecomputeAll(ctx, c, clock, false, 25, nil); err != nil {
			t.Fatal(err)
		}
		check(vocab.ArrayForm)
	})
}

// The server's daily job recomputes only the entities whose stored due date has come
// (RecomputeAll with dueOnly). So whatever changes an evaluation with the passing of days
// alone must be in that date, or the evaluation stays stale until the entity's next write.
// After one full recompute (as after a rule-set change), the daily job alone runs on days
// from tomorrow to years later. Every entity must then hold what a plain reading of its
// records gives that day. The records end on and beside those days: penalties' windows,
// ratings' validity, listings' publicity, and listings' measures ending before their
// publicity (an EIA rectification listing restricts for 6 months and stays public for 5
// years). Rule set versions begin and end on them too: a version dated ahead, as laws are
// published ahead, applies from its first day.
func TestTheDailyJobKeepsEveryEvaluationCurrent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db, ctx := demo(t, e, 500)
		c := db.Client
		start := vocab.DateOf(time.Now())
		days := []time.Time{start.AddDate(0, 0, 1), start.AddDate(0, 0, 20), start.AddDate(0, 2, 0), start.AddDate(0, 7, 0),
			start.AddDate(1, 1, 0), start.AddDate(2, 0, 0), start.AddDate(4, 0, 0)}
		// around(i) is one of the days checked or the day before or after it.
		around := func(i int) time.Time { return days[(i/3)%len(days)].AddDate(0, 0, i%3-1) }
		ids, err := c.MarketEntity.Query().Order(marketentity.ByID()).Limit(40).IDs(ctx)
		if err != nil || len(ids) < 40 {
			t.Fatalf("the demo's entities: %d, %v", len(ids), err)
		}
		// Every record is moved onto those entities, with its end around a day checked.
		pens, err := c.AdministrativePenalty.Query().Order(ent.Asc("id")).IDs(ctx)
		if err != nil || len(pens) < 20 {
			t.Fatalf("the demo's penalties: %d, %v", len(pens), err)
		}
		for i, p := range pens {
			if _, err := c.ExecContext(ctx, "UPDATE administrative_penalties SET entity_id = ?, severity = ?, publicity_deadline = ?, "+
				"status = ?, under_objection = ?, exemption = NULL WHERE id = ?",
				ids[i%len(ids)], []vocab.Severity{vocab.Minor, vocab.General, vocab.Serious}[i%3], around(i), vocab.Published, false, p); err != nil {
				t.Fatal(err)
			}
		}
		rts, err := c.SectorRating.Query().Order(ent.Asc("id")).Limit(4 * len(ids)).IDs(ctx)
		if err != nil || len(rts) < 4*len(ids) {
			t.Fatalf("the demo's ratings: %d, %v", len(rts), err)
		}
		for i, r := range rts {
			var until any
			if i%4 != 0 {
				until = around(i + 1)
			}
			if _, err := c.ExecContext(ctx, "UPDATE sector_ratings SET entity_id = ?, scheme = 'MARKET_RISK_CLASS', sector = 'MARKET', grade = ?, "+
				"valid_from = ?, valid_until = ?, status = ?, under_objection = ? WHERE id = ?",
				ids[(i/4)%len(ids)], []string{"A", "B", "C", "D"}[i%4], start.AddDate(0, 0, -30+i%4), until, vocab.Published, false, r); err != nil {
				t.Fatal(err)
			}
		}
		lists, err := c.ListEntry.Query().Order(ent.Asc("id")).IDs(ctx)
		if err != nil || len(lists) < 6 {
			t.Fatalf("the demo's list entries: %d, %v", len(lists), err)
		}
		measuresEnd := 0
		for i, l := range lists {
			// Publicity ends around a later day than the measures do, or never; some listings
			// have no end of measures of their own.
			var planned, measures any
			if i%5 != 0 {
				planned = around(i + 9)
			}
			if i%4 != 0 {
				measures = around(i)
				measuresEnd++
			}
			if _, err := c.ExecContext(ctx, "UPDATE list_entries SET entity_id = ?, person_id = NULL, severity = ?, listed_on = ?, planned_end_on = ?, "+
				"measures_end_on = ?, removed_on = NULL, status = ?, under_objection = ?, exemption = NULL WHERE id = ?",
				ids[(7*i)%len(ids)], []vocab.Severity{vocab.General, vocab.Serious}[i%2], start.AddDate(0, -1, 0), planned, measures,
				vocab.Published, false, l); err != nil {
				t.Fatal(err)
			}
		}
		if measuresEnd == 0 {
			t.Fatal("no listing's measures end")
		}
		// A version from the third day checked on, and one from the fifth until the sixth (its
		// effectiveTo, the first day it no longer applies): each grades differently.
		for i, v := range []struct {
			from time.Time
			to   *time.Time
		}{{days[2], nil}, {days[4], &days[5]}} {
			rs := evaluation.DefaultRuleSet()
			rs.Name = fmt.Sprintf("TEST-v%d", i+2)
			rs.NoRatingScore = 50 + 20*float64(i)
			rs.Bands = []vocab.Band{{Tier: vocab.TierA, MinScore: 950 - 100*float64(i)}, {Tier: vocab.TierB, MinScore: 800}, {Tier: vocab.TierC, MinScore: 600}, {Tier: vocab.TierD, MinScore: 0}}
			if err := c.EvaluationRuleSet.Create().SetName(rs.Name).SetEffectiveFrom(v.from).SetNillableEffectiveTo(v.to).SetRules(rs).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		check := func(day time.Time, dueOnly bool) {
			t.Helper()
			if _, err := evaluator.RecomputeAll(ctx, c, vocab.FixedClock(day.Add(6*time.Hour)), dueOnly, 100, nil); err != nil {
				t.Fatal(err)
			}
			want := plainReading(t, ctx, c, day)
			got, err := c.MarketEntity.Query().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			stale := 0
			for _, me := range got {
				wj, _ := json.Marshal(want[me.ID].res)
				gj, _ := json.Marshal(me.Evaluation)
				if string(wj) != string(gj) {
					if stale++; stale <= 5 {
						t.Errorf("%s on %s: stored %s (due %s), plain reading %s", me.Uscc, day.Format(time.DateOnly), gj, shown(me.EvaluationDueOn), wj)
					}
				}
			}
			if stale > 5 {
				t.Errorf("on %s: %d evaluations stale in all", day.Format(time.DateOnly), stale)
			}
		}
		check(start, false)
		for _, day := range days {
			check(day, true)
		}
	})
}
