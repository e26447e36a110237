package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// publicityRuleRows are the publicity-period regimes of domain.md §4, chosen by decision date.
// They are data: a change in the law is a new row with its dates, not a code change.
var publicityRuleRows = []struct {
	set, from, to, severity string
	min, max                int
	repairable              bool
	basis                   string
}{
	{"NDRC-527-2019", "2019-07-01", "2023-05-01", "MINOR", 3, 12, true, "发改办财金〔2019〕527号（一般失信行政处罚）"},
	{"NDRC-527-2019", "2019-07-01", "2023-05-01", "GENERAL", 3, 12, true, "发改办财金〔2019〕527号（一般失信行政处罚）"},
	{"NDRC-527-2019", "2019-07-01", "2023-05-01", "SERIOUS", 6, 36, true, "发改办财金〔2019〕527号（严重失信行政处罚）"},
	{"NDRC-ORDER-58", "2023-05-01", "2026-04-01", "MINOR", 3, 36, true, "国家发展改革委令第58号"},
	{"NDRC-ORDER-58", "2023-05-01", "2026-04-01", "GENERAL", 3, 36, true, "国家发展改革委令第58号"},
	{"NDRC-ORDER-58", "2023-05-01", "2026-04-01", "SERIOUS", 3, 36, true, "国家发展改革委令第58号"},
	{"NDRC-ORDER-36", "2026-04-01", "", "MINOR", 0, 3, true, "国办发〔2025〕22号；国家发展改革委令第36号（轻微）"},
	{"NDRC-ORDER-36", "2026-04-01", "", "GENERAL", 3, 12, true, "国办发〔2025〕22号；国家发展改革委令第36号（一般）"},
	{"NDRC-ORDER-36", "2026-04-01", "", "SERIOUS", 12, 36, true, "国办发〔2025〕22号；国家发展改革委令第36号（严重）"},
}

// publicityRules loads the publicity rules when there are none.
func publicityRules(ctx context.Context, c *ent.Client) error {
	n, err := c.PublicityRule.Query().Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	bulk := make([]*ent.PublicityRuleCreate, 0, len(publicityRuleRows))
	for _, r := range publicityRuleRows {
		b := c.PublicityRule.Create().SetRuleSet(r.set).SetEffectiveFrom(day(r.from)).SetSeverity(r.severity).
			SetMinMonths(r.min).SetMaxMonths(r.max).SetRepairable(r.repairable).SetBasis(r.basis)
		if r.to != "" {
			b.SetEffectiveTo(day(r.to))
		}
		bulk = append(bulk, b)
	}
	if err := c.PublicityRule.CreateBulk(bulk...).Exec(ctx); err != nil {
		return fmt.Errorf("loading publicity rules: %w", err)
	}
	return nil
}

// DemoToken is one entry of creditgraph-demo-tokens.json.
type DemoToken struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	Department string `json:"department"`
	Token      string `json:"token"`
}

// DemoTokens issues one token per demo role: the credit office, a supervisor and a clerk of
// each sector department, an auditor scoped to market supervision and one scoped to all.
func DemoTokens(ctx context.Context, svc authz.TokenService) ([]DemoToken, error) {
	reqs := []authz.IssueRequest{{Name: "demo-credit-office", Role: authz.RoleCreditOffice, Department: "credit_office"}}
	for _, d := range []string{"environment", "labour", "transport", "market"} {
		reqs = append(reqs,
			authz.IssueRequest{Name: "demo-" + d + "-supervisor", Role: authz.RoleSupervisor, Department: d},
			authz.IssueRequest{Name: "demo-" + d + "-clerk", Role: authz.RoleClerk, Department: d})
	}
	reqs = append(reqs,
		authz.IssueRequest{Name: "demo-auditor-market", Role: authz.RoleAuditor, Department: "market", Scope: []string{"market"}},
		authz.IssueRequest{Name: "demo-auditor-all", Role: authz.RoleAuditor, Department: "credit_office", Scope: []string{"all"}})
	out := make([]DemoToken, 0, len(reqs))
	for _, r := range reqs {
		secret, err := svc.Issue(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("issuing %s: %w", r.Name, err)
		}
		out = append(out, DemoToken{Name: r.Name, Role: r.Role, Department: r.Department, Token: secret})
	}
	return out, nil
}
