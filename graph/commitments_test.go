package graph_test

import (
	"slices"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Credit commitments and their keeping are public within the window their kind's rule gives
// (信用承诺公示, counted from the day signed): the public and other sectors' public readers see a
// commitment while its window lasts, not after; the rule rows decide, so a kind whose rule does
// not publish stays internal. The recording sector sees all of them.
func TestCommitmentsArePublicInTheirWindow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		var ent struct {
			MarketEntities edges[struct{ ID, Uscc string }]
		}
		env.mustData(`{ marketEntities(first: 1) { edges { node { id uscc } } } }`, nil, &ent)
		entity := ent.MarketEntities.Edges[0].Node
		// The industry self-discipline rule says "not published" from now on.
		if _, err := env.db.SQL.Exec("UPDATE publicity_rules SET published = ? WHERE commitment_kind = 'INDUSTRY_SELF_DISCIPLINE'", false); err != nil {
			t.Fatal(err)
		}
		today := vocab.SystemClock.Today()
		recent := today.AddDate(0, 0, -10)
		// The latest signing day whose 36-month window ends today, and one whose window ended
		// yesterday (found by counting forward, as the rule counts).
		var edge, old time.Time
		for d := today.AddDate(-3, 0, -5); d.Before(today.AddDate(-3, 0, 5)); d = d.AddDate(0, 0, 1) {
			switch vocab.AddMonths(d, 36) {
			case today:
				edge = d
			case today.AddDate(0, 0, -1):
				old = d
			}
		}
		if edge.IsZero() || old.IsZero() {
			t.Fatalf("no signing day ends its window today (%s) or yesterday", today)
		}
		type made struct {
			CreateCreditCommitment struct {
				RelatedMatter     string
				PublicityDeadline *string
			}
		}
		create := func(matter, kind, signed string) made {
			var out made
			env.as("demo-market-clerk").mustData(`mutation($d: ID!, $e: ID!, $m: String!, $k: CreditCommitmentKind!, $s: Date!) {
				createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "t", sourceRecordID: $m,
				kind: $k, text: "守法经营，如有违反愿承担相应责任", signedOn: $s, relatedMatter: $m}) { relatedMatter publicityDeadline } }`,
				map[string]any{"d": env.departmentID("market-320000"), "e": entity.ID, "m": matter, "k": kind, "s": signed}, &out)
			return out
		}
		r := create("recent", "APPLICATION_NOTIFY_COMMIT", recent.Format("2006-01-02"))
		if want := vocab.AddMonths(recent, 36).Format("2006-01-02"); r.CreateCreditCommitment.PublicityDeadline == nil || *r.CreateCreditCommitment.PublicityDeadline != want {
			t.Errorf("deadline = %v, want %s (36 months from signing)", r.CreateCreditCommitment.PublicityDeadline, want)
		}
		for matter, signed := range map[string]string{"last-day": edge.Format("2006-01-02"), "ended": old.Format("2006-01-02")} {
			r := create(matter, "VOLUNTARY", signed)
			d := r.CreateCreditCommitment.PublicityDeadline
			want := map[string]string{"last-day": today.Format("2006-01-02"), "ended": today.AddDate(0, 0, -1).Format("2006-01-02")}[matter]
			if d == nil || *d != want {
				t.Errorf("%s (signed %s): deadline %v, want %s", matter, signed, deref(d), want)
			}
		}
		if r := create("unpublished", "INDUSTRY_SELF_DISCIPLINE", recent.Format("2006-01-02")); r.CreateCreditCommitment.PublicityDeadline != nil {
			t.Errorf("a kind whose rule does not publish got deadline %s", *r.CreateCreditCommitment.PublicityDeadline)
		}
		seen := func(token string) []string {
			var out struct {
				CreditCommitments edges[struct{ RelatedMatter string }]
			}
			env.as(token).mustData(`query($e: ID!) { creditCommitments(first: 50, where: {entityID: $e, sourceSystem: "t"}) { edges { node { relatedMatter } } } }`,
				map[string]any{"e": entity.ID}, &out)
			return keysOf(out.CreditCommitments, func(x struct{ RelatedMatter string }) string { return x.RelatedMatter })
		}
		public := []string{"last-day", "recent"}
		for token, want := range map[string][]string{
			"":                            public,
			"demo-environment-supervisor": public, // another sector's public records
			"demo-market-clerk":           {"ended", "last-day", "recent", "unpublished"},
			"demo-credit-office":          {"ended", "last-day", "recent", "unpublished"},
		} {
			if got := seen(token); !slices.Equal(got, want) {
				t.Errorf("%q sees %v, want %v", token, got, want)
			}
		}
		// The public credit report carries the public commitments and their keeping.
		var rep struct {
			CreditReport struct {
				Commitments []struct{ RelatedMatter, Fulfilment string }
			}
		}
		env.as("").mustData(`mutation($u: String!) { creditReport(uscc: $u, purpose: BIDDING) { commitments { relatedMatter fulfilment } } }`,
			map[string]any{"u": entity.Uscc}, &rep)
		var inReport []string
		for _, c := range rep.CreditReport.Commitments {
			if c.RelatedMatter != "" && slices.Contains([]string{"ended", "last-day", "recent", "unpublished"}, c.RelatedMatter) {
				inReport = append(inReport, c.RelatedMatter)
			}
		}
		slices.Sort(inReport)
		if !slices.Equal(inReport, public) {
			t.Errorf("the public report carries %v, want %v", inReport, public)
		}
	})
}
