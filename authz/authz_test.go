package authz

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/creditgraph/creditgraph/vocab"
)

// demoBindings are the role bindings of the demo tokens, as TokenService.Issue makes them.
var demoBindings = []Rule{
	{PType: "g", V: [4]string{TokenSubject("co"), RoleCreditOffice, AllDomains}},
	{PType: "g", V: [4]string{TokenSubject("market-sup"), RoleSupervisor, "market"}},
	{PType: "g", V: [4]string{TokenSubject("labour-sup"), RoleSupervisor, "labour"}},
	{PType: "g", V: [4]string{TokenSubject("market-clerk"), RoleClerk, "market"}},
	{PType: "g", V: [4]string{TokenSubject("labour-clerk"), RoleClerk, "labour"}},
	{PType: "g", V: [4]string{TokenSubject("env-clerk"), RoleClerk, "environment"}},
	{PType: "g", V: [4]string{TokenSubject("aud-market"), RoleAuditor, "market"}},
	{PType: "g", V: [4]string{TokenSubject("aud-two"), RoleAuditor, "market"}},
	{PType: "g", V: [4]string{TokenSubject("aud-two"), RoleAuditor, "transport"}},
	{PType: "g", V: [4]string{TokenSubject("aud-all"), RoleAuditor, AllDomains}},
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
		{TokenSubject("co"), "credit_office", Registry, Read}, {TokenSubject("co"), "market", Registry, Write}, {TokenSubject("co"), "labour", RecordsOf(vocab.Labour), Read},
		{TokenSubject("co"), "market", RecordsOf(vocab.Environment), Read}, {TokenSubject("co"), "transport", Lists, Manage}, {TokenSubject("co"), "market", PersonalData, Read},
		{TokenSubject("co"), "labour", AuditLog, Read}, {TokenSubject("co"), "credit_office", Policy, Manage}, {TokenSubject("co"), "credit_office", Tokens, Manage},
		{TokenSubject("co"), "market", Departments, Manage},
		{TokenSubject("market-sup"), "market", Registry, Read}, {TokenSubject("market-sup"), "market", Registry, Write},
		{TokenSubject("market-sup"), "market", RecordsOf(vocab.Market), Read}, {TokenSubject("market-sup"), "market", RecordsOf(vocab.Market), Write},
		{TokenSubject("market-sup"), "market", RecordsOf(vocab.Labour), ReadPublic}, {TokenSubject("market-sup"), "market", RecordsOf(vocab.Environment), ReadPublic},
		{TokenSubject("labour-sup"), "labour", RecordsOf(vocab.Labour), Write}, {TokenSubject("labour-sup"), "labour", RecordsOf(vocab.Market), ReadPublic},
		{TokenSubject("market-clerk"), "market", RecordsOf(vocab.Market), Write}, {TokenSubject("market-clerk"), "market", RecordsOf(vocab.Market), Read},
		{TokenSubject("market-clerk"), "market", Registry, Read}, {TokenSubject("labour-clerk"), "labour", RecordsOf(vocab.Labour), Write},
		{TokenSubject("env-clerk"), "environment", RecordsOf(vocab.Environment), Write},
		{TokenSubject("aud-market"), "market", RecordsOf(vocab.Market), Read}, {TokenSubject("aud-market"), "market", Registry, Read},
		{TokenSubject("aud-market"), "market", PersonalData, Read}, {TokenSubject("aud-market"), "market", AuditLog, Read},
		{TokenSubject("aud-two"), "transport", RecordsOf(vocab.Transport), Read}, {TokenSubject("aud-two"), "market", RecordsOf(vocab.Market), Read},
		{TokenSubject("aud-all"), "labour", RecordsOf(vocab.Labour), Read}, {TokenSubject("aud-all"), "environment", AuditLog, Read},
		{"public", "market", Registry, ReadPublic}, {"public", "labour", RecordsOf(vocab.Labour), ReadPublic},
	}
	denied := []req{
		{TokenSubject("co"), "market", RecordsOf(vocab.Market), Write}, // the credit office manages lists, not sector records
		{TokenSubject("market-sup"), "market", RecordsOf(vocab.Labour), Read}, {TokenSubject("market-sup"), "market", RecordsOf(vocab.Labour), Write},
		{TokenSubject("market-sup"), "labour", RecordsOf(vocab.Labour), Write}, {TokenSubject("market-sup"), "market", PersonalData, Read},
		{TokenSubject("market-sup"), "market", AuditLog, Read}, {TokenSubject("market-sup"), "market", Policy, Manage}, {TokenSubject("market-sup"), "market", Lists, Manage},
		{TokenSubject("labour-sup"), "labour", RecordsOf(vocab.Market), Write}, {TokenSubject("labour-sup"), "labour", Tokens, Manage},
		{TokenSubject("market-clerk"), "market", RecordsOf(vocab.Labour), ReadPublic}, {TokenSubject("market-clerk"), "market", RecordsOf(vocab.Environment), Write},
		{TokenSubject("market-clerk"), "market", PersonalData, Read}, {TokenSubject("market-clerk"), "market", Departments, Manage},
		{TokenSubject("labour-clerk"), "labour", RecordsOf(vocab.Market), Write}, {TokenSubject("labour-clerk"), "market", RecordsOf(vocab.Market), Write},
		{TokenSubject("env-clerk"), "environment", AuditLog, Read},
		{TokenSubject("aud-market"), "market", RecordsOf(vocab.Market), Write}, {TokenSubject("aud-market"), "market", Registry, Write},
		{TokenSubject("aud-market"), "labour", RecordsOf(vocab.Labour), Read}, {TokenSubject("aud-market"), "labour", AuditLog, Read},
		{TokenSubject("aud-market"), "market", Policy, Manage}, {TokenSubject("aud-two"), "labour", RecordsOf(vocab.Labour), Read},
		{TokenSubject("aud-all"), "labour", RecordsOf(vocab.Labour), Write}, {TokenSubject("aud-all"), "market", Lists, Manage}, {TokenSubject("aud-all"), "market", Tokens, Manage},
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
		{TokenSubject("co"), "environment,labour,transport,market,credit_office", "", "", true, false, true},
		{TokenSubject("market-sup"), "market", "environment,labour,transport,credit_office", "market", false, false, true},
		{TokenSubject("market-clerk"), "market", "", "market", false, false, true},
		{TokenSubject("aud-two"), "transport,market", "", "", true, true, false},
		{TokenSubject("aud-all"), "environment,labour,transport,market,credit_office", "", "", true, true, false},
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
	deps, all := a.Permissions(TokenSubject("aud-market")).AuditDepartments()
	if all || !slices.Equal(deps, []string{"market"}) {
		t.Errorf("aud-market audits %v (all=%v), want market only", deps, all)
	}
	if _, all := a.Permissions(TokenSubject("co")).AuditDepartments(); !all {
		t.Error("the credit office does not audit every department")
	}
}

func TestPolicyChangeApplies(t *testing.T) {
	a := testEnforcer(t)
	ctx := context.Background()
	if a.Permissions(TokenSubject("labour-clerk")).CanWrite(vocab.Market) {
		t.Fatal("labour clerk writes market records before the change")
	}
	bind := Rule{PType: "g", V: [4]string{TokenSubject("labour-clerk"), RoleClerk, "market"}}
	if err := a.AddRule(ctx, bind); err != nil {
		t.Fatal(err)
	}
	if !a.Permissions(TokenSubject("labour-clerk")).CanWrite(vocab.Market) {
		t.Error("the added binding did not apply (stale permission cache?)")
	}
	if err := a.RemoveRule(ctx, bind); err != nil {
		t.Fatal(err)
	}
	if a.Permissions(TokenSubject("labour-clerk")).CanWrite(vocab.Market) {
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
		"g, bob, clerk, market",                    // a binding's subject is a token (token:bob)
		"g, clerk, credit_office, *",               // a role inheriting another role
		"g, public, clerk, market",                 // the public bound to a role
		"g, token:bob, public, market",             // a token bound to the public role
		"g, token:Bob!, clerk, market",             // not a token name
	}
	for _, line := range bad {
		if _, err := ParsePolicy(strings.NewReader(line)); err == nil {
			t.Errorf("ParsePolicy(%q) accepted an invalid rule", line)
		}
	}
	rules, err := ParsePolicy(strings.NewReader("# comment\n\np, clerk, market, records:own, write\ng, token:bob, clerk, market\n"))
	if err != nil || len(rules) != 2 {
		t.Errorf("ParsePolicy of valid lines = %v, %v", rules, err)
	}
	if len(BuiltinPolicy()) < 20 {
		t.Error("the built-in policy looks truncated")
	}
}

// Subjects live in separate namespaces: a role binding names a token (token:<name>), so no
// name an issuer types can be read as a role, a department or another token, and bindings
// stored before the namespaces were introduced are moved, or dropped when their subject is a
// role (which would have changed every holder's rights).
func TestSubjectsCannotCollide(t *testing.T) {
	store := &memStore{rules: append(BuiltinPolicy(),
		Rule{PType: "g", V: [4]string{"alice", RoleClerk, "market"}},            // stored before namespaces
		Rule{PType: "g", V: [4]string{RoleClerk, RoleCreditOffice, AllDomains}}, // a role made a credit office
		Rule{PType: "g", V: [4]string{"public", RoleClerk, "market"}},           // the public made a clerk
	)}
	a, err := New(context.Background(), store, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Permissions(TokenSubject("alice")).CanWrite(vocab.Market) {
		t.Error("alice's binding was not moved to token:alice")
	}
	if a.Permissions("alice").CanWriteAnything() {
		t.Error("the bare name alice still holds a role")
	}
	// A clerk-role token in market is not a credit office, and the public writes nothing.
	if err := a.AddRule(context.Background(), Rule{PType: "g", V: [4]string{TokenSubject("bob"), RoleClerk, "market"}}); err != nil {
		t.Fatal(err)
	}
	if p := a.Permissions(TokenSubject("bob")); p.ManagePolicy || p.PersonalData || p.CanWrite(vocab.Labour) {
		t.Errorf("a clerk token inherited the credit office's rights: %+v", p)
	}
	if a.Permissions(PublicSubject).CanWriteAnything() {
		t.Error("the public can write")
	}
	for _, r := range store.rules {
		if r.PType == "g" {
			if _, ok := TokenOf(r.V[0]); !ok {
				t.Errorf("a binding of a non-token subject is still stored: %s", r)
			}
		}
	}
	// Tokens named like roles would confuse readers of logs and policies: refused at issue.
	for _, name := range Roles {
		if err := (TokenService{Authorizer: a}).validate(IssueRequest{Name: name, Department: "market", Role: RoleClerk}); err == nil {
			t.Errorf("a token named %q was accepted", name)
		}
	}
	if err := (TokenService{Authorizer: a}).validate(IssueRequest{Name: "carol", Department: "market", Role: RoleClerk, Expires: -time.Hour}); err == nil {
		t.Error("a negative lifetime was accepted")
	}
}

// No stale rights under concurrent reads: a reader that derived a subject's permissions from the
// old enforcer and stores them after a reload (the interleaving a slow reader meets under load)
// must not make the old policy's rights current again. The interleaving is played step by step.
func TestPolicyChangeIsNotUndoneByALateRead(t *testing.T) {
	a := testEnforcer(t)
	sub := TokenSubject("labour-clerk")
	old := a.enforcer.Load()
	stale := a.Permissions(sub) // derived from the old policy: no market writes
	bind := Rule{PType: "g", V: [4]string{sub, RoleClerk, "market"}}
	if err := a.AddRule(context.Background(), bind); err != nil { // reloads and clears the cache
		t.Fatal(err)
	}
	a.cache.Store(sub, cached{e: old, p: stale}) // the slow reader's late store
	if !a.Permissions(sub).CanWrite(vocab.Market) {
		t.Fatal("a late store of permissions derived from the old policy made them current again")
	}
}

// Whoever writes reads what it writes, for every built-in role in every department: a write
// meeting a unique key tells the writer of the row holding it, which is no leak only when the
// writer may read that row (graph's TestEveryUniqueKeyIsReviewedForOracles states its reasons
// on this).
func TestEveryBuiltInWriterReadsWhatItWrites(t *testing.T) {
	roles := map[string]bool{}
	for _, r := range BuiltinPolicy() {
		if r.PType == "p" {
			roles[r.V[0]] = true
		}
	}
	var bindings []Rule
	for role := range roles {
		for _, s := range AllSectors {
			bindings = append(bindings, Rule{PType: "g", V: [4]string{TokenSubject(role + "-" + string(s)), role, DepartmentCode(s)}})
		}
	}
	a, err := New(context.Background(), &memStore{rules: append(BuiltinPolicy(), bindings...)}, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, b := range bindings {
		p := a.Permissions(b.V[0])
		for _, s := range AllSectors {
			if p.write[s] && !p.read[s] {
				t.Errorf("%s writes %s records without reading them", b.V[0], s)
			}
		}
		if p.RegistryWrite && !p.RegistryRead {
			t.Errorf("%s writes the registry without reading it", b.V[0])
		}
		if p.OwnFileWrite && !p.OwnFile {
			t.Errorf("%s writes its own file without reading it", b.V[0])
		}
		if p.CanWriteAnything() {
			checked++
		}
	}
	if checked < 4 {
		t.Errorf("only %d bindings write anything: the test lost its reach", checked)
	}
}

// Same tells apart any two Permissions that grant differently: generated from the struct, each
// field changed alone — a flag flipped, a sector or department added or dropped, another subject
// or own file — makes them differ, while the configuration every Permissions of an Authorizer
// shares (publicity, the clock) does not. A field added later fails here until Same and this
// test say how it counts.
func TestSameTellsEveryRightApart(t *testing.T) {
	a := testEnforcer(t)
	for _, sub := range []string{TokenSubject("co"), TokenSubject("market-clerk"), TokenSubject("aud-two"), PublicSubject} {
		base := a.Permissions(sub)
		if !base.Same(a.Permissions(sub)) || !base.Same(base.WithOwn(Own{})) {
			t.Fatalf("%s: equal permissions are not Same", sub)
		}
		if again := (*base); !base.Same(&again) {
			t.Fatalf("%s: a copy is not Same", sub)
		}
		typ := reflect.TypeFor[Permissions]()
		for i := range typ.NumField() {
			f := typ.Field(i)
			changed := func(change func(v reflect.Value)) *Permissions {
				c := *base
				// Fresh maps: the copy must not change base's.
				c.read, c.public, c.write, c.decide, c.audit = maps.Clone(c.read), maps.Clone(c.public), maps.Clone(c.write), maps.Clone(c.decide), maps.Clone(c.audit)
				v := reflect.ValueOf(&c).Elem().Field(i)
				change(reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem())
				return &c
			}
			var variants []*Permissions
			shared := false
			switch {
			case f.Type.Kind() == reflect.Bool:
				variants = append(variants, changed(func(v reflect.Value) { v.SetBool(!v.Bool()) }))
			case f.Type.Kind() == reflect.String:
				variants = append(variants, changed(func(v reflect.Value) { v.SetString(v.String() + "x") }))
			case f.Type == reflect.TypeFor[Own]():
				variants = append(variants, changed(func(v reflect.Value) { v.Set(reflect.ValueOf(Own{EntityID: 7})) }),
					changed(func(v reflect.Value) { v.Set(reflect.ValueOf(Own{PersonID: 7})) }))
			case f.Type.Kind() == reflect.Map && f.Type.Elem().Kind() == reflect.Bool:
				// One key that is granted dropped, or one that is not granted added.
				keys := []reflect.Value{reflect.ValueOf(vocab.Market).Convert(f.Type.Key()), reflect.ValueOf("market").Convert(f.Type.Key())}
				for _, k := range keys {
					if !k.Type().AssignableTo(f.Type.Key()) {
						continue
					}
					variants = append(variants, changed(func(v reflect.Value) {
						if v.IsNil() {
							v.Set(reflect.MakeMap(f.Type))
						}
						granted := v.MapIndex(k).IsValid() && v.MapIndex(k).Bool()
						v.SetMapIndex(k, reflect.ValueOf(!granted))
					}))
				}
			case f.Type.Kind() == reflect.Func:
				shared = true
				variants = append(variants, changed(func(v reflect.Value) { v.Set(reflect.Zero(f.Type)) }))
			default:
				t.Fatalf("Permissions.%s (%s): say in Same and here how it counts", f.Name, f.Type)
			}
			if len(variants) == 0 {
				t.Fatalf("Permissions.%s: no change made", f.Name)
			}
			for _, v := range variants {
				if base.Same(v) == !shared || v.Same(base) == !shared {
					t.Errorf("%s: Permissions.%s changed: Same = %v, want %v", sub, f.Name, base.Same(v), shared)
				}
			}
		}
	}
	if (*Permissions)(nil).Same(a.Permissions(PublicSubject)) || !(*Permissions)(nil).Same(nil) {
		t.Error("nil permissions")
	}
}

// ForRequest keeps a viewer's identity and rights and none of its per-request state.
func TestForRequestKeepsIdentityNotState(t *testing.T) {
	a := testEnforcer(t)
	purpose := "p"
	v := &Viewer{TokenName: "co", Role: RoleCreditOffice, Department: "credit_office", Unit: "u", Perms: a.Permissions(TokenSubject("co"))}
	v.again = func(context.Context) (*Viewer, error) { return nil, ErrBadToken }
	for range MaxPersonLookups {
		if err := v.LookUpPerson(&purpose); err != nil {
			t.Fatal(err)
		}
	}
	r := v.ForRequest()
	if err := r.LookUpPerson(&purpose); err != nil {
		t.Errorf("a request's viewer inherited the connection's lookups: %v", err)
	}
	if got := r.Reveals(); !slices.Equal(got, []string{"p"}) || len(v.Reveals()) != 1 {
		t.Errorf("reveals %v", got)
	}
	// Every exported field but the state is kept (a field added later is checked here).
	rv, vv := reflect.ValueOf(r).Elem(), reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		if f := rv.Type().Field(i); f.IsExported() && !reflect.DeepEqual(rv.Field(i).Interface(), vv.Field(i).Interface()) {
			t.Errorf("ForRequest dropped Viewer.%s", f.Name)
		}
	}
	// And the credential: a request's viewer is authenticated again as the connection's.
	if err := r.StillHolds(context.Background()); !errors.Is(err, ErrBadToken) {
		t.Errorf("a request's viewer does not authenticate its credential again: %v", err)
	}
}
