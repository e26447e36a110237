// Package rule holds the ent privacy rules and interceptors that enforce authz.Permissions in
// the data layer. Read rules add WHERE clauses, so lists, totalCount, cursors, eager-loaded
// edges and node(id) all agree: a row the caller may not see is simply absent. Write rules
// refuse mutations outside the caller's permissions with FORBIDDEN before anything is written.
// Every rule fails closed: a context without a viewer sees and changes nothing.
package rule

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/entql"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/naturalperson"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/vocab"
)

func perms(ctx context.Context) *authz.Permissions {
	if v := authz.FromContext(ctx); v != nil && v.Perms != nil {
		return v.Perms
	}
	return nil
}

// writer returns the permissions a write rule judges, or nil and the decision already made:
// no caller is refused, the system is let through.
func writer(ctx context.Context) (*authz.Permissions, error) {
	p := perms(ctx)
	switch {
	case p == nil:
		return nil, forbidden("no caller")
	case p.System:
		return nil, privacy.Skip
	}
	return p, nil
}

// nothing is a predicate no row satisfies.
var nothing = entql.FieldEQ("id", -1)

// forbidden is the denial returned to writers; it wraps privacy.Deny so ent stops, and
// derrors.Forbidden so the API answers FORBIDDEN.
func forbidden(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", privacy.Deny, derrors.Forbidden, fmt.Sprintf(format, args...))
}

func anyOf(ss []vocab.Sector) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// FilterRecords shows a record type's rows of the sectors the caller reads in full, and the
// rows in publicity of the sectors it may read publicly (which rows are in publicity is the
// Permissions' Publicity, handed over by sectors/publicity).
func FilterRecords(t vocab.RecordType) privacy.QueryMutationRule {
	return filter(nil, func(p *authz.Permissions) entql.P { return readable(p, t) })
}

// filter is a read rule: a query without a viewer is refused; the system, and viewers for
// whom all is true, see every row (SeesAll); the others the rows where says.
func filter(all Reader, where func(p *authz.Permissions) entql.P) privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		switch every, err := SeesAll(ctx, all); {
		case err != nil:
			return err
		case every:
			return privacy.Skip
		}
		f.Where(where(perms(ctx)))
		return privacy.Skip
	})
}

// SeesAll reports whether a read rule whose viewers all allows lets the caller see every row
// of its type: the system and the viewers all allows do. A caller without a viewer is
// refused, as the rule refuses it. Counts kept outside the ORM (storage/tally) are answered
// only to callers who see every row; the others see none of a registry type (FilterRegistry).
func SeesAll(ctx context.Context, all Reader) (bool, error) {
	p := perms(ctx)
	if p == nil {
		return false, privacy.Denyf("no viewer")
	}
	return p.System || all != nil && all(p), nil
}

// readable is the predicate on a record type's rows that FilterRecords applies.
func readable(p *authz.Permissions, t vocab.RecordType) entql.P {
	var ors []entql.P
	if full := p.ReadSectors(); len(full) > 0 {
		ors = append(ors, entql.FieldIn("sector", anyOf(full)...))
	}
	if pub := p.PublicOnlySectors(); len(pub) > 0 {
		ors = append(ors, entql.And(entql.FieldIn("sector", anyOf(pub)...), p.InPublicity(t)))
	}
	if own := ownRecords(p); own != nil {
		ors = append(ors, own)
	}
	switch len(ors) {
	case 0:
		return nothing
	case 1:
		return ors[0]
	default:
		return entql.Or(ors[0], ors[1], ors[2:]...)
	}
}

// ownRecords is the predicate of the records of the subject a subject or person token is bound
// to — all of them, in publicity or not (主体自助) — or nil for other callers.
func ownRecords(p *authz.Permissions) entql.P {
	switch {
	case !p.OwnFile:
		return nil
	case p.Own.EntityID != 0:
		return entql.FieldEQ("entity_id", p.Own.EntityID)
	case p.Own.PersonID != 0:
		return entql.FieldEQ("person_id", p.Own.PersonID)
	}
	return nil
}

// FilterOwn shows a registry type to the viewers read allows, and to a subject or person token
// only its own row: the entity (own is "entity") or the person ("person") it is bound to.
func FilterOwn(read Reader, own string) privacy.QueryMutationRule {
	return filter(read, func(p *authz.Permissions) entql.P {
		switch {
		case !p.OwnFile:
		case own == "entity" && p.Own.EntityID != 0:
			return entql.FieldEQ("id", p.Own.EntityID)
		case own == "person" && p.Own.PersonID != 0:
			return entql.FieldEQ("id", p.Own.PersonID)
		}
		return nothing
	})
}

// FilterThrough shows rows derived from a record (a measure application from its listing) to
// the viewers read allows, and only those whose record, reached by edge, they may read: what
// is derived from a record says no more than the record.
func FilterThrough(read Reader, edge string, t vocab.RecordType) privacy.QueryMutationRule {
	return filter(nil, func(p *authz.Permissions) entql.P {
		if !read(p) {
			return nothing
		}
		return entql.HasEdgeWith(edge, readable(p, t))
	})
}

// recordMutation is what the generated record mutations share.
type recordMutation interface {
	ent.Mutation
	DepartmentID() (int, bool)
	Client() *gen.Client
}

// WriteRecords lets a caller create and change records of the sectors it may write (and, with
// lists true, list entries of any sector when it manages lists). The sector is the deciding
// department's; bulk updates and deletes are for internal jobs only.
func WriteRecords(lists bool) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, mu ent.Mutation) error {
		p, decided := writer(ctx)
		if p == nil {
			return decided
		}
		m, ok := mu.(recordMutation)
		if !ok {
			return forbidden("unexpected mutation %T", mu)
		}
		var sector vocab.Sector
		switch {
		case m.Op().Is(ent.OpCreate):
			// The write engine derived the record's sector before this rule runs (ledger).
			if v, ok := m.Field("sector"); ok {
				sector = v.(vocab.Sector)
				break
			}
			// Types without a sector of their own belong to their department's.
			depID, ok := m.DepartmentID()
			if !ok {
				return privacy.Skip // the write engine reports the missing department
			}
			dep, err := m.Client().Department.Get(authz.AsSystem(ctx), depID)
			if gen.IsNotFound(err) {
				return privacy.Skip // reported as bad input by the write engine
			}
			if err != nil {
				return err
			}
			sector = dep.Sector
		case m.Op().Is(ent.OpUpdateOne):
			if old, err := m.OldField(ctx, "sector"); err == nil {
				sector = old.(vocab.Sector)
				break
			}
			// Types without a sector of their own belong to their department's.
			old, err := m.OldField(ctx, "department_id")
			if err != nil {
				return err
			}
			dep, err := m.Client().Department.Get(authz.AsSystem(ctx), old.(int))
			if err != nil {
				return err
			}
			sector = dep.Sector
		default:
			return forbidden("bulk changes of records are not allowed")
		}
		if s, ok := m.Field("source_system"); ok && strings.HasPrefix(fmt.Sprint(s), authz.SelfSource) {
			return derrors.Field("sourceSystem", "source systems beginning %q are the subjects' own", authz.SelfSource)
		}
		switch {
		case p.CanWrite(sector):
			if err := inUnit(ctx, m); err != nil {
				return err
			}
			return privacy.Skip
		case lists && p.ManageLists:
			return privacy.Skip
		}
		return forbidden("%s may not record or change %s records", p.Subject, authz.DepartmentCode(sector))
	})
}

// inUnit refuses a write by a token of one department (its unit) to a record of another
// department of its sector (谁认定: a bureau records and corrects its own decisions).
func inUnit(ctx context.Context, m recordMutation) error {
	v := authz.FromContext(ctx)
	if v == nil || v.Unit == "" {
		return nil
	}
	depID, ok := m.DepartmentID()
	if !ok {
		old, err := m.OldField(ctx, "department_id")
		if err != nil {
			return err
		}
		depID = old.(int)
	}
	dep, err := m.Client().Department.Get(authz.AsSystem(ctx), depID)
	if gen.IsNotFound(err) {
		return nil // reported as bad input by the write engine
	}
	if err != nil {
		return err
	}
	if !v.Handles(dep.Code) {
		return forbidden("%s records and changes only the records of %s, not of %s", v.TokenName, v.Unit, dep.Code)
	}
	return nil
}

// FilterWorkflow shows workflow documents tied to a department — repair applications,
// objections, prior notices — to the departments that read that department's sector in full
// (the determining department, auditors in scope) and to the credit office; other departments
// and the public see none.
//
// A subject or person token sees the documents about its own records, reached through the
// edges named in recordEdges (a repair application's or objection's penalty and listing), and
// a person token those whose person_id is its person when recordEdges names "person_id" (a
// prior notice).
func FilterWorkflow(recordEdges ...string) privacy.QueryMutationRule {
	return filter(func(p *authz.Permissions) bool { return p.ManagePolicy }, func(p *authz.Permissions) entql.P {
		if read := p.ReadSectors(); len(read) > 0 && p.RegistryRead {
			return entql.HasEdgeWith("department", entql.FieldIn("sector", anyOf(read)...))
		}
		if own := ownRecords(p); own != nil {
			var ors []entql.P
			for _, e := range recordEdges {
				if e == "person_id" {
					if p.Own.PersonID != 0 {
						ors = append(ors, own)
					}
					continue
				}
				ors = append(ors, entql.HasEdgeWith(e, own))
			}
			switch len(ors) {
			case 0:
			case 1:
				return ors[0]
			default:
				return entql.Or(ors[0], ors[1], ors[2:]...)
			}
		}
		return nothing
	})
}

// SignOwnCommitment lets a subject or person token sign a credit commitment (信用承诺) of its
// own: a new, PENDING commitment of the entity or person it is bound to, addressed to any
// department. Its other writes are refused; other callers are left to the next rule.
func SignOwnCommitment() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		p := perms(ctx)
		if p == nil || !p.ReadsOwnFileOnly() {
			return privacy.Skip
		}
		if !p.OwnFileWrite || !m.Op().Is(ent.OpCreate) {
			return forbidden("%s may sign new commitments of its own, not change commitments", p.Subject)
		}
		if f, ok := m.Field("fulfilment"); ok && fmt.Sprint(f) != "PENDING" {
			return forbidden("a commitment is signed PENDING; its keeping is recorded by the department")
		}
		if !ownSubject(p, m) {
			return forbidden("%s may sign commitments only for the subject it acts for", p.Subject)
		}
		if s, _ := m.Field("source_system"); s != p.Own.SourceSystem() {
			return derrors.Field("sourceSystem", "a subject signs in its own source system: send %q", p.Own.SourceSystem())
		}
		return privacy.Allow
	})
}

// ownSubject reports whether a new record names exactly the caller's own subject.
func ownSubject(p *authz.Permissions, m ent.Mutation) bool {
	e, hasE := m.Field("entity_id")
	pe, hasP := m.Field("person_id")
	switch {
	case p.Own.EntityID != 0:
		return hasE && e.(int) == p.Own.EntityID && !hasP
	case p.Own.PersonID != 0:
		return hasP && pe.(int) == p.Own.PersonID && !hasE
	}
	return false
}

// ApplyForOwnRecord lets a subject or person token start a repair application about one of its
// own records (the workflow's steps check who takes each one; they write as the system). Any
// other write is refused, and a record that is not its own is answered like a missing one.
func ApplyForOwnRecord() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, mu ent.Mutation) error {
		p := perms(ctx)
		if p == nil || !p.ReadsOwnFileOnly() {
			return privacy.Skip
		}
		if !p.OwnFileWrite || !mu.Op().Is(ent.OpCreate) {
			return forbidden("%s acts on its applications through their workflow steps", p.Subject)
		}
		m, ok := mu.(interface {
			ent.Mutation
			Client() *gen.Client
		})
		if !ok {
			return forbidden("unexpected mutation %T", mu)
		}
		sys := authz.AsSystem(ctx)
		var entityID, personID int
		switch {
		case fieldInt(m, "penalty_id") != 0:
			r, err := m.Client().AdministrativePenalty.Get(sys, fieldInt(m, "penalty_id"))
			if err != nil && !gen.IsNotFound(err) {
				return err
			}
			if r != nil {
				entityID, personID = r.EntityID, r.PersonID
			}
		case fieldInt(m, "list_entry_id") != 0:
			r, err := m.Client().ListEntry.Get(sys, fieldInt(m, "list_entry_id"))
			if err != nil && !gen.IsNotFound(err) {
				return err
			}
			if r != nil {
				entityID, personID = r.EntityID, r.PersonID
			}
		}
		if p.Own.EntityID != 0 && entityID == p.Own.EntityID || p.Own.PersonID != 0 && personID == p.Own.PersonID {
			return privacy.Allow
		}
		return forbidden("%s applies only about its own records", p.Subject)
	})
}

func fieldInt(m ent.Mutation, name string) int {
	if v, ok := m.Field(name); ok {
		if i, ok := v.(int); ok {
			return i
		}
	}
	return 0
}

// Reader says which viewers may see a registry type at all.
type Reader func(p *authz.Permissions) bool

// Registry readers.
var (
	// Entities reads market entities: their registration data is public.
	Entities = RegistryOrPublic
	// RegistryOrPublic: entities' registration data and providers are public.
	RegistryOrPublic Reader = func(p *authz.Permissions) bool { return p.RegistryRead || p.RegistryReadPublic }
	// RegistryOnly: persons, roles and practitioners are for departments, not the public.
	RegistryOnly Reader = func(p *authz.Permissions) bool { return p.RegistryRead }
	// CreditOfficeOrAuditor: records about government itself.
	CreditOfficeOrAuditor Reader = func(p *authz.Permissions) bool { return p.ManagePolicy || p.Auditor }
	// Everyone: reference data such as divisions, departments and publicity rules.
	Everyone Reader = func(*authz.Permissions) bool { return true }
)

// FilterRegistry shows a registry type to the viewers read allows, and hides it otherwise.
func FilterRegistry(read Reader) privacy.QueryMutationRule {
	return filter(read, func(*authz.Permissions) entql.P { return nothing })
}

// Writer says which viewers may change a type.
type Writer func(p *authz.Permissions) bool

// Registry writers.
var (
	RegistryWriter   Writer = func(p *authz.Permissions) bool { return p.RegistryWrite }
	DepartmentWriter Writer = func(p *authz.Permissions) bool { return p.ManageDepartments }
	PolicyWriter     Writer = func(p *authz.Permissions) bool { return p.ManagePolicy }
	ListWriter       Writer = func(p *authz.Permissions) bool { return p.ManageLists }
	SystemOnly       Writer = func(p *authz.Permissions) bool { return false }
)

// Write lets the viewers w allows create and update one row at a time; bulk updates and
// deletes are for internal jobs only.
func Write(w Writer) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		p, decided := writer(ctx)
		switch {
		case p == nil:
			return decided
		case !m.Op().Is(ent.OpCreate | ent.OpUpdateOne):
			return forbidden("bulk changes are not allowed")
		case w(p):
			return privacy.Skip
		}
		return forbidden("%s may not change %s", p.Subject, m.Type())
	})
}

// RegisterPerson lets a write set a person's identity number only as a lookup by that number
// (authz.Viewer.RegisterPerson): that the number is recorded already shows in the answer, so
// recording it is personal data like personByIdNumber — not something every registry writer
// may probe. Internal jobs (the seed) are let through.
func RegisterPerson() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		if _, set := m.Field(naturalperson.FieldIDNumber); !set {
			return privacy.Skip
		}
		if _, decided := writer(ctx); decided != nil {
			return decided
		}
		err := authz.FromContext(ctx).RegisterPerson()
		if errors.Is(err, derrors.Forbidden) {
			return fmt.Errorf("%w: %w", privacy.Deny, err)
		}
		return err
	})
}

// AppendOnly refuses every update and delete, even internal ones.
func AppendOnly() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		if m.Op().Is(ent.OpCreate) {
			return privacy.Skip
		}
		return forbidden("%s is append-only", m.Type())
	})
}

// FilterAudit shows audit-log entries of the departments the viewer may audit.
func FilterAudit() privacy.QueryMutationRule {
	return privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		p := perms(ctx)
		if p == nil {
			return privacy.Denyf("no viewer")
		}
		deps, all := p.AuditDepartments()
		switch {
		case all:
		case len(deps) == 0:
			f.Where(nothing)
		default:
			in := make([]any, len(deps))
			for i, d := range deps {
				in[i] = d
			}
			f.Where(entql.FieldIn("department", in...))
		}
		return privacy.Skip
	})
}
