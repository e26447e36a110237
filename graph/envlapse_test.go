package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/sectors/environment/scorer"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// An environmental deduction counts for its validity period (扣3分（有效期半年）) and then no
// longer, and a new version of the colour bands applies from its first day: an entity's score
// and colour change on such a day though nothing is recorded on it. The rolling ENV_CREDIT_JS
// rating, which the evaluation and every reader of ratings use, must follow. Entities get
// deductions and bonuses expiring on, before and after the days checked (and some for good);
// a band version begins on the third. The server's daily job (Ledger.RescoreLapsed) runs on
// those days only, skipping the days between. After each run every scored entity's rolling
// rating holds the score and colour scorer.EnvScore computes for that day, and its stored
// evaluation is what a recompute gives then.
func TestEnvironmentalScoresFollowExpiriesWithoutAWrite(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		var now atomic.Int64
		start := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
		now.Store(start.Unix())
		clock := vocab.Clock(func() time.Time { return time.Unix(now.Load(), 0).UTC() })
		env := newEnvWith(t, e, 12, storage.Options{Clock: clock})
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		today := clock.Today()
		days := []time.Time{today.AddDate(0, 0, 10), today.AddDate(0, 0, 40), today.AddDate(0, 0, 200), today.AddDate(0, 0, 400)}
		dep := env.departmentID("environment-320500")
		entities := env.entities(12)
		for i, en := range entities {
			id := atoi(t, en.ID)
			// −3 expiring the day before, on or after a day checked; a bonus expiring on another;
			// every third entity also −5 for good.
			expiry := days[(i/3)%len(days)].AddDate(0, 0, i%3-1)
			events := []struct {
				points  int
				expires *time.Time
			}{{-3, &expiry}}
			if i%2 == 0 {
				bonusEnd := days[(i+1)%len(days)]
				events = append(events, struct {
					points  int
					expires *time.Time
				}{+1, &bonusEnd})
			}
			if i%3 == 0 {
				events = append(events, struct {
					points  int
					expires *time.Time
				}{-5, nil})
			}
			for k, ev := range events {
				if err := c.CreditScoreEvent.Create().SetDepartmentID(dep).SetEntityID(id).SetSourceSystem("js-env").
					SetSourceRecordID(fmt.Sprintf("LAPSE-%d-%d", i, k)).SetScheme(creditscoreevent.SchemeENV_CREDIT_JS).
					SetPoints(ev.points).SetCategory("超标排放").SetEffectiveFrom(today.AddDate(0, 0, -30)).
					SetNillableExpiresOn(ev.expires).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		// A band version from the third day checked: BLUE needs 8, YELLOW 4.
		bands := vocab.ScaleParams{InitialScore: 9, MaxScore: 12, Bands: []vocab.GradeBand{{Grade: "GREEN", MinScore: 11},
			{Grade: "BLUE", MinScore: 8}, {Grade: "YELLOW", MinScore: 4}, {Grade: "RED", MinScore: 1}, {Grade: "BLACK", MinScore: 0}}}
		if err := c.ScaleRule.Create().SetScale(vocab.ScaleEnvCredit).SetEffectiveFrom(days[2]).SetParams(bands).SetBasis("test").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		changed := 0
		for _, day := range days {
			now.Store(day.Add(4 * time.Hour).Unix())
			// The daily job's steps that concern scores and evaluations, in its order.
			if _, err := env.db.Ledger.RescoreLapsed(ctx, c); err != nil {
				t.Fatal(err)
			}
			if _, err := evaluator.RecomputeAll(ctx, c, clock, true, 500, nil); err != nil {
				t.Fatal(err)
			}
			for _, en := range entities {
				id := atoi(t, en.ID)
				score, colour, err := scorer.EnvScore(ctx, c, id, day)
				if err != nil {
					t.Fatal(err)
				}
				r, err := c.SectorRating.Query().Where(sectorrating.EntityID(id), sectorrating.SourceSystem("creditgraph-scoring"),
					sectorrating.SchemeEQ(sectorrating.SchemeENV_CREDIT_JS)).Only(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if r.Score == nil || int(*r.Score) != score || r.Grade != string(colour) {
					t.Errorf("%s on %s: rolling rating %s %v, the score that day is %d %s", en.Uscc, day.Format(time.DateOnly), r.Grade, shownScore(r.Score), score, colour)
				}
				stored, err := c.MarketEntity.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if err := evaluator.Recompute(ctx, c, clock, id); err != nil {
					t.Fatal(err)
				}
				again, err := c.MarketEntity.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				sj, _ := json.Marshal(stored.Evaluation)
				aj, _ := json.Marshal(again.Evaluation)
				if string(sj) != string(aj) {
					t.Errorf("%s on %s: stored evaluation %s, a recompute gives %s", en.Uscc, day.Format(time.DateOnly), sj, aj)
				}
				if r.ValidFrom.Equal(day) {
					changed++
				}
			}
		}
		if changed == 0 {
			t.Error("no rolling rating was rescored on a day checked")
		}
	})
}

func shownScore(p *float64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}
