package evaluator_test

import (
	"context"
	"encoding/json"
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
// plain Go filters them — whatever the queries behind Recompute aggregate or leave out — and the
// earliest day after which one of those records stops counting. Checked on days from the
// data's own to years later, as penalties, listings and ratings lapse, with entities given
// extra penalties of every severity so that several of one severity meet.
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
			_, err := c.ExecContext(ctx, "UPDATE administrative_penalties SET entity_id = ?, severity = ?, publicity_deadline = ?, "+
				"status = ?, under_objection = ?, exemption = NULL WHERE id = ?",
				ids[i%len(ids)], sevs[(i/(2*len(ids)))%3], deadline, vocab.Published, false, p.ID)
			if err != nil {
				t.Fatal(err)
			}
		}
		if moved < 6*len(ids) {
			t.Fatalf("only %d penalties to move", moved)
		}
		all, err := c.MarketEntity.Query().IDs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now().UTC().Truncate(24 * time.Hour)
		for _, day := range []time.Time{start, start.AddDate(0, 6, 0), start.AddDate(1, 0, 0), start.AddDate(2, 0, 0), start.AddDate(4, 0, 0)} {
			clock := vocab.FixedClock(day.Add(6 * time.Hour))
			if err := evaluator.Recompute(ctx, c, clock, all...); err != nil {
				t.Fatal(err)
			}
			want := plainReading(t, ctx, c, clock.Today())
			got, err := c.MarketEntity.Query().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
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

type plain struct {
	res vocab.Result
	due *time.Time
}

// plainReading evaluates every entity from all of its records, read whole and filtered here.
func plainReading(t *testing.T, ctx context.Context, c *ent.Client, day time.Time) map[int]plain {
	t.Helper()
	rs, err := evaluator.RuleSetAt(ctx, c, day)
	if err != nil {
		t.Fatal(err)
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
		if d, ok := due[id]; ok {
			p.due = &d
		}
		out[id] = p
	}
	return out
}
