package authz

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"slices"
	"sync"

	"entgo.io/ent/entql"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/vocab"
)

// Permissions is what one subject may do, derived from the policy. The data-layer rules read
// it; nothing else decides access.
type Permissions struct {
	Subject string
	read    map[vocab.Sector]bool // every record of the sector
	public  map[vocab.Sector]bool // the sector's records in publicity
	write   map[vocab.Sector]bool
	decide  map[vocab.Sector]bool
	audit   map[string]bool // departments whose audit-log entries are visible

	RegistryRead       bool // entities, persons (masked), roles, providers
	RegistryReadPublic bool // entities' registration data only
	RegistryWrite      bool
	ManageDepartments  bool
	ManageLists        bool // list entries of any sector
	PersonalData       bool // unmasked ID numbers, with a stated purpose
	ManagePolicy       bool
	ManageTokens       bool
	Auditor            bool // every query is logged
	System             bool // internal jobs: everything allowed
	OwnFile            bool // reads the own file of the entity or person it is bound to (Own)
	OwnFileWrite       bool // signs commitments, applies for repair, files objections there

	// Own is the credit subject a subject or person token is bound to; its rows are the own
	// file. Zero for every other caller.
	Own Own

	// inPublicity and today come from the Authorizer's Config: which rows of a record type
	// are public, and on which day.
	inPublicity Publicity
	today       func() time.Time
}

// Publicity says which rows of a record type are in publicity on a day, as a predicate for
// the data layer's WHERE clause. Its owner, sectors/publicity, hands it over at wiring time;
// authz does not know the publicity rules.
type Publicity func(t vocab.RecordType, day time.Time) entql.P

// InPublicity is the predicate of t's rows that are public today. Without a Publicity (a
// misconfigured Authorizer) no row is public: the data layer fails closed.
func (p *Permissions) InPublicity(t vocab.RecordType) entql.P {
	if p.inPublicity == nil || p.today == nil {
		return entql.FieldEQ("id", -1)
	}
	return p.inPublicity(t, p.today())
}

// Own is the entity or natural person a token acts for (at most one of the two is set).
type Own struct {
	EntityID int
	PersonID int
}

// Bound reports whether a subject is bound.
func (o Own) Bound() bool { return o.EntityID != 0 || o.PersonID != 0 }

// SourceSystem is the source system of what the subject records itself (the commitments it
// signs): its own, so that its source keys can neither meet another subject's — which it may
// not read — nor squat on those a department's system will send.
func (o Own) SourceSystem() string {
	if o.EntityID != 0 {
		return fmt.Sprintf("%sentity:%d", SelfSource, o.EntityID)
	}
	return fmt.Sprintf("%sperson:%d", SelfSource, o.PersonID)
}

// SelfSource begins the source systems of subjects (Own.SourceSystem); no department's
// writer may use one, or it could take the keys a subject will sign with.
const SelfSource = "self:"

// SystemPermissions allow everything; seeding, migrations and CLI jobs run with them.
var SystemPermissions = &Permissions{Subject: "system", System: true}

// ReadSectors are the sectors whose records are all visible.
func (p *Permissions) ReadSectors() []vocab.Sector { return p.sectorsWhere(p.read) }

// PublicOnlySectors are the sectors whose public records only are visible.
func (p *Permissions) PublicOnlySectors() []vocab.Sector {
	var out []vocab.Sector
	for _, s := range AllSectors {
		if p.public[s] && !p.read[s] {
			out = append(out, s)
		}
	}
	return out
}

// WriteSectors are the sectors whose records may be created and changed.
func (p *Permissions) WriteSectors() []vocab.Sector { return p.sectorsWhere(p.write) }

// CanWrite reports whether records of sector s may be created or changed.
func (p *Permissions) CanWrite(s vocab.Sector) bool { return p.System || p.write[s] }

// CanDecide reports whether the subject takes the decisions of sector s's determining
// department (the re-review of a repair).
func (p *Permissions) CanDecide(s vocab.Sector) bool { return p.System || p.decide[s] }

// CanWriteAnything reports whether any mutation at all is open to the subject.
func (p *Permissions) CanWriteAnything() bool {
	return p.System || p.RegistryWrite || p.ManageDepartments || p.ManageLists || p.ManagePolicy ||
		len(p.sectorsWhere(p.write)) > 0 || p.OwnFileWrite && p.Own.Bound()
}

// AsksAbout reports whether the caller of ctx may ask about the entity or person s names —
// everyone may, except a subject or person token about anyone but itself. Checks that read
// across departments by a subject's key (restrictions, incentives, reports, EIA status) ask it
// and answer another subject like a missing one.
func AsksAbout(ctx context.Context, s Own) bool {
	v := FromContext(ctx)
	if v == nil || v.Perms == nil || !v.Perms.ReadsOwnFileOnly() {
		return true
	}
	return s == v.Perms.Own
}

// WithOwn is a copy of p bound to own: the permissions of one subject or person token.
func (p *Permissions) WithOwn(own Own) *Permissions {
	c := *p
	c.Own = own
	return &c
}

// Same reports whether p and q grant exactly the same: every field but the configuration
// (publicity and the clock) that every Permissions of one Authorizer shares. A connection
// that outlives a request (a WebSocket) compares its rights with the token's rights now.
func (p *Permissions) Same(q *Permissions) bool {
	if p == nil || q == nil {
		return p == q
	}
	type flags struct {
		Subject                                                    string
		RegistryRead, RegistryReadPublic, RegistryWrite            bool
		ManageDepartments, ManageLists, PersonalData, ManagePolicy bool
		ManageTokens, Auditor, System, OwnFile, OwnFileWrite       bool
		Own                                                        Own
	}
	of := func(p *Permissions) flags {
		return flags{p.Subject, p.RegistryRead, p.RegistryReadPublic, p.RegistryWrite, p.ManageDepartments, p.ManageLists,
			p.PersonalData, p.ManagePolicy, p.ManageTokens, p.Auditor, p.System, p.OwnFile, p.OwnFileWrite, p.Own}
	}
	return of(p) == of(q) && sameSet(p.read, q.read) && sameSet(p.public, q.public) && sameSet(p.write, q.write) &&
		sameSet(p.decide, q.decide) && sameSet(p.audit, q.audit)
}

// sameSet reports whether the keys mapped to true are the same in a and b.
func sameSet[K comparable](a, b map[K]bool) bool {
	for k, v := range a {
		if v != b[k] {
			return false
		}
	}
	for k, v := range b {
		if v != a[k] {
			return false
		}
	}
	return true
}

// ReadsOwnFileOnly reports whether the caller reads nothing but the own file of the subject it
// is bound to: a subject or person token. Queries that name an entity or a person answer such
// a caller only about its own.
func (p *Permissions) ReadsOwnFileOnly() bool {
	return p != nil && !p.System && p.Own.Bound()
}

// AuditDepartments are the departments whose audit-log entries are visible; all reports
// whether that is every department.
func (p *Permissions) AuditDepartments() (deps []string, all bool) {
	if p.System {
		return nil, true
	}
	for _, s := range AllSectors {
		if p.audit[DepartmentCode(s)] {
			deps = append(deps, DepartmentCode(s))
		}
	}
	return deps, len(deps) == len(AllSectors)
}

// CanReadAudit reports whether any audit-log entry is visible.
func (p *Permissions) CanReadAudit() bool {
	deps, all := p.AuditDepartments()
	return all || len(deps) > 0
}

func (p *Permissions) sectorsWhere(m map[vocab.Sector]bool) []vocab.Sector {
	if p.System {
		return slices.Clone(AllSectors)
	}
	var out []vocab.Sector
	for _, s := range AllSectors {
		if m[s] {
			out = append(out, s)
		}
	}
	return out
}

// Viewer is who is asking: the authenticated token (or the public) and its permissions.
type Viewer struct {
	TokenName  string // "public" without a token
	Role       string // role the token was issued with
	Department string // department code of the token
	// Unit is a clerk's or supervisor's own department (a Department code) when the token
	// belongs to one: it writes only that department's records and handles only its repairs
	// and objections. Empty for the whole sector.
	Unit  string
	Perms *Permissions

	// again authenticates the viewer's credential anew (TokenService.Authenticate sets it);
	// nil for a viewer no credential made (the system's).
	again func(context.Context) (*Viewer, error)

	mu      sync.Mutex // resolvers run concurrently
	reveals map[string]int
	lookups int
}

// ForRequest is a viewer with v's identity and rights and none of its per-request state (the
// lookups made, the purposes revealed): each operation over a connection that carries many
// (a WebSocket) is counted and audited on its own, as a request over HTTP is.
func (v *Viewer) ForRequest() *Viewer {
	if v == nil {
		return nil
	}
	return &Viewer{TokenName: v.TokenName, Role: v.Role, Department: v.Department, Unit: v.Unit, Perms: v.Perms, again: v.again}
}

// ErrRightsChanged is StillHolds' answer for a token whose rights are no longer the viewer's.
var ErrRightsChanged = fmt.Errorf("%w: the token's rights changed while this work ran; send it again to run with the rights the token has now", derrors.Conflict)

// StillHolds authenticates the viewer's credential again and tells whether it still grants
// exactly the viewer's rights: nil, or an error wrapping derrors.Unauthenticated (revoked,
// expired), ErrRightsChanged (a policy change gave or took rights) or derrors.Unavailable.
// Work that outlives the moment its request was authenticated — an export's pages, an
// import's batches — asks before each step, so it never goes on with rights the token has
// lost. A viewer no credential made (the system's) always holds.
func (v *Viewer) StillHolds(ctx context.Context) error {
	if v == nil || v.again == nil {
		return nil
	}
	now, err := v.again(ctx)
	if err != nil {
		return err
	}
	if !now.Perms.Same(v.Perms) {
		return ErrRightsChanged
	}
	return nil
}

// SeesPersons reports whether the viewer may read natural persons (the registry's persons,
// roles and practitioners) and so their internal IDs.
func (v *Viewer) SeesPersons() bool {
	return v != nil && v.Perms != nil && (v.Perms.RegistryRead || v.Perms.System)
}

// SeesPersonalFacts reports whether the viewer may read what an ID number tells — birth date,
// gender, address code. Together with the masked number (first and last four characters) they
// would narrow the number to a handful of candidates, so they are personal data like it.
func (v *Viewer) SeesPersonalFacts() bool {
	return v != nil && v.Perms != nil && (v.Perms.PersonalData || v.Perms.System)
}

// MaxPersonLookups is how many persons one request may look up by identity number.
const MaxPersonLookups = 5

// LookUpPerson decides a lookup of a person by identity number, which confirms that a number
// belongs to someone and so is personal data itself: the viewer needs the personal-data
// permission and a stated purpose, which the audit log records, and a request makes at most
// MaxPersonLookups of them.
func (v *Viewer) LookUpPerson(purpose *string) error {
	return v.lookUp("looking a person up by identity number", purpose)
}

// RegistrationPurpose is what the audit log records as the purpose of recording a person.
const RegistrationPurpose = "registering a person by identity number"

// RegisterPerson decides the recording of a person's identity number. A number is recorded
// once, so the answer tells whether it is recorded already: recording is a lookup by identity
// number like LookUpPerson — it needs the personal-data permission, is counted against the
// request's MaxPersonLookups, and is logged with RegistrationPurpose.
func (v *Viewer) RegisterPerson() error {
	purpose := RegistrationPurpose
	return v.lookUp("recording a person's identity number, which tells whether it is recorded already,", &purpose)
}

// lookUp decides one lookup by identity number (what, for the refusal).
func (v *Viewer) lookUp(what string, purpose *string) error {
	if v == nil || v.Perms == nil || !v.Perms.PersonalData && !v.Perms.System {
		return fmt.Errorf("%w: %s needs the personal-data permission", derrors.Forbidden, what)
	}
	if purpose == nil || strings.TrimSpace(*purpose) == "" {
		return derrors.Field("purpose", "state the purpose of looking a person up by identity number; it is logged")
	}
	v.mu.Lock()
	v.lookups++
	n := v.lookups
	v.mu.Unlock()
	if n > MaxPersonLookups {
		return derrors.Field("idNumber", "at most %d identity-number lookups per request", MaxPersonLookups)
	}
	v.NoteReveal(strings.TrimSpace(*purpose))
	return nil
}

// Retry forgets the lookups and reveals of an attempt that wrote nothing (a mutation rolled
// back for a write clash, which runs again): its answer is never sent, so the attempt that
// answers has the request's whole allowance and the audit log records what it revealed.
func (v *Viewer) Retry() {
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.lookups, v.reveals = 0, nil
}

// NoteReveal records that the request read unmasked personal data for purpose; the audit
// log writes it down.
func (v *Viewer) NoteReveal(purpose string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.reveals == nil {
		v.reveals = map[string]int{}
	}
	v.reveals[purpose]++
}

// Reveals returns the purposes personal data was unmasked for in this request.
func (v *Viewer) Reveals() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Sorted(maps.Keys(v.reveals))
}

// TakeReveals returns the purposes personal data was unmasked for since the last call, and
// forgets them: the audit log takes them once per response, so each event a subscription sends
// (one viewer serves them all) is recorded with what it unmasked, not what the events before it
// did.
func (v *Viewer) TakeReveals() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := slices.Sorted(maps.Keys(v.reveals))
	v.reveals = nil
	return out
}

// PublicViewer is a caller without a token: what a public credit website shows.
func PublicViewer(a *Authorizer) *Viewer {
	return &Viewer{TokenName: PublicSubject, Role: RolePublic, Perms: a.Permissions(PublicSubject)}
}

type viewerKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// FromContext returns the viewer of ctx, or nil when there is none; the data layer then
// denies everything (fail closed).
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// MayIntrospect reports whether the viewer may introspect the schema: any authenticated
// caller, and the public only when the server allows public introspection (development).
func MayIntrospect(v *Viewer, publicAllowed bool) bool {
	return publicAllowed || v != nil && v.TokenName != PublicSubject
}

// AsSystem lets the data layer read and maintain derived data whatever the caller may see, in
// the caller's context (its viewer stays for the audit trail): the caller's own write or read
// has passed its privacy check already, and the engine now keeps what follows from it. It is
// the one named way to bypass the privacy rules inside a request.
func AsSystem(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// SystemContext marks ctx as an internal job with every permission (seeding, migrations,
// CLI commands). Never use it for a caller's request.
func SystemContext(ctx context.Context) context.Context {
	return NewContext(ctx, &Viewer{TokenName: "system", Role: "system", Perms: SystemPermissions})
}

// IDNumber returns a person's identity number as the viewer may see it: whole when the viewer
// holds the personal-data permission and states a purpose — the read is then noted for the
// audit log — and masked (3205**********123X) otherwise.
func IDNumber(ctx context.Context, c *pii.Cipher, sealed, masked string, purpose *string) (string, error) {
	v := FromContext(ctx)
	if v == nil || v.Perms == nil || !v.Perms.PersonalData && !v.Perms.System || purpose == nil || strings.TrimSpace(*purpose) == "" {
		// Masked again on the way out: a mask stored under an older, looser rule shows what
		// the current rule shows (pii.MaskIDNumber of a mask is the mask of the number).
		return pii.MaskIDNumber(masked), nil
	}
	if c == nil {
		return "", errors.New("no personal-data key is configured")
	}
	plain, err := c.Open(sealed)
	if err != nil {
		return "", err
	}
	v.NoteReveal(strings.TrimSpace(*purpose))
	return plain, nil
}

// PersonName returns a name on a record as the viewer may see it: whole for callers who read
// the registry, masked (张**) for the others when it is a natural person's. It is the one place
// names on records are masked.
func PersonName(ctx context.Context, name string, naturalPerson bool) string {
	v := FromContext(ctx)
	if !naturalPerson || v != nil && v.Perms != nil && (v.Perms.RegistryRead || v.Perms.System) {
		return name
	}
	return pii.MaskName(name)
}

// SeesRecordOf reports whether a record of sector is visible: all of the sector's records, or
// its public ones when public is set. Event streams use it to scope what they send.
func (p *Permissions) SeesRecordOf(s vocab.Sector, public bool) bool {
	return p.System || p.read[s] || public && p.public[s]
}
