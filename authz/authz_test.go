package authz

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/vocab"
)

// demoBindings are the role bindings of the demo tokens, as TokenService.Issue makes them.
var demoBindings = []Rule{
	{PType: "g", V: [4]string{"co", RoleCreditOffice, AllDomains}},
	{PType: "g", V: [4]string{"market-sup", RoleSupervisor, "market"}},
	{PType: "g", V: [4]string{"labour-sup", RoleSupervisor, "labour"}},
	{PType: "g", V: [4]string{"market-clerk", RoleClerk, "market"}},
	{PType: "g", V: [4]string{"labour-clerk", RoleClerk, "labour"}},
	{PType: "g", V: [4]string{"env-clerk", RoleClerk, "environment"}},
	{PType: "g", V: [4]string{"aud-market", RoleAuditor, "market"}},
	{PType: "g", V: [4]string{"aud-two", RoleAuditor, "market"}},
	{PType: "g", V: [4]string{"aud-two", RoleAuditor, "transport"}},
	{PType: "g", V: [4]string{"aud-all", RoleAuditor, AllDomains}},
}

func testEnforcer(t *testing.T) *memAuthorizer {
	t.Helper()
	a, err := New(context.Background(), &memStore{rules: append(BuiltinPolicy(), demoBindings...)}, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &memAuthorizer{a}
}

type memAuthorizer struct{ *Authorizer }

// memStore keeps rules in memory, for policy tests that need no database.
type memStore struct{ rules []Rule }

func (m *memStore) LoadRules(context.Context) ([]Rule, error) { return slices.Clone(m.rules), nil }
func (m *memStore) AddRule(_ context.Context, r Rule) error {
	if !slices.Contains(m.rules, r) {
		m.rules = append(m.rules, r)
	}
	return nil
}
func (m *memStore) RemoveRule(_ context.Context, r Rule) error {
	m.rules = slices.DeleteFunc(m.rules, func(x Rule) bool { return x == r })
	return nil
}

// The policy as tables of allowed and denied requests, for every role, resource and action.
func TestPolicyDecisions(t *testing.T) {
	a := testEnforcer(t)
	type req struct {
		sub, dom string
		obj      Resource
		act      Action
	}
	allowed := []req{
		{"co", "credit_office", Registry, Read}, {"co", "market", Registry, Write}, {"co", "labour", RecordsOf(vocab.Labour), Read},
		{"co", "market", RecordsOf(vocab.Environment), Read}, {"co", "transport", Lists, Manage}, {"co", "market", PersonalData, Read},
		{"co", "labour", AuditLog, Read}, {"co", "credit_office", Policy, Manage}, {"co", "credit_office", Tokens, Manage},
		{"co", "market", Departments, Manage},
		{"market-sup", "market", Registry, Read}, {"market-sup", "market", Registry, Write},
		{"market-sup", "market", RecordsOf(vocab.Market), Read}, {"market-sup", "market", RecordsOf(vocab.Market), Write},
		{"market-sup", "market", RecordsOf(vocab.Labour), ReadPublic}, {"market-sup", "market", RecordsOf(vocab.Environment), ReadPublic},
		{"labour-sup", "labour", RecordsOf(vocab.Labour), Write}, {"labour-sup", "labour", RecordsOf(vocab.Market), ReadPublic},
		{"market-clerk", "market", RecordsOf(vocab.Market), Write}, {"market-clerk", "market", RecordsOf(vocab.Market), Read},
		{"market-clerk", "market", Registry, Read}, {"labour-clerk", "labour", RecordsOf(vocab.Labour), Write},
		{"env-clerk", "environment", RecordsOf(vocab.Environment), Write},
		{"aud-market", "market", RecordsOf(vocab.Market), Read}, {"aud-market", "market", Registry, Read},
		{"aud-market", "market", PersonalData, Read}, {"aud-market", "market", AuditLog, Read},
		{"aud-two", "transport", RecordsOf(vocab.Transport), Read}, {"aud-two", "market", RecordsOf(vocab.Market), Read},
		{"aud-all", "labour", RecordsOf(vocab.Labour), Read}, {"aud-all", "environment", AuditLog, Read},
		{"public", "market", Registry, ReadPublic}, {"public", "labour", RecordsOf(vocab.Labour), ReadPublic},
	}
	denied := []req{
		{"co", "market", RecordsOf(vocab.Market), Write}, // the credit office manages lists, not sector records
		{"market-sup", "market", RecordsOf(vocab.Labour), Read}, {"market-sup", "market", RecordsOf(vocab.Labour), Write},
		{"market-sup", "labour", RecordsOf(vocab.Labour), Write}, {"market-sup", "market", PersonalData, Read},
		{"market-sup", "market", AuditLog, Read}, {"market-sup", "market", Policy, Manage}, {"market-sup", "market", Lists, Manage},
		{"labour-sup", "labour", RecordsOf(vocab.Market), Write}, {"labour-sup", "labour", Tokens, Manage},
		{"market-clerk", "market", RecordsOf(vocab.Labour), ReadPublic}, {"market-clerk", "market", RecordsOf(vocab.Environment), Write},
		{"market-clerk", "market", PersonalData, Read}, {"market-clerk", "market", Departments, Manage},
		{"labour-clerk", "labour", RecordsOf(vocab.Market), Write}, {"labour-clerk", "market", RecordsOf(vocab.Market), Write},
		{"env-clerk", "environment", AuditLog, Read},
		{"aud-market", "market", RecordsOf(vocab.Market), Write}, {"aud-market", "market", Registry, Write},
		{"aud-market", "labour", RecordsOf(vocab.Labour), Read}, {"aud-market", "labour", AuditLog, Read},
		{"aud-market", "market", Policy, Manage}, {"aud-two", "labour", RecordsOf(vocab.Labour), Read},
		{"aud-all", "labour", RecordsOf(vocab.Labour), Write}, {"aud-all", "market", Lists, Manage}, {"aud-all", "market", Tokens, Manage},
		{"public", "market", Registry, Read}, {"public", "market", RecordsOf(vocab.Market), Read},
		{"public", "market", RecordsOf(vocab.Market), Write}, {"public", "market", PersonalData, Read}, {"public", "market", AuditLog, Read},
		{"nobody", "market", Registry, ReadPublic}, {"nobody", "market", RecordsOf(vocab.Market), ReadPublic},
	}
	if n := len(allowed) + len(denied); n < 60 {
		t.Fatalf("only %d tuples; the policy table should cover at least 60", n)
	}
	for _, r := range allowed {
		if !a.Enforce(r.sub, r.dom, r.obj, r.act) {
			t.Errorf("denied %v, want allowed", r)
		}
	}
	for _, r := range denied {
		if a.Enforce(r.sub, r.dom, r.obj, r.act) {
			t.Errorf("allowed %v, want denied", r)
		}
	}
}

func TestPermissionsPerRole(t *testing.T) {
	a := testEnforcer(t)
	str := func(ss []vocab.Sector) string {
		var out []string
		for _, s := range ss {
			out = append(out, DepartmentCode(s))
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		sub                   string
		read, public, write   string
		personal, auditor, wr bool
	}{
		{"co", "environment,labour,transport,market,credit_office", "", "", true, false, true},
		{"market-sup", "market", "environment,labour,transport,credit_office", "market", false, false, true},
		{"market-clerk", "market", "", "market", false, false, true},
		{"aud-two", "transport,market", "", "", true, true, false},
		{"aud-all", "environment,labour,transport,market,credit_office", "", "", true, true, false},
		{"public", "", "environment,labour,transport,market,credit_office", "", false, false, false},
	}
	for _, tt := range tests {
		p := a.Permissions(tt.sub)
		got := []any{str(p.ReadSectors()), str(p.PublicOnlySectors()), str(p.WriteSectors()), p.PersonalData, p.Auditor, p.CanWriteAnything()}
		want := []any{tt.read, tt.public, tt.write, tt.personal, tt.auditor, tt.wr}
		if !slices.Equal(got, want) {
			t.Errorf("%s: permissions mismatch (-want +got)\n-%v\n+%v", tt.sub, want, got)
		}
	}
	deps, all := a.Permissions("aud-market").AuditDepartments()
	if all || !slices.Equal(deps, []string{"market"}) {
		t.Errorf("aud-market audits %v (all=%v), want market only", deps, all)
	}
	if _, all := a.Permissions("co").AuditDepartments(); !all {
		t.Error("the credit office does not audit every department")
	}
}

func TestPolicyChangeApplies(t *testing.T) {
	a := testEnforcer(t)
	ctx := context.Background()
	if a.Permissions("labour-clerk").CanWrite(vocab.Market) {
		t.Fatal("labour clerk writes market records before the change")
	}
	bind := Rule{PType: "g", V: [4]string{"labour-clerk", RoleClerk, "market"}}
	if err := a.AddRule(ctx, bind); err != nil {
		t.Fatal(err)
	}
	if !a.Permissions("labour-clerk").CanWrite(vocab.Market) {
		t.Error("the added binding did not apply (stale permission cache?)")
	}
	if err := a.RemoveRule(ctx, bind); err != nil {
		t.Fatal(err)
	}
	if a.Permissions("labour-clerk").CanWrite(vocab.Market) {
		t.Error("the removed binding still applies")
	}
}

func TestParsePolicyRefusesInvalidRules(t *testing.T) {
	bad := []string{
		"p, superuser, *, registry, read",          // unknown role
		"p, clerk, finance, registry, read",        // unknown department
		"p, clerk, *, everything, read",            // unknown resource
		"p, clerk, *, registry, delete",            // unknown action
		"p, clerk, *, records:tax, read",           // unknown sector
		"g, alice, admin, market",                  // unknown role in a binding
		"g, alice, clerk, mars",                    // unknown department in a binding
		"x, alice, clerk, market",                  // unknown rule type
		"p, clerk, *, registry",                    // too few fields
		"p, clerk, *, registry, read, extra, more", // too many fields
		"g, , clerk, market",                       // empty subject
	}
	for _, line := range bad {
		if _, err := ParsePolicy(strings.NewReader(line)); err == nil {
			t.Errorf("ParsePolicy(%q) accepted an invalid rule", line)
		}
	}
	rules, err := ParsePolicy(strings.NewReader("# comment\n\np, clerk, market, records:own, write\ng, bob, clerk, market\n"))
	if err != nil || len(rules) != 2 {
		t.Errorf("ParsePolicy of valid lines = %v, %v", rules, err)
	}
	if len(BuiltinPolicy()) < 20 {
		t.Error("the built-in policy looks truncated")
	}
}
