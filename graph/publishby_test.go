package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A penalty whose publicity window counts from publication (SAMR Order 45 art. 13) is due for
// publication within the PENALTY/PUBLISH time limit of working days from its decision (art. 9:
// 20). Penalties of each sector are decided on every day from 15 September to 15 October
// 2026 (the Mid-Autumn and National Day holidays, and the Sundays worked for them); market
// warnings alone (not published under Order 45); a decision date corrected; a limit version
// from 1 October. Every penalty's publishBy is what an oracle counts by SQL — a published
// penalty of a rule set with rules counting from publication: the decision date plus the limit
// in force that day, counted over the holidays table; any other: none. A database made before
// publishBy (the column emptied) gets every one back on the next start (seed.Reference).
func TestAPenaltyIsDueForPublicationWithinItsTimeLimit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		ctx := authz.SystemContext(context.Background())
		day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
		if err := env.db.Client.TimeLimit.Create().SetProcedure("PENALTY").SetStep("PUBLISH").SetWorkingDays(10).
			SetEffectiveFrom(day("2026-10-01")).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		n := 0
		create := func(dep, token, decided string, cats ...string) string {
			n++
			in := penaltyInput(env, dep, fmt.Sprintf("PB-%d", n))
			in["in"].(map[string]any)["decisionDate"] = decided
			if len(cats) > 0 {
				in["in"].(map[string]any)["penaltyCategories"] = cats
			}
			var out struct{ CreateAdministrativePenalty struct{ ID string } }
			env.as(token).mustData(createPenaltyQ, in, &out)
			return out.CreateAdministrativePenalty.ID
		}
		var corrected string
		for d := day("2026-09-15"); !d.After(day("2026-10-15")); d = d.AddDate(0, 0, 1) {
			on := d.Format(time.DateOnly)
			id := create("market-320500", "demo-market-clerk", on)
			if on == "2026-09-20" {
				corrected = id
			}
			create("environment-320000", "demo-environment-clerk", on)
			if d.Day()%5 == 0 {
				create("market-320500", "demo-market-clerk", on, "WARNING")
				create("labour-320000", "demo-labour-clerk", on)
			}
		}
		env.as("demo-market-clerk").mustData(`mutation($id: ID!) { updateAdministrativePenalty(id: $id, input: {decisionDate: "2026-09-29"}) { id } }`,
			map[string]any{"id": corrected}, nil)

		// oracle checks every penalty against the rules read back by SQL.
		oracle := func(when string) {
			t.Helper()
			due := map[int]bool{}
			for _, id := range sqlIDs(t, env, `SELECT id FROM administrative_penalties WHERE publicity_start IS NOT NULL
				AND publicity_rule_set IN (SELECT rule_set FROM publicity_rules WHERE start_anchor = 'PUBLICATION_DATE')`) {
				due[atoi(t, id)] = true
			}
			counted := map[string]int{}
			ps := env.db.Client.AdministrativePenalty.Query().AllX(ctx)
			for _, p := range ps {
				if !due[p.ID] {
					if p.PublishBy != nil {
						t.Errorf("%s: penalty %d (%s, %s) is due for publication by %s; its rule does not count from publication",
							when, p.ID, p.Sector, p.PublicityRuleSet, p.PublishBy.Format(time.DateOnly))
					}
					counted["none"]++
					continue
				}
				want := deadlineOracle(t, env, "PENALTY", "PUBLISH", p.DecisionDate)
				if p.PublishBy == nil || !p.PublishBy.Equal(want) {
					t.Errorf("%s: penalty %d decided %s is due for publication by %v, want %s", when, p.ID,
						p.DecisionDate.Format(time.DateOnly), p.PublishBy, want.Format(time.DateOnly))
				}
				limit := "20"
				if !p.DecisionDate.Before(day("2026-10-01")) {
					limit = "10" // the version stored above
				}
				counted[limit]++
			}
			if counted["none"] == 0 || counted["20"] == 0 || counted["10"] == 0 {
				t.Errorf("%s: penalties by limit %v: the test needs some of each", when, counted)
			}
		}
		oracle("as recorded")
		if _, err := env.db.SQL.Exec(`UPDATE administrative_penalties SET publish_by = NULL`); err != nil {
			t.Fatal(err)
		}
		if err := seed.Reference(ctx, env.db.Client); err != nil {
			t.Fatal(err)
		}
		oracle("after the next start of a database made before")
	})
}
