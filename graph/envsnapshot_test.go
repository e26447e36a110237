package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// The half-year snapshot, the basis of the electricity and sewage surcharges for RED and BLACK
// (domain.md §3.1), is every scored entity's environmental credit on the half-year's last
// day. Entities get scores imported from the provincial system (before the last day, after it,
// two of them, one not published), events on, before and after the last day that expire
// before, on or after it, some withdrawn or under objection — or none of these. The oracle
// reads them back by SQL: an entity has a score on the day when an imported score or an event
// is dated by then; its score is the newest imported score by then (else the scale's initial
// score) plus the events after it in effect that day, capped at the maximum, and its colour
// the band of the scale version in force that day.
func TestHalfYearSnapshotIsTheScoreOnItsLastDay(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 60)
		ctx := authz.SystemContext(context.Background())
		c := env.db.Client
		r := rand.New(rand.NewPCG(31, 12))
		label, last := halfYearBefore(vocab.SystemClock.Today())
		dep := env.departmentID("environment-320500")
		day := func(n int) time.Time { return last.AddDate(0, 0, n) }
		entities := sqlIDs(t, env, `SELECT id FROM market_entities e WHERE NOT EXISTS (SELECT 1 FROM credit_score_events s WHERE s.entity_id = e.id)
			AND NOT EXISTS (SELECT 1 FROM sector_ratings g WHERE g.entity_id = e.id AND g.scheme = 'ENV_CREDIT_JS') ORDER BY id LIMIT 40`)
		if len(entities) < 40 {
			t.Fatalf("%d entities free of environmental credit", len(entities))
		}
		n := 0
		for i, id := range entities {
			eid := atoi(t, id)
			imports := [][2]int{} // (days from the last day, score)
			switch i % 5 {
			case 1:
				imports = append(imports, [2]int{-30, r.IntN(13)})
			case 2:
				imports = append(imports, [2]int{1, r.IntN(13)})
			case 3:
				imports = append(imports, [2]int{-200, r.IntN(13)}, [2]int{-20, r.IntN(13)})
			}
			for j, imp := range imports {
				n++
				g := c.SectorRating.Create().SetDepartmentID(dep).SetEntityID(eid).SetSourceSystem("js-env-import").SetSourceRecordID(fmt.Sprint("IMP-", n)).
					SetScheme(sectorrating.SchemeENV_CREDIT_JS).SetGrade("BLUE").SetScore(float64(imp[1])).SetPeriod("IMPORTED").SetValidFrom(day(imp[0]))
				if i%10 == 3 && j == 1 {
					g.SetStatus(vocab.Withdrawn) // the newer import withdrawn: the older one stands
				}
				if err := g.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if i%7 == 6 {
				continue // no events
			}
			for range r.IntN(4) {
				n++
				from := day([]int{-100, -40, -1, 0, 1}[r.IntN(5)])
				ev := c.CreditScoreEvent.Create().SetDepartmentID(dep).SetEntityID(eid).SetSourceSystem("js-env").SetSourceRecordID(fmt.Sprint("EV-", n)).
					SetScheme(creditscoreevent.SchemeENV_CREDIT_JS).SetPoints([]int{-1, -2, -3, -6, -12, 1, 2}[r.IntN(7)]).SetCategory("超标排放").SetEffectiveFrom(from)
				if k := r.IntN(4); k > 0 {
					expires := []time.Time{day(-1), day(0), day(1)}[k-1]
					if expires.Before(from) {
						expires = from
					}
					ev.SetExpiresOn(expires)
				}
				switch r.IntN(10) {
				case 0:
					ev.SetStatus(vocab.Withdrawn)
				case 1:
					ev.SetUnderObjection(true)
				}
				if err := ev.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		var snap struct{ SnapshotEnvironmentalCredit int }
		env.as("demo-environment-clerk").mustData(`mutation($d: ID!, $h: String!) { snapshotEnvironmentalCredit(departmentID: $d, halfYear: $h) }`,
			map[string]any{"d": dep, "h": label}, &snap)

		// The oracle.
		ymd := last.Format(time.DateOnly)
		var scale struct {
			InitialScore, MaxScore int
			Bands                  []struct {
				Grade    string
				MinScore int
			}
		}
		versions := sqlStrings(t, env, `SELECT params FROM scale_rules WHERE scale = 'ENV_CREDIT_JS' AND SUBSTR(effective_from, 1, 10) <= ?
			AND (effective_to IS NULL OR SUBSTR(effective_to, 1, 10) > ?) ORDER BY effective_from DESC`, ymd, ymd)
		if len(versions) == 0 || json.Unmarshal([]byte(versions[0]), &scale) != nil || len(scale.Bands) == 0 {
			t.Fatalf("no environmental credit scale on %s: %v", ymd, versions)
		}
		scored, kinds := 0, map[string]int{}
		for i, id := range entities {
			eid := atoi(t, id)
			base := sqlColumn[float64](t, env, `SELECT score FROM sector_ratings WHERE entity_id = ? AND scheme = 'ENV_CREDIT_JS'
				AND source_system <> 'creditgraph-scoring' AND score IS NOT NULL AND status = 'PUBLISHED' AND SUBSTR(valid_from, 1, 10) <= ?
				ORDER BY valid_from DESC, id DESC`, eid, ymd)
			since := sqlStrings(t, env, `SELECT SUBSTR(valid_from, 1, 10) FROM sector_ratings WHERE entity_id = ? AND scheme = 'ENV_CREDIT_JS'
				AND source_system <> 'creditgraph-scoring' AND score IS NOT NULL AND status = 'PUBLISHED' AND SUBSTR(valid_from, 1, 10) <= ?
				ORDER BY valid_from DESC, id DESC`, eid, ymd)
			counted := `entity_id = ? AND scheme = 'ENV_CREDIT_JS' AND status = 'PUBLISHED' AND NOT under_objection AND SUBSTR(effective_from, 1, 10) <= ?`
			has := len(base) > 0 || env.count("credit_score_events", counted, eid, ymd) > 0
			score := scale.InitialScore
			after := "0000-00-00"
			if len(base) > 0 {
				score, after = int(base[0]), since[0]
			}
			for _, p := range sqlColumn[int](t, env, `SELECT points FROM credit_score_events WHERE `+counted+`
				AND (expires_on IS NULL OR SUBSTR(expires_on, 1, 10) > ?) AND SUBSTR(effective_from, 1, 10) > ?`, eid, ymd, ymd, after) {
				score += p
			}
			score = min(score, scale.MaxScore)
			colour := scale.Bands[len(scale.Bands)-1].Grade
			for _, b := range scale.Bands {
				if score >= b.MinScore {
					colour = b.Grade
					break
				}
			}
			type rating struct {
				Grade string
				Score float64
			}
			var got []rating
			rows, err := env.db.SQL.Query(`SELECT grade, score FROM sector_ratings WHERE entity_id = ? AND source_system = 'creditgraph-scoring'
				AND source_record_id = ?`, eid, fmt.Sprintf("ENV-SNAP-%d-%s", eid, label))
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var g rating
				if err := rows.Scan(&g.Grade, &g.Score); err != nil {
					t.Fatal(err)
				}
				got = append(got, g)
			}
			rows.Close()
			switch {
			case !has && len(got) > 0:
				t.Errorf("entity %d (case %d) had no environmental credit on %s but got a snapshot %+v", eid, i, ymd, got)
			case has && (len(got) != 1 || got[0].Grade != colour || int(got[0].Score) != score):
				t.Errorf("entity %d (case %d): snapshot %+v, want %s %d", eid, i, got, colour, score)
			}
			if has {
				scored++
				kinds[colour]++
			}
		}
		if scored == 0 || len(kinds) < 3 || snap.SnapshotEnvironmentalCredit < scored {
			t.Errorf("the snapshot stored %d ratings; %d of these entities were scored on %s, in colours %v", snap.SnapshotEnvironmentalCredit, scored, ymd, kinds)
		}
	})
}
