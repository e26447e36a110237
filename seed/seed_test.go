package seed_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/ent/publicityrule"
	"github.com/creditgraph/creditgraph/ent/scalerule"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

func load(t *testing.T, e storagetest.Engine, entities int) *ent.Client {
	t.Helper()
	db := e.Open(t, storagetest.Options{})
	o := seed.DefaultOptions()
	o.Entities = entities
	loaded, err := seed.Demo(context.Background(), db.Client, o)
	if err != nil || !loaded {
		t.Fatalf("Demo = %v, %v", loaded, err)
	}
	// A second run loads nothing: the server calls it on every start.
	if again, err := seed.Demo(context.Background(), db.Client, o); err != nil || again {
		t.Fatalf("second Demo = %v, %v; want false, nil", again, err)
	}
	return db.Client
}

func TestDemoIsDeterministicAndPlausible(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := authz.SystemContext(context.Background())
		a, b := load(t, e, 1000), load(t, storagetest.Engines()[0], 1000)
		codes := func(c *ent.Client) []string {
			return c.MarketEntity.Query().Order(ent.Asc(marketentity.FieldID)).Select(marketentity.FieldUscc).StringsX(ctx)
		}
		ca, cb := codes(a), codes(b)
		if len(ca) != 1000 || len(cb) != 1000 {
			t.Fatalf("got %d and %d entities", len(ca), len(cb))
		}
		for i := range ca {
			if ca[i] != cb[i] {
				t.Fatalf("entity %d differs between two loads with the same seed: %s vs %s", i, ca[i], cb[i])
			}
			if st, err := ident.ValidateUSCC(ca[i], false); err != nil || st != ident.USCCOK {
				t.Fatalf("demo USCC %s: %v", ca[i], err)
			}
			if _, err := ident.OrgCodeCheckChar(ca[i][8:16]); err != nil {
				t.Fatal(err)
			}
		}
		cities := map[string]bool{}
		for _, c := range a.MarketEntity.Query().Select(marketentity.FieldCityCode).StringsX(ctx) {
			cities[c] = true
		}
		if len(cities) != 13 {
			t.Errorf("demo entities span %d cities, want all 13", len(cities))
		}
		persons := a.NaturalPerson.Query().CountX(ctx)
		penalised := a.MarketEntity.Query().Where(marketentity.HasPenalties()).CountX(ctx)
		serious := a.ListEntry.Query().CountX(ctx)
		withRep := a.MarketEntity.Query().Where(marketentity.HasLegalRepresentative()).CountX(ctx)
		sectorsSeen := map[string]bool{}
		for _, r := range a.SectorRating.Query().AllX(ctx) {
			sectorsSeen[string(r.Sector)] = true
		}
		for _, p := range a.AdministrativePenalty.Query().AllX(ctx) {
			sectorsSeen[string(p.Sector)] = true
		}
		t.Logf("persons %d, penalised %d, list entries %d, with legal rep %d", persons, penalised, serious, withRep)
		switch {
		case persons < 1400:
			t.Errorf("%d persons for 1000 entities, want about 1500", persons)
		case penalised < 10 || penalised > 100:
			t.Errorf("%d of 1000 entities penalised, want a few percent", penalised)
		case serious == 0 || serious > 60:
			t.Errorf("%d list entries, want a small share", serious)
		case withRep != 1000:
			t.Errorf("%d entities with a legal representative, want all", withRep)
		case len(sectorsSeen) != 4:
			t.Errorf("records from sectors %v, want all four", sectorsSeen)
		}
		plausible(t, a)
	})
}

// plausible checks what an official would check in loaded data (domain.md §0, §1.3, §3): new
// entities are registered in today's divisions, not in ones abolished since; a listed entity's
// grades agree with its list — the SAMR serious list is high risk (D), the abnormal-operations
// list at best C, a wage-arrears listing comes with labour grade C.
func plausible(t *testing.T, c *ent.Client) {
	t.Helper()
	ctx := authz.SystemContext(context.Background())
	for _, code := range c.MarketEntity.Query().Unique(true).Select(marketentity.FieldDivisionCode).StringsX(ctx) {
		if d, ok := ident.LookupDivision(code); !ok || !d.Current {
			t.Errorf("entities registered in %s (%+v), not a current division", code, d)
		}
	}
	allowed := map[listentry.ListType]struct {
		scheme string
		grades []string
	}{
		listentry.ListTypeMS_SERIOUS_ILLEGAL_DISHONEST: {"MARKET_RISK_CLASS", []string{"D"}},
		listentry.ListTypeMS_ABNORMAL_OPERATION:        {"MARKET_RISK_CLASS", []string{"C", "D"}},
		listentry.ListTypeHR_WAGE_ARREARS:              {"LABOUR_INTEGRITY", []string{"C"}},
	}
	checked := 0
	for _, l := range c.ListEntry.Query().Where(listentry.EntityIDNEQ(0)).AllX(ctx) {
		a, ok := allowed[l.ListType]
		if !ok {
			continue
		}
		grades := c.SectorRating.Query().Where(sectorrating.EntityID(l.EntityID), sectorrating.SchemeEQ(sectorrating.Scheme(a.scheme))).
			Select(sectorrating.FieldGrade).StringsX(ctx)
		if len(grades) == 0 {
			t.Errorf("entity %d on %s has no %s grade", l.EntityID, l.ListType, a.scheme)
		}
		for _, g := range grades {
			if !slices.Contains(a.grades, g) {
				t.Errorf("entity %d on %s has %s grade %s, want one of %v", l.EntityID, l.ListType, a.scheme, g, a.grades)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Error("no listed entity to check")
	}
}

// The reference data reach a database made before a scale existed: a scale without rows gets
// its versions on the next start, and a scale that has rows — the credit office's own
// versions among them — is left as it is.
func TestReferenceAddsOnlyMissingScales(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		count := func(s vocab.Scale) int {
			n, err := db.Client.ScaleRule.Query().Where(scalerule.ScaleEQ(s)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if count(vocab.ScaleRepairBars) == 0 || count(vocab.ScaleRepairWaivers) == 0 {
			t.Fatal("the reference data lack a scale")
		}
		// As made before REPAIR_BARS, with one version of the waivers of the office's own.
		if _, err := db.Client.ScaleRule.Delete().Where(scalerule.ScaleEQ(vocab.ScaleRepairBars)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Client.ScaleRule.Create().SetScale(vocab.ScaleRepairWaivers).SetEffectiveFrom(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)).
			SetParams(vocab.ScaleParams{}).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		waivers := count(vocab.ScaleRepairWaivers)
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		if count(vocab.ScaleRepairBars) == 0 {
			t.Error("a scale without rows was not loaded on the next start")
		}
		if n := count(vocab.ScaleRepairWaivers); n != waivers {
			t.Errorf("a scale with rows went from %d to %d versions", waivers, n)
		}
	})
}

// SAMR Order 45 counts a penalty's window from its publication (art. 13): the reference data
// anchor its rows there and every other penalty rule at the decision. A database loaded before
// anchors were data gets Order 45's on the next start; a row the office anchored itself keeps
// its anchor, and no other rule set is touched.
func TestReferenceAnchorsOrder45AtPublication(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		anchors := func() map[string]map[string]int {
			rows, err := db.Client.PublicityRule.Query().Where(publicityrule.Or(publicityrule.ListTypeIsNil(), publicityrule.ListTypeEQ("")), publicityrule.CommitmentKindIsNil()).All(ctx)
			if err != nil || len(rows) == 0 {
				t.Fatalf("penalty rules: %d, %v", len(rows), err)
			}
			out := map[string]map[string]int{}
			for _, r := range rows {
				a := "none"
				if r.StartAnchor != nil {
					a = string(*r.StartAnchor)
				}
				if out[r.RuleSet] == nil {
					out[r.RuleSet] = map[string]int{}
				}
				out[r.RuleSet][a]++
			}
			return out
		}
		for set, n := range anchors() {
			want := "DECISION_DATE"
			if set == "SAMR-ORDER-45" {
				want = "PUBLICATION_DATE"
			}
			if len(n) != 1 || n[want] == 0 {
				t.Errorf("loaded: %s's rules are anchored %v, want all %s", set, n, want)
			}
		}
		// As loaded before the column: no anchors; then one Order 45 row anchored by the office.
		if _, err := db.SQL.Exec("UPDATE publicity_rules SET start_anchor = NULL"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.Exec(`UPDATE publicity_rules SET start_anchor = 'DECISION_DATE' WHERE id = (SELECT id FROM
			(SELECT MIN(id) AS id FROM publicity_rules WHERE rule_set = 'SAMR-ORDER-45') m)`); err != nil {
			t.Fatal(err)
		}
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		for set, n := range anchors() {
			switch {
			case set == "SAMR-ORDER-45" && (len(n) != 2 || n["DECISION_DATE"] != 1 || n["PUBLICATION_DATE"] == 0):
				t.Errorf("upgraded: Order 45's rules are anchored %v, want the office's one at the decision and the rest at publication", n)
			case set != "SAMR-ORDER-45" && (len(n) != 1 || n["none"] == 0):
				t.Errorf("upgraded: %s's rules are anchored %v, want them left as they were", set, n)
			}
		}
	})
}

// The wage-arrears list is entered only after an order to pay by a deadline: the reference
// data mark its rule so and no other list's. A database loaded before the mark gets it on the
// next start; a rule the office marked itself keeps its mark.
func TestReferenceMarksTheListsEnteredAfterAnOrder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		marks := func() map[string]string {
			rows, err := db.Client.PublicityRule.Query().Where(publicityrule.ListTypeNotNil(), publicityrule.ListTypeNEQ("")).All(ctx)
			if err != nil || len(rows) < 5 {
				t.Fatalf("list rules: %d, %v", len(rows), err)
			}
			out := map[string]string{}
			for _, r := range rows {
				out[r.ListType] = "none"
				if r.OrderFirst != nil {
					out[r.ListType] = fmt.Sprint(*r.OrderFirst)
				}
			}
			return out
		}
		for lt, m := range marks() {
			if want := fmt.Sprint(lt == "HR_WAGE_ARREARS"); m != want {
				t.Errorf("loaded: %s's rule order-first %s, want %s", lt, m, want)
			}
		}
		if _, err := db.SQL.Exec("UPDATE publicity_rules SET order_first = NULL"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.Exec("UPDATE publicity_rules SET order_first = ? WHERE list_type = 'HR_SOCIAL_INSURANCE_SERIOUS'", true); err != nil {
			t.Fatal(err)
		}
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		for lt, m := range marks() {
			want := "none"
			switch lt {
			case "HR_WAGE_ARREARS", "HR_SOCIAL_INSURANCE_SERIOUS":
				want = "true"
			}
			if m != want {
				t.Errorf("upgraded: %s's rule order-first %s, want %s", lt, m, want)
			}
		}
		// An office that decided the wage-arrears list needs no order keeps its decision.
		if _, err := db.SQL.Exec("UPDATE publicity_rules SET order_first = ? WHERE list_type = 'HR_WAGE_ARREARS'", false); err != nil {
			t.Fatal(err)
		}
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		if m := marks()["HR_WAGE_ARREARS"]; m != "false" {
			t.Errorf("the office's own mark on the wage-arrears rule became %s", m)
		}
	})
}

// SAMR Order 44 adds a bar to early removal from its serious list (art. 20); it came into force
// with Order 45's bar, so it joins that same version, and counts an aggravated fine since this
// build records one. A database that still holds the version as first loaded, or as loaded
// before the aggravated fine, gets today's on the next start; a version the office changed keeps
// its own bars, and a second start changes nothing more.
func TestReferenceAddsOrder44sBarsToEarlierVersions(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		versions := func() []vocab.ScaleParams {
			rows, err := db.Client.ScaleRule.Query().Where(scalerule.ScaleEQ(vocab.ScaleRepairBars)).Order(ent.Asc(scalerule.FieldID)).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []vocab.ScaleParams
			for _, r := range rows {
				out = append(out, r.Params)
			}
			return out
		}
		covers := func(p vocab.ScaleParams) bool {
			for _, b := range p.Bars {
				if b.Covers("", "MS_SERIOUS_ILLEGAL_DISHONEST") && slices.Contains(b.HeavierPenaltyAgain, vocab.RevokeLicence) && b.AggravatedFineAgain {
					return true
				}
			}
			return false
		}
		loaded := versions()
		if len(loaded) != 1 || !covers(loaded[0]) {
			t.Fatalf("loaded REPAIR_BARS: %+v, want one version with Order 44's bar", loaded)
		}
		// A version the office changed keeps its bars.
		own := vocab.ScaleParams{Bars: []vocab.RepairBar{{RuleSets: []string{"SAMR-ORDER-45"}, SameViolationAgain: true}}}
		if err := db.Client.ScaleRule.Update().Where(scalerule.ScaleEQ(vocab.ScaleRepairBars)).SetParams(own).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		if got := versions(); len(got) != 1 || !reflect.DeepEqual(got[0], own) {
			t.Fatalf("a version the office changed became %+v", got)
		}
		// As first loaded, Order 45's bar alone, and as loaded before the aggravated fine (the
		// JSON an earlier build stored): brought up to date, once.
		for _, earlier := range []string{
			`{"bars":[{"ruleSets":["SAMR-ORDER-45"],"lists":["MS_ABNORMAL_OPERATION","MS_SERIOUS_ILLEGAL_DISHONEST"],"sameViolationAgain":true}]}`,
			`{"bars":[{"ruleSets":["SAMR-ORDER-45"],"lists":["MS_ABNORMAL_OPERATION","MS_SERIOUS_ILLEGAL_DISHONEST"],"sameViolationAgain":true,"basis":"《市场监督管理行政处罚信息公示规定》（总局令第45号）第十四条：未因同一类违法行为再次受到市场监督管理部门行政处罚，未在经营异常名录和严重违法失信名单中"},` +
				`{"listTypes":["MS_SERIOUS_ILLEGAL_DISHONEST"],"heavierPenaltyAgain":["LOWER_QUALIFICATION","REVOKE_LICENCE","RESTRICT_BUSINESS","ORDER_SUSPEND","ORDER_CLOSE","RESTRICT_EMPLOYMENT"],"basis":"《市场监督管理严重违法失信名单管理办法》（总局令第44号）第二十条：未再受到市场监督管理部门较重行政处罚；较重行政处罚见第二条 [R]"}]}`,
		} {
			if _, err := db.SQL.Exec(`UPDATE scale_rules SET params = ? WHERE scale = 'REPAIR_BARS'`, earlier); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if err := seed.Reference(ctx, db.Client); err != nil {
					t.Fatal(err)
				}
				if got := versions(); len(got) != 1 || !reflect.DeepEqual(got[0], loaded[0]) {
					t.Fatalf("the version %s became %+v, want %+v", earlier, got, loaded[0])
				}
			}
		}
	})
}

// A step whose time limit is new (withdrawing a penalty whose decision was revoked) gets it on
// the next start of a database loaded before; limits the office changed are kept, and nothing
// else is loaded twice.
func TestReferenceAddsMissingTimeLimits(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		count := func(table string) int {
			var n int
			if err := db.SQL.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		limits, periods := count("time_limits"), count("exemption_periods")
		if _, err := db.SQL.Exec("DELETE FROM time_limits WHERE `procedure` = 'PENALTY'"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.Exec("UPDATE time_limits SET working_days = 4 WHERE `procedure` = 'REPAIR' AND step = 'ACCEPT'"); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := seed.Reference(ctx, db.Client); err != nil {
				t.Fatal(err)
			}
			var withdraw, accept int
			if err := db.SQL.QueryRow("SELECT working_days FROM time_limits WHERE `procedure` = 'PENALTY' AND step = 'WITHDRAW'").Scan(&withdraw); err != nil {
				t.Fatalf("the withdrawal's limit was not loaded again: %v", err)
			}
			if err := db.SQL.QueryRow("SELECT working_days FROM time_limits WHERE `procedure` = 'REPAIR' AND step = 'ACCEPT'").Scan(&accept); err != nil {
				t.Fatal(err)
			}
			if withdraw != 3 || accept != 4 || count("time_limits") != limits || count("exemption_periods") != periods {
				t.Errorf("after a start: withdraw %d days (want 3), accept %d (the office's 4), %d limits (want %d), %d exemption periods (want %d)",
					withdraw, accept, count("time_limits"), limits, count("exemption_periods"), periods)
			}
		}
	})
}

// Every table Reference fills is either required by ReferenceMissing or listed as optional with
// its reason, so reference data added later cannot be forgotten by the check that commands rely
// on; and emptying any required table alone makes ReferenceMissing name it.
func TestReferenceMissingNamesEveryTableReferenceFills(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		filled := func() map[string]bool {
			got := map[string]bool{}
			for _, tb := range migrate.Tables {
				if storagetest.Count(t, db, tb.Name, "") > 0 {
					got[tb.Name] = true
				}
			}
			return got
		}
		before := filled()
		required, what := seed.RequiredReference()
		missing, err := seed.ReferenceMissing(ctx, db.Client)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) != len(required) {
			t.Errorf("a migrated database without reference data: missing %q, want all %d of %v", missing, len(required), required)
		}
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		if missing, err := seed.ReferenceMissing(ctx, db.Client); err != nil || len(missing) > 0 {
			t.Fatalf("after Reference: missing %q, %v", missing, err)
		}
		after := filled()
		for tb := range after {
			if !before[tb] && !slices.Contains(required, tb) && seed.OptionalReference[tb] == "" {
				t.Errorf("Reference fills %s, which ReferenceMissing does not check: add it to requiredReference, or to optionalReference with the reason it may be empty", tb)
			}
		}
		for _, tb := range required {
			if !after[tb] || before[tb] {
				t.Errorf("%s is required reference data, but Reference does not fill it", tb)
			}
		}
		for tb := range seed.OptionalReference {
			if !after[tb] {
				t.Errorf("%s is listed as optional reference data, but Reference does not fill it", tb)
			}
		}
		for i, tb := range required {
			tx, err := db.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Client().ExecContext(ctx, "DELETE FROM "+tb); err != nil {
				_ = tx.Rollback()
				t.Fatal(err)
			}
			missing, err := seed.ReferenceMissing(ctx, tx.Client())
			_ = tx.Rollback()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(missing, what[i:i+1]) {
				t.Errorf("%s emptied: missing %q, want only %q", tb, missing, what[i])
			}
		}
	})
}

// Loads of the reference data that start together — instances started with --migrate, each
// its own process with its own pool (here its own handle) — run one after the other: every
// load succeeds and each table holds what one load gives. Before, one round of three left two
// copies of the publicity rules, and loads failed on the catalogue's unique keys.
func TestConcurrentReferenceLoadsLoadOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		tables, _ := seed.RequiredReference()
		for tb := range seed.OptionalReference {
			if tb != "reference_loads" {
				tables = append(tables, tb)
			}
		}
		want := map[string]int{}
		for _, tb := range tables {
			want[tb] = storagetest.Count(t, db, tb, "")
		}
		instances := []*storage.DB{db, storagetest.Reopen(t, db, storagetest.Options{}), storagetest.Reopen(t, db, storagetest.Options{})}
		for round := range 3 {
			// The database an earlier build migrated: the schema, no reference data.
			for _, tb := range slices.Backward(tables) {
				if _, err := db.SQL.Exec("DELETE FROM " + tb); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for i, in := range instances {
				wg.Go(func() {
					if err := seed.Reference(ctx, in.Client); err != nil {
						t.Errorf("round %d: load %d beside two others: %v", round, i, err)
					}
				})
			}
			wg.Wait()
			for _, tb := range tables {
				if n := storagetest.Count(t, db, tb, ""); n != want[tb] {
					t.Errorf("round %d: %s holds %d rows after three loads at once, %d after one", round, tb, n, want[tb])
				}
			}
		}
	})
}
