package graph_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/sectors/environment/scorer"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

const createEvent = `mutation($in: CreateCreditScoreEventInput!) { createCreditScoreEvent(input: $in) { id sector } }`

// Environmental credit events move the 12-point score, the colour rating and the tier in the
// same transaction; a half-year snapshot stores the colour of the period's last day.
func TestEnvironmentalScoreEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-environment-clerk")
		var ent struct{ CreateMarketEntity struct{ ID string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州某化工有限公司"}) { id } }`, nil, &ent)
		today := vocab.SystemClock.Today()
		dep := env.departmentID("environment-320500")
		event := func(src string, points int, from time.Time, expires *time.Time) {
			in := map[string]any{"departmentID": dep, "entityID": ent.CreateMarketEntity.ID, "sourceSystem": "js-env", "sourceRecordID": src,
				"scheme": "ENV_CREDIT_JS", "points": points, "category": "超标排放", "effectiveFrom": from.Format(time.DateOnly)}
			if expires != nil {
				in["expiresOn"] = expires.Format(time.DateOnly)
			}
			clerk.mustData(createEvent, map[string]any{"in": in}, nil)
		}
		colour := func() (string, float64, string) {
			var out struct {
				Node    struct{ RiskTier string }
				Ratings struct {
					Edges []struct {
						Node struct {
							Grade  string
							Score  float64
							Period string
						}
					}
				}
			}
			clerk.mustData(`query($id: ID!) { node(id: $id) { ... on MarketEntity { riskTier } }
				ratings: sectorRatings(where: {entityID: $id, scheme: ENV_CREDIT_JS, period: "ROLLING"}) {
				edges { node { grade score period } } } }`, map[string]any{"id": ent.CreateMarketEntity.ID}, &out)
			if len(out.Ratings.Edges) != 1 {
				t.Fatalf("%d rolling environmental ratings", len(out.Ratings.Edges))
			}
			r := out.Ratings.Edges[0].Node
			return r.Grade, r.Score, out.Node.RiskTier
		}
		expiry := today.AddDate(0, 6, 0)
		event("E1", -3, today.AddDate(0, -1, 0), &expiry) // 9 − 3 = 6: BLUE
		if g, s, _ := colour(); g != "BLUE" || s != 6 {
			t.Errorf("after −3: %s %v, want BLUE 6", g, s)
		}
		event("E2", -5, today, nil) // 6 − 5 = 1: RED
		g, s, tier := colour()
		if g != "RED" || s != 1 {
			t.Errorf("after −5: %s %v, want RED 1", g, s)
		}
		if tier != "D" { // RED (30) is its only rating: score 300, in the D band, in the same transaction
			t.Errorf("tier with a RED colour only = %s, want D", tier)
		}
		env.as("demo-environment-clerk").wantError(createEvent, map[string]any{"in": map[string]any{"departmentID": dep,
			"entityID": ent.CreateMarketEntity.ID, "sourceSystem": "js-env", "sourceRecordID": "E3", "scheme": "ENV_CREDIT_JS",
			"points": 3, "category": "奖励", "effectiveFrom": today.Format(time.DateOnly)}}, "BAD_USER_INPUT", "points")
		// The snapshot of a past half-year; the current one is refused. The entity is scored by
		// the half-year's last day by an event of that day, over before today.
		label, last := halfYearBefore(today)
		over := last.AddDate(0, 0, 1)
		event("E0", -1, last, &over)
		var snap struct{ SnapshotEnvironmentalCredit int }
		clerk.mustData(`mutation($d: ID!, $h: String!) { snapshotEnvironmentalCredit(departmentID: $d, halfYear: $h) }`,
			map[string]any{"d": dep, "h": label}, &snap)
		if snap.SnapshotEnvironmentalCredit != 1 {
			t.Errorf("snapshot stored %d ratings, want 1", snap.SnapshotEnvironmentalCredit)
		}
		clerk.mustData(`mutation($d: ID!, $h: String!) { snapshotEnvironmentalCredit(departmentID: $d, halfYear: $h) }`,
			map[string]any{"d": dep, "h": label}, &snap)
		if snap.SnapshotEnvironmentalCredit != 0 {
			t.Error("a second snapshot of the same half-year stored ratings again")
		}
		clerk.wantError(`mutation($d: ID!) { snapshotEnvironmentalCredit(departmentID: $d, halfYear: "2099H1") }`, map[string]any{"d": dep}, "BAD_USER_INPUT", "halfYear")
		env.as("demo-market-clerk").wantError(createEvent, map[string]any{"in": map[string]any{"departmentID": dep,
			"entityID": ent.CreateMarketEntity.ID, "sourceSystem": "js-env", "sourceRecordID": "E4", "scheme": "ENV_CREDIT_JS",
			"points": -1, "category": "警告", "effectiveFrom": today.Format(time.DateOnly)}}, "FORBIDDEN", "")
	})
}

// halfYearBefore is the label of the last half-year that ended before day.
func halfYearBefore(day time.Time) (string, time.Time) {
	if day.Month() > 6 {
		return fmt.Sprintf("%dH1", day.Year()), time.Date(day.Year(), 6, 30, 0, 0, 0, 0, time.UTC)
	}
	return fmt.Sprintf("%dH2", day.Year()-1), time.Date(day.Year()-1, 12, 31, 0, 0, 0, 0, time.UTC)
}

// EIA points: a warning at 10, the rectification list at 20 (reports refused while listed), the
// blacklist on a ban.
func TestEIAPointsListAndRefuseReports(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-environment-clerk")
		var setup struct {
			E struct{ ID string }
			P struct{ ID string }
		}
		clerk.mustData(`mutation { e: createMarketEntity(input: {uscc: "91320214745555318W", name: "无锡某环评有限公司"}) { id } }`, nil, &setup)
		env.as("demo-credit-office").mustData(`mutation { p: createNaturalPerson(input: {idNumber: "360426199101010071", name: "吴某"}) { id } }`, nil, &setup)
		today := vocab.SystemClock.Today()
		dep := env.departmentID("environment-320000")
		score := func(src, subjectKey, subject string, points int, category string, from time.Time, expires *time.Time) {
			in := map[string]any{"departmentID": dep, subjectKey: subject, "sourceSystem": "eia", "sourceRecordID": src,
				"scheme": "EIA_POINTS", "points": points, "category": category, "effectiveFrom": from.Format(time.DateOnly)}
			if expires != nil {
				in["expiresOn"] = expires.Format(time.DateOnly)
			}
			clerk.mustData(createEvent, map[string]any{"in": in}, nil)
		}
		status := func(key, id string) (string, int, bool) {
			var out struct {
				EiaStatus struct {
					Status         string
					CyclePoints    int
					AcceptsReports bool
				}
			}
			env.as("").mustData(fmt.Sprintf(`query($id: ID!) { eiaStatus(%s: $id) { status cyclePoints acceptsReports } }`, key), map[string]any{"id": id}, &out)
			return out.EiaStatus.Status, out.EiaStatus.CyclePoints, out.EiaStatus.AcceptsReports
		}
		score("P1", "entityID", setup.E.ID, 10, "环评文件存在严重质量问题", today.AddDate(0, -2, 0), nil)
		if st, pts, ok := status("entityID", setup.E.ID); st != "WARNING" || pts != 10 || !ok {
			t.Errorf("after 10 points: %s %d accepts=%v", st, pts, ok)
		}
		score("P2", "entityID", setup.E.ID, 10, "弄虚作假", today.AddDate(0, -1, 0), nil)
		if st, _, ok := status("entityID", setup.E.ID); st != "RESTRICTED" || ok {
			t.Errorf("after 20 points: %s accepts=%v, want RESTRICTED and refused", st, ok)
		}
		if n := env.count("list_entries", "list_type = 'EE_EIA_RECTIFICATION' AND entity_id IS NOT NULL"); n != 1 {
			t.Errorf("%d rectification listings, want 1", n)
		}
		// Publicity and punishment are separate (domain.md §3.5): the listing is dated the day
		// the threshold was reached, restricts for 6 months and stays public for 5 years.
		reached := today.AddDate(0, -1, 0)
		var l struct {
			ListEntries struct {
				Edges []struct {
					Node struct{ ListedOn, MeasuresEndOn, PlannedEndOn string }
				}
			}
		}
		env.as("demo-environment-supervisor").mustData(`{ listEntries(where: {listType: EE_EIA_RECTIFICATION}) { edges { node { listedOn measuresEndOn plannedEndOn } } } }`, nil, &l)
		if len(l.ListEntries.Edges) != 1 {
			t.Fatalf("rectification listings: %+v", l)
		}
		if n := l.ListEntries.Edges[0].Node; n.ListedOn != reached.Format(time.DateOnly) || n.MeasuresEndOn != vocab.AddMonths(reached, 6).Format(time.DateOnly) ||
			n.PlannedEndOn != vocab.AddMonths(reached, 60).Format(time.DateOnly) {
			t.Errorf("rectification listing %+v: want listed %s, measures to %s, public to %s", n, reached.Format(time.DateOnly),
				vocab.AddMonths(reached, 6).Format(time.DateOnly), vocab.AddMonths(reached, 60).Format(time.DateOnly))
		}
		banEnd := today.AddDate(1, 0, 0)
		// Blacklisting a person needs a prior notice first: without one the ban is refused whole.
		r := clerk.post(createEvent, map[string]any{"in": map[string]any{"departmentID": dep, "personID": setup.P.ID, "sourceSystem": "eia",
			"sourceRecordID": "B0", "scheme": "EIA_POINTS", "points": 0, "category": "BAN", "effectiveFrom": today.Format(time.DateOnly),
			"expiresOn": banEnd.Format(time.DateOnly)}})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "CONFLICT" {
			t.Fatalf("a ban without prior notice: %+v", r.Errors)
		}
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p, noticeNo: "EIA-N1",
			listType: "EE_EIA_BLACKLIST", facts: "弄虚作假编制环评文件", servedOn: $s, serviceMethod: ELECTRONIC, replyDeadline: $r}) { id } }`,
			map[string]any{"d": dep, "p": setup.P.ID, "s": today.AddDate(0, 0, -20).Format(time.DateOnly), "r": today.AddDate(0, 0, -5).Format(time.DateOnly)}, nil)
		score("B1", "personID", setup.P.ID, 0, "BAN", today.AddDate(0, 0, -1), &banEnd)
		if st, _, ok := status("personID", setup.P.ID); st != "BLACKLISTED" || ok {
			t.Errorf("after a ban: %s accepts=%v", st, ok)
		}
		if n := env.count("list_entries", "list_type = 'EE_EIA_BLACKLIST' AND person_id IS NOT NULL"); n != 1 {
			t.Errorf("%d blacklist listings, want 1", n)
		}
		// Points recorded during the ban are not scored, and the one ban stays one blacklist entry.
		score("B2", "personID", setup.P.ID, 20, "弄虚作假", today, nil)
		if n := env.count("list_entries", "list_type = 'EE_EIA_BLACKLIST' AND person_id IS NOT NULL"); n != 1 {
			t.Errorf("%d blacklist listings after points during the ban, want 1", n)
		}
		if n := env.count("list_entries", "list_type = 'EE_EIA_RECTIFICATION' AND person_id IS NOT NULL"); n != 0 {
			t.Errorf("points during a ban listed the person for rectification")
		}
	})
}

// Government integrity records are visible to the credit office and auditors only.
func TestGovernmentIntegrityRecords(t *testing.T) {
	env := newEnv(t, storagetest.Engines()[0], 0)
	in := map[string]any{"in": map[string]any{"bodyName": "某县人民政府", "bodyUscc": validUSCC("11320000", "01400000"),
		"description": "未履行与企业签订的环保设施建设补助协议", "basis": "《江苏省公共信用信息管理办法》", "recordedOn": "2026-03-01",
		"sourceSystem": "gov", "sourceRecordID": "G1"}}
	const create = `mutation($in: CreateGovernmentIntegrityRecordInput!) { createGovernmentIntegrityRecord(input: $in) { id } }`
	env.as("demo-environment-supervisor").wantError(create, in, "FORBIDDEN", "")
	env.as("demo-credit-office").mustData(create, in, nil)
	for token, want := range map[string]int{"demo-credit-office": 1, "demo-auditor-market": 1, "demo-environment-supervisor": 0, "": 0} {
		var out struct{ GovernmentIntegrityRecords struct{ TotalCount int } }
		env.as(token).mustData(`{ governmentIntegrityRecords { totalCount } }`, nil, &out)
		if out.GovernmentIntegrityRecords.TotalCount != want {
			t.Errorf("%s sees %d government records, want %d", token, out.GovernmentIntegrityRecords.TotalCount, want)
		}
	}
}

// The environmental score starts from the score imported from the provincial system when one
// exists (domain.md §3.1, issue 13 point 7): the events after the import are added to it, those
// before are already in it; the entity keeps one current rolling score, fed by the environment
// department's events only (a rating of the scheme is the environment's, whoever names it).
func TestEnvironmentalScoreStartsFromTheImportedScore(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-environment-clerk")
		var ent struct{ CreateMarketEntity struct{ ID string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州某印染有限公司"}) { id } }`, nil, &ent)
		dep := env.departmentID("environment-320500")
		clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!) { createSectorRating(input: {departmentID: $d, entityID: $e, sourceSystem: "js-env-import",
			sourceRecordID: "IMP-1", scheme: ENV_CREDIT_JS, grade: "GREEN", score: 11, period: "2026H1", validFrom: $on}) { id } }`,
			map[string]any{"d": dep, "e": ent.CreateMarketEntity.ID, "on": todayMinus(60)}, nil)
		event := func(src string, points, daysAgo int) {
			clerk.mustData(createEvent, map[string]any{"in": map[string]any{"departmentID": dep, "entityID": ent.CreateMarketEntity.ID,
				"sourceSystem": "js-env", "sourceRecordID": src, "scheme": "ENV_CREDIT_JS", "points": points, "category": "超标排放",
				"effectiveFrom": todayMinus(daysAgo)}}, nil)
		}
		event("BEFORE", -2, 90) // already in the imported 11
		event("AFTER", -3, 10)  // 11 − 3 = 8
		var out struct {
			SectorRatings struct {
				Edges []struct{ Node struct{ Score float64 } }
			}
		}
		clerk.mustData(`query($id: ID!) { sectorRatings(where: {entityID: $id, scheme: ENV_CREDIT_JS, period: "ROLLING"}) { edges { node { score } } } }`,
			map[string]any{"id": ent.CreateMarketEntity.ID}, &out)
		if len(out.SectorRatings.Edges) != 1 || out.SectorRatings.Edges[0].Node.Score != 8 {
			t.Errorf("rolling scores %+v, want one of 8 (imported 11, then −3)", out.SectorRatings.Edges)
		}
	})
}

// Environmental events for one entity sent at once, by two departments, leave one rolling
// rating whose score is the entity's score recomputed afterwards. The scorer reads the entity's
// events and then writes its rating; without holding the entity's lock first, and with reads as
// of the transaction's snapshot on MariaDB, a write could miss another's event, or two writes
// could each create the rolling rating (its key is unique per department, and the rating's
// department follows the event).
func TestConcurrentEnvironmentalEventsLeaveOneCurrentScore(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-environment-clerk")
		var ent struct{ CreateMarketEntity struct{ ID string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州某化工有限公司"}) { id } }`, nil, &ent)
		entity, _ := strconv.Atoi(ent.CreateMarketEntity.ID)
		deps := []int{env.departmentID("environment-320000"), env.departmentID("environment-320500")}
		const writers, rounds = 6, 3
		concurrently(t, writers, rounds, func(w, r int) error {
			in := map[string]any{"departmentID": deps[(w+r)%2], "entityID": ent.CreateMarketEntity.ID, "sourceSystem": "js-env",
				"sourceRecordID": fmt.Sprintf("C%d-%d", w, r), "scheme": "ENV_CREDIT_JS", "points": -1 - (w+r)%3, "category": "超标排放",
				"effectiveFrom": todayMinus(10 + w)}
			return clerk.sentUntilAnswered(createEvent, map[string]any{"in": in})
		})
		key := fmt.Sprintf("ENV-ROLLING-%d", entity)
		if n := env.count("sector_ratings", "source_record_id = ?", key); n != 1 {
			t.Fatalf("%d rolling ratings for the entity, want 1", n)
		}
		var stored float64
		if err := env.db.SQL.QueryRow("SELECT score FROM sector_ratings WHERE source_record_id = ?", key).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		want, _, err := scorer.EnvScore(authz.SystemContext(context.Background()), env.db.Client, entity, vocab.SystemClock.Today())
		if err != nil {
			t.Fatal(err)
		}
		if stored != float64(want) {
			t.Errorf("the rolling rating's score is %v after the writers, recomputed %d", stored, want)
		}
	})
}

// Two EIA point events of one provider written at once are counted together: 10 points in a
// transaction still open and 10 more sent meanwhile reach the 20 that restrict it, and it is
// listed once. On MariaDB each event's derivation had read the provider's events without the
// other's and neither listed it.
func TestConcurrentEIAPointsAreCountedTogether(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-environment-clerk")
		var setup struct{ E struct{ ID string } }
		clerk.mustData(`mutation { e: createMarketEntity(input: {uscc: "91320214745555318W", name: "无锡某环评有限公司"}) { id } }`, nil, &setup)
		today := vocab.SystemClock.Today()
		dep := env.departmentID("environment-320000")
		ctx := authz.AsSystem(context.Background())
		var r gqlResponse
		err := interleave(t, env, func(c *gen.Client) error {
			return c.CreditScoreEvent.Create().SetDepartmentID(dep).SetEntityID(atoi(t, setup.E.ID)).SetSourceSystem("eia").SetSourceRecordID("C1").
				SetScheme(creditscoreevent.SchemeEIA_POINTS).SetPoints(10).SetCategory("环评文件存在严重质量问题").SetEffectiveFrom(today.AddDate(0, -2, 0)).
				Exec(ctx)
		}, func() error {
			r = clerk.post(createEvent, map[string]any{"in": map[string]any{"departmentID": dep, "entityID": setup.E.ID, "sourceSystem": "eia",
				"sourceRecordID": "C2", "scheme": "EIA_POINTS", "points": 10, "category": "弄虚作假", "effectiveFrom": today.AddDate(0, -1, 0).Format(time.DateOnly)}})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Errors) > 0 {
			t.Fatalf("the second event: %+v", r.Errors)
		}
		if n := env.count("list_entries", "list_type = 'EE_EIA_RECTIFICATION' AND entity_id IS NOT NULL"); n != 1 {
			t.Errorf("%d rectification listings after 20 points, want 1", n)
		}
	})
}
