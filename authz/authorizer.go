package authz

import (
	"bufio"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/util"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/vocab"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var builtinPolicy string

// Rule is one policy line: P ("p", role, domain, resource, action) or G ("g", subject, role,
// domain).
type Rule struct {
	PType string
	V     [4]string
}

func (r Rule) String() string {
	return strings.Join(append([]string{r.PType}, r.V[:]...), ", ")
}

// Values are the rule's fields without the type, as Casbin takes them.
func (r Rule) Values() []string { return slices.Clone(r.V[:]) }

// Validate refuses a rule that names an unknown resource, action, role or department, so a
// typo cannot silently grant or withdraw access.
func (r Rule) Validate() error {
	domainOK := func(d string) bool {
		if d == AllDomains {
			return true
		}
		_, err := SectorOf(d)
		return err == nil
	}
	n := len(r.V)
	if r.PType == "g" {
		n = 3
	}
	for i, v := range r.V[:n] {
		if strings.TrimSpace(v) == "" || strings.ContainsAny(v, ",\n") {
			return fmt.Errorf("%s: field %d is empty or contains a comma", r, i+1)
		}
	}
	switch r.PType {
	case "p":
		switch {
		case !slices.Contains(Roles, r.V[0]):
			return fmt.Errorf("%s: unknown role %q (one of %s)", r, r.V[0], strings.Join(Roles, ", "))
		case !domainOK(r.V[1]):
			return fmt.Errorf("%s: unknown department %q", r, r.V[1])
		case !validResource(r.V[2]):
			return fmt.Errorf("%s: unknown resource %q", r, r.V[2])
		case !validAction(r.V[3]):
			return fmt.Errorf("%s: unknown action %q (read, read_public, write, manage)", r, r.V[3])
		// The public is bound to no department: a rule of one department, or of the records
		// of "its own" sector, would apply to it in every department — records:own read would
		// show the public every sector's records.
		case r.V[0] == RolePublic && r.V[1] != AllDomains:
			return fmt.Errorf("%s: the public is in no department; its rules apply in * only", r)
		case r.V[0] == RolePublic && r.V[2] == "records:own":
			return fmt.Errorf("%s: the public has no sector of its own; grant records:<sector> or records:*", r)
		}
	case "g":
		name, isToken := TokenOf(r.V[0])
		switch {
		case !isToken || !tokenName.MatchString(name):
			return fmt.Errorf("%s: a role binding binds a token (token:<name>), not %q", r, r.V[0])
		case !slices.Contains(Roles, r.V[1]) || r.V[1] == RolePublic:
			return fmt.Errorf("%s: unknown role %q (one of %s)", r, r.V[1], strings.Join(Roles[:len(Roles)-1], ", "))
		case !domainOK(r.V[2]):
			return fmt.Errorf("%s: unknown department %q", r, r.V[2])
		case r.V[3] != "":
			return fmt.Errorf("%s: a role binding has three fields", r)
		}
	default:
		return fmt.Errorf("%s: a rule starts with p or g", r)
	}
	return nil
}

// ParsePolicy reads policy lines (CSV as in policy.csv; # starts a comment) and validates each.
func ParsePolicy(r io.Reader) ([]Rule, error) {
	var rules []Rule
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ",")
		if len(parts) < 4 || len(parts) > 5 {
			return nil, fmt.Errorf("line %d: %q: want p, role, domain, resource, action or g, subject, role, domain", n, line)
		}
		var rule Rule
		rule.PType = strings.TrimSpace(parts[0])
		for i, p := range parts[1:] {
			rule.V[i] = strings.TrimSpace(p)
		}
		if err := rule.Validate(); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		rules = append(rules, rule)
	}
	return rules, sc.Err()
}

// BuiltinPolicy is the embedded policy.csv.
func BuiltinPolicy() []Rule {
	rules, err := ParsePolicy(strings.NewReader(builtinPolicy))
	if err != nil {
		panic(fmt.Sprintf("embedded policy.csv: %v", err)) // a build defect, caught by tests
	}
	return rules
}

// Store persists policy rules; the ent-backed adapter implements it.
type Store interface {
	LoadRules(ctx context.Context) ([]Rule, error)
	AddRule(ctx context.Context, r Rule) error
	RemoveRule(ctx context.Context, r Rule) error
}

// Authorizer answers what a subject may do. It keeps a Casbin enforcer built from the stored
// rules and, per subject, the Permissions derived from it; Reload rebuilds both when the stored
// rules change (Watch polls for that).
type Authorizer struct {
	store    Store
	logger   *slog.Logger
	cfg      Config
	mu       sync.Mutex // serialises reloads and writes
	enforcer atomic.Pointer[casbin.Enforcer]
	digest   string
	cache    sync.Map // subject → cached, each tagged with the enforcer it was derived from
	// lastForced is when Known last reloaded the policy for an unknown subject (UnixNano).
	lastForced atomic.Int64
}

// Config is what an Authorizer needs besides its store: the clock that says what day it is
// and the owner's predicate of rows in publicity (sectors/publicity.Predicate).
type Config struct {
	Clock     vocab.Clock
	Publicity Publicity
}

// New builds an Authorizer over store; it seeds the store with the built-in policy when empty.
func New(ctx context.Context, store Store, logger *slog.Logger, cfg Config) (*Authorizer, error) {
	if cfg.Clock == nil {
		cfg.Clock = vocab.SystemClock
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler) // Watch and the binding upgrade log through it
	}
	a := &Authorizer{store: store, logger: logger, cfg: cfg}
	rules, err := store.LoadRules(ctx)
	if err != nil {
		return nil, err
	}
	if err := upgradeBindings(ctx, store, rules, logger); err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		for _, r := range BuiltinPolicy() {
			if err := store.AddRule(ctx, r); err != nil {
				return nil, fmt.Errorf("seeding the built-in policy: %w", err)
			}
		}
	}
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// NewEnforcer builds a Casbin enforcer over rules with creditgraph's model.
func NewEnforcer(rules []Rule) (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, err
	}
	e.AddFunction("objMatch", func(args ...any) (any, error) {
		return objMatch(args[0].(string), args[1].(string), args[2].(string)), nil
	})
	e.AddNamedDomainMatchingFunc("g", "keyMatch", util.KeyMatch)
	for _, r := range rules {
		if r.PType == "p" {
			_, err = e.AddPolicy(r.V[0], r.V[1], r.V[2], r.V[3])
		} else {
			_, err = e.AddGroupingPolicy(r.V[0], r.V[1], r.V[2])
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r, err)
		}
	}
	return e, nil
}

// Reload rebuilds the enforcer from the store when the stored rules changed.
func (a *Authorizer) Reload(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	rules, err := a.store.LoadRules(ctx)
	if err != nil {
		return err
	}
	h := sha256.New()
	for _, r := range rules {
		fmt.Fprintln(h, r.String())
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if digest == a.digest {
		return nil
	}
	e, err := NewEnforcer(rules)
	if err != nil {
		return err
	}
	a.enforcer.Store(e)
	a.digest = digest
	a.cache.Clear()
	return nil
}

// Watch reloads the policy every interval until ctx ends, so a change made through any
// instance reaches this one within that interval.
func (a *Authorizer) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Reload(ctx); err != nil && ctx.Err() == nil {
				a.logger.WarnContext(ctx, "reloading the policy failed; keeping the previous one", "err", err)
			}
		}
	}
}

// upgradeBindings moves role bindings stored before subjects had namespaces (g, alice, clerk,
// market) to their token's subject (g, token:alice, clerk, market), and drops bindings whose
// subject is a role: a role inheriting another role was never meant, and it is how a token
// named like a role could have changed everyone's rights.
func upgradeBindings(ctx context.Context, store Store, rules []Rule, logger *slog.Logger) error {
	for _, r := range rules {
		if r.PType != "g" {
			continue
		}
		if _, ok := TokenOf(r.V[0]); ok {
			continue
		}
		if err := store.RemoveRule(ctx, r); err != nil {
			return fmt.Errorf("upgrading the role binding %s: %w", r, err)
		}
		if slices.Contains(Roles, r.V[0]) || !tokenName.MatchString(r.V[0]) {
			logger.WarnContext(ctx, "dropped a role binding whose subject is not a token", "rule", r.String())
			continue
		}
		up := r
		up.V[0] = TokenSubject(r.V[0])
		if err := store.AddRule(ctx, up); err != nil {
			return fmt.Errorf("upgrading the role binding %s: %w", r, err)
		}
	}
	return nil
}

// Known makes sure the policy in memory knows subject's role bindings: a token issued a moment
// ago by another instance or the CLI must work at once, not after the next Watch tick. When
// the subject has no binding here, the stored policy is reloaded — at most once a second, so
// a token whose bindings were all removed cannot make every request reload.
func (a *Authorizer) Known(ctx context.Context, subject string) error {
	if bound, err := a.enforcer.Load().GetFilteredGroupingPolicy(0, subject); err != nil || len(bound) > 0 {
		return err
	}
	now := a.cfg.Clock.Now().UnixNano()
	last := a.lastForced.Load()
	if now-last < int64(time.Second) || !a.lastForced.CompareAndSwap(last, now) {
		return nil
	}
	return a.Reload(ctx)
}

// RemoveSubject deletes every role binding of subject, and applies that here at once.
func (a *Authorizer) RemoveSubject(ctx context.Context, subject string) error {
	rules, err := a.store.LoadRules(ctx)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.PType == "g" && r.V[0] == subject {
			if err := a.store.RemoveRule(ctx, r); err != nil {
				return err
			}
		}
	}
	return a.Reload(ctx)
}

// Rules lists the current policy.
func (a *Authorizer) Rules(ctx context.Context) ([]Rule, error) { return a.store.LoadRules(ctx) }

// AddRule validates and stores a rule, and applies it here at once.
func (a *Authorizer) AddRule(ctx context.Context, r Rule) error {
	if err := r.Validate(); err != nil {
		return derrors.Field("rule", "%s", err)
	}
	if err := a.store.AddRule(ctx, r); err != nil {
		return err
	}
	return a.Reload(ctx)
}

// RemoveRule deletes a stored rule, and applies that here at once.
func (a *Authorizer) RemoveRule(ctx context.Context, r Rule) error {
	if err := a.store.RemoveRule(ctx, r); err != nil {
		return err
	}
	return a.Reload(ctx)
}

// Enforce is the raw Casbin decision; the rest of the code asks Permissions instead.
func (a *Authorizer) Enforce(sub, dom string, obj Resource, act Action) bool {
	ok, err := a.enforcer.Load().Enforce(sub, dom, string(obj), string(act))
	return err == nil && ok
}

// Permissions derives, once per subject and policy version, everything a subject may do.
func (a *Authorizer) Permissions(sub string) *Permissions {
	// Derive from one enforcer and cache the result under it: a reload between reading the
	// enforcer and storing the result must not leave rights of the old policy in the cache.
	e := a.enforcer.Load()
	if c, ok := a.cache.Load(sub); ok && c.(cached).e == e {
		return c.(cached).p
	}
	enforce := func(dom string, obj Resource, act Action) bool {
		ok, err := e.Enforce(sub, dom, string(obj), string(act))
		return err == nil && ok
	}
	p := &Permissions{Subject: sub, read: map[vocab.Sector]bool{}, public: map[vocab.Sector]bool{},
		write: map[vocab.Sector]bool{}, decide: map[vocab.Sector]bool{}, audit: map[string]bool{},
		inPublicity: a.cfg.Publicity, today: a.cfg.Clock.Today}
	for _, home := range AllSectors {
		dom := DepartmentCode(home)
		for _, s := range AllSectors {
			res := RecordsOf(s)
			p.read[s] = p.read[s] || enforce(dom, res, Read)
			p.public[s] = p.public[s] || enforce(dom, res, ReadPublic)
			p.write[s] = p.write[s] || enforce(dom, res, Write)
			p.decide[s] = p.decide[s] || enforce(dom, res, Decide)
		}
		p.RegistryRead = p.RegistryRead || enforce(dom, Registry, Read)
		p.RegistryReadPublic = p.RegistryReadPublic || enforce(dom, Registry, ReadPublic)
		p.RegistryWrite = p.RegistryWrite || enforce(dom, Registry, Write)
		p.ManageDepartments = p.ManageDepartments || enforce(dom, Departments, Manage)
		p.ManageLists = p.ManageLists || enforce(dom, Lists, Manage)
		p.PersonalData = p.PersonalData || enforce(dom, PersonalData, Read)
		p.ManagePolicy = p.ManagePolicy || enforce(dom, Policy, Manage)
		p.ManageTokens = p.ManageTokens || enforce(dom, Tokens, Manage)
		p.OwnFile = p.OwnFile || enforce(dom, OwnFile, Read)
		p.OwnFileWrite = p.OwnFileWrite || enforce(dom, OwnFile, Write)
		if enforce(dom, AuditLog, Read) {
			p.audit[dom] = true
		}
		roles, _ := e.GetRolesForUser(sub, dom)
		if slices.Contains(roles, RoleAuditor) {
			p.Auditor = true
		}
	}
	a.cache.Store(sub, cached{e: e, p: p})
	return p
}

// cached is a subject's permissions and the enforcer they were derived from.
type cached struct {
	e *casbin.Enforcer
	p *Permissions
}
