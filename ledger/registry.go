package ledger

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/apitoken"
	"github.com/creditgraph/creditgraph/ent/datakeycheck"
	"github.com/creditgraph/creditgraph/ent/department"
	"github.com/creditgraph/creditgraph/ent/division"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/hook"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/ent/naturalperson"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/vocab"
)

var industryCode = regexp.MustCompile(`^[A-T]([0-9]{2,4})?$`)

// marketEntity normalises and validates the USCC and derives kind, organisation code and
// division from it.
func (e *Engine) marketEntity(next ent.Mutator) ent.Mutator {
	return hook.MarketEntityFunc(func(ctx context.Context, m *gen.MarketEntityMutation) (ent.Value, error) {
		if raw, ok := m.Uscc(); ok {
			code := ident.NormalizeUSCC(raw)
			status, err := ident.ValidateUSCC(code, false)
			if err != nil {
				return nil, derrors.Field("uscc", "%s", err)
			}
			kind, _ := ident.EntityKindOf(code)
			m.SetUscc(code)
			m.SetUsccStatus(marketentity.UsccStatus(status))
			m.SetOrgCode(ident.OrgCode(code))
			m.SetEntityKind(kind)
			div := code[2:8]
			m.SetDivisionCode(div)
			if d, ok := ident.LookupDivision(div); ok {
				if d.CityCode != "" {
					m.SetCityCode(d.CityCode)
				}
				id, err := m.Client().Division.Query().Where(division.Code(div)).OnlyID(authz.AsSystem(ctx))
				switch {
				case err == nil:
					m.SetDivisionID(id)
				case !gen.IsNotFound(err):
					return nil, err
				}
			}
		}
		if _, ok := m.EvaluationDueOn(); !ok && m.Op().Is(ent.OpCreate) {
			m.SetEvaluationDueOn(e.today()) // first evaluated by the due-date job, if no record comes first
		}
		if v, ok := m.IndustryCode(); ok && v != "" && !industryCode.MatchString(v) {
			return nil, derrors.Field("industryCode", "%q is not a GB/T 4754 code (a letter A-T and 2 to 4 digits)", v)
		}
		if err := e.notFuture(m, "established_on"); err != nil {
			return nil, err
		}
		if err := nonNegative(m, "registered_capital"); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// naturalPerson validates the ID number for its type and derives gender, birth date and
// address code from a resident ID. At rest the number exists only sealed, hashed for lookup,
// and masked.
func (e *Engine) naturalPerson(next ent.Mutator) ent.Mutator {
	return hook.NaturalPersonFunc(func(ctx context.Context, m *gen.NaturalPersonMutation) (ent.Value, error) {
		if raw, ok := m.IDNumber(); ok {
			t, ok := m.IDType()
			if !ok {
				t = vocab.IDResidentCard
			}
			number := ident.NormalizeIDNumber(raw)
			facts, err := ident.ValidateIDNumber(t, number, e.Clock.Now())
			if err != nil {
				return nil, derrors.Field("idNumber", "%s", err)
			}
			if e.Cipher == nil {
				return nil, errors.New("no personal-data key is configured (CREDITGRAPH_DATA_KEY)")
			}
			sealed, err := e.Cipher.Seal(number)
			if err != nil {
				return nil, err
			}
			m.SetIDNumber(sealed)
			m.SetIDNumberHash(e.Cipher.Hash(string(t), number))
			m.SetIDNumberMasked(pii.MaskIDNumber(number))
			if !facts.BirthDate.IsZero() {
				m.SetBirthDate(facts.BirthDate)
				m.SetGender(facts.Gender)
				m.SetDivisionCode(facts.DivisionCode)
			}
		}
		if v, ok := m.Name(); ok && strings.TrimSpace(v) == "" {
			return nil, derrors.Field("name", "must not be blank")
		}
		return next.Mutate(ctx, m)
	})
}

// entityRole checks a role's dates and keeps MarketEntity.legalRepresentative equal to the
// current LEGAL_REPRESENTATIVE role (the latest started one that has not ended), read as
// committed (evaluator.Current) so that two appointments at once leave the later one.
func (e *Engine) entityRole(next ent.Mutator) ent.Mutator {
	return hook.EntityRoleFunc(func(ctx context.Context, m *gen.EntityRoleMutation) (ent.Value, error) {
		if err := e.notFuture(m, "started_on"); err != nil {
			return nil, err
		}
		// A role that was the legal representative's and is another now leaves the entity's
		// representative to be decided again, as one that is the representative's does.
		wasRepresentative := false
		if m.Op().Is(ent.OpUpdateOne) {
			old, err := m.OldRole(ctx)
			if err != nil {
				return nil, err
			}
			wasRepresentative = old == entityrole.RoleLEGAL_REPRESENTATIVE
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return nil, err
		}
		role, ok := v.(*gen.EntityRole)
		if !ok || role.Role != entityrole.RoleLEGAL_REPRESENTATIVE && !wasRepresentative {
			return v, err
		}
		if err := e.representative(ctx, m.Client(), role.EntityID); err != nil {
			return nil, err
		}
		return v, nil
	})
}

// departmentIdentity keeps a department's sector and code once rows point at it: its sector is
// its records' (who may read and write them), its code keys what it sent (an import's source
// system is exchange:<code>) and names it as the bureau of clerks' tokens, so neither changes
// under them; a reorganisation is recorded as a new department. Its name and the rest may be
// corrected. The rows that point at a department are found through the schema's foreign keys,
// so a new kind of record is counted without a change here.
func departmentIdentity(next ent.Mutator) ent.Mutator {
	return hook.DepartmentFunc(func(ctx context.Context, m *gen.DepartmentMutation) (ent.Value, error) {
		sector, sectorSet := m.Sector()
		code, codeSet := m.Code()
		if m.Op().Is(ent.OpCreate) || !sectorSet && !codeSet {
			return next.Mutate(ctx, m)
		}
		ids, err := m.IDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			d, err := m.Client().Department.Get(authz.AsSystem(ctx), id)
			if err != nil {
				return nil, err
			}
			var changed []string
			if sectorSet && sector != d.Sector {
				changed = append(changed, fmt.Sprintf("sector (%s to %s)", d.Sector, sector))
			}
			if codeSet && code != d.Code {
				changed = append(changed, fmt.Sprintf("code (%s to %s)", d.Code, code))
			}
			if len(changed) == 0 {
				continue
			}
			table, err := pointedAt(ctx, m.Client(), id)
			if err != nil {
				return nil, err
			}
			if table == "" && codeSet && code != d.Code {
				// A clerk's or supervisor's token names its bureau by code.
				n, err := m.Client().APIToken.Query().Where(apitoken.Unit(d.Code), apitoken.RevokedAtIsNil()).Count(authz.AsSystem(ctx))
				if err != nil {
					return nil, err
				}
				if n > 0 {
					table = "tokens (" + apitoken.Table + ".unit)"
				}
			}
			if table != "" {
				return nil, fmt.Errorf("%w: %s keeps its %s: %s point at it; record a reorganisation as a new department",
					derrors.Conflict, d.Code, strings.Join(changed, " and "), table)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// pointedAt names a table with a row whose foreign key is the department's id, or "".
func pointedAt(ctx context.Context, c *gen.Client, id int) (string, error) {
	for _, t := range migrate.Tables {
		for _, fk := range t.ForeignKeys {
			if fk.RefTable == nil || fk.RefTable.Name != department.Table || len(fk.Columns) != 1 {
				continue
			}
			rows, err := c.QueryContext(ctx, "SELECT 1 FROM "+t.Name+" WHERE "+fk.Columns[0].Name+" = ? LIMIT 1", id)
			if err != nil {
				return "", err
			}
			found := rows.Next()
			err = errors.Join(rows.Err(), rows.Close())
			if err != nil {
				return "", err
			}
			if found {
				return t.Name, nil
			}
		}
	}
	return "", nil
}

// representative stores as the entity's legal representative the person of its current
// LEGAL_REPRESENTATIVE role: the latest started one held today (a role's end is its last day),
// or none.
func (e *Engine) representative(ctx context.Context, c *gen.Client, entityID int) error {
	ctx = authz.AsSystem(ctx) // maintaining a derived field, not a read or write of the caller's
	current, err := c.EntityRole.Query().
		Where(entityrole.EntityID(entityID), entityrole.RoleEQ(entityrole.RoleLEGAL_REPRESENTATIVE),
			entityrole.Or(entityrole.EndedOnIsNil(), entityrole.EndedOnGTE(e.today())), predicate.EntityRole(evaluator.Current)).
		Order(gen.Desc(entityrole.FieldStartedOn), gen.Desc(entityrole.FieldID)).
		First(ctx)
	upd := c.MarketEntity.UpdateOneID(entityID)
	switch {
	case err == nil:
		upd.SetLegalRepresentativeID(current.PersonID)
	case gen.IsNotFound(err):
		upd.ClearLegalRepresentative()
	default:
		return err
	}
	if err := upd.Exec(ctx); err != nil {
		return fmt.Errorf("updating legal representative: %w", err)
	}
	return nil
}

// SyncRepresentatives decides again the legal representative of the entities whose stored
// representative's role has ended — its last day passed with nothing written (a role's end may
// be recorded ahead, or on its last day) — since the engine's last run that succeeded; on its
// first run, of every such entity. In transactions of 100 entities; running it twice changes
// nothing.
func (e *Engine) SyncRepresentatives(ctx context.Context, c *gen.Client) error {
	e.representatives.Lock()
	defer e.representatives.Unlock()
	ctx = authz.AsSystem(ctx)
	today := e.today()
	q := c.EntityRole.Query().Where(entityrole.RoleEQ(entityrole.RoleLEGAL_REPRESENTATIVE), entityrole.EndedOnLT(today),
		func(s *sql.Selector) { // the role of the person stored as the entity's representative
			me := sql.Table(marketentity.Table)
			s.Where(sql.Exists(sql.Select(me.C(marketentity.FieldID)).From(me).Where(sql.And(
				sql.ColumnsEQ(me.C(marketentity.FieldID), s.C(entityrole.FieldEntityID)),
				sql.ColumnsEQ(me.C(marketentity.FieldLegalRepresentativeID), s.C(entityrole.FieldPersonID))))))
		})
	if !e.representatives.syncedTo.IsZero() {
		q.Where(entityrole.EndedOnGTE(e.representatives.syncedTo.AddDate(0, 0, -1)))
	}
	entities, err := q.Unique(true).Select(entityrole.FieldEntityID).Ints(ctx)
	if err != nil {
		return err
	}
	for len(entities) > 0 {
		batch := entities[:min(100, len(entities))]
		entities = entities[len(batch):]
		tx, err := c.Tx(ctx)
		if err != nil {
			return err
		}
		txCtx := gen.NewTxContext(ctx, tx)
		// The entities' locks first, in one order, as a write about them takes them: a role
		// written meanwhile waits instead of deadlocking with the decision.
		err = evaluator.Lock(txCtx, tx.Client(), batch...)
		for i := 0; err == nil && i < len(batch); i++ {
			err = e.representative(txCtx, tx.Client(), batch[i])
		}
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	e.representatives.syncedTo = today
	return nil
}

// ErrWrongKey is how CheckKey reports a personal-data key that is not the database's.
var ErrWrongKey = errors.New("the personal-data key is not the one this database's ID numbers are sealed with")

// keyCheckName names the one DataKeyCheck row.
const keyCheckName = "personal-data"

// CheckKey tells whether the engine's personal-data key is the database's: the one whose
// fingerprint the database records (schema.DataKeyCheck), or — in a database that records none
// yet — the one its stored ID numbers open with, which it then records. Another key would not
// fail loudly where it matters most: the lookup hash it computes for a known number is new, so
// the person would be recorded a second time, and a search by ID number would miss the one
// whose listings and roles are stored — a legal representative escaping joint punishment. The
// first key checked against a database without persons becomes its key, so a later start with
// another one is refused before anything is sealed under it.
func (e *Engine) CheckKey(ctx context.Context, c *gen.Client) error {
	if e.Cipher == nil {
		return nil // no person can be recorded without a key, and none is opened
	}
	ctx = authz.SystemContext(ctx)
	for attempt := 0; ; attempt++ {
		stored, err := c.DataKeyCheck.Query().Where(datakeycheck.Name(keyCheckName)).Only(ctx)
		switch {
		case err == nil:
			if !hmac.Equal([]byte(stored.Fingerprint), []byte(e.Cipher.Fingerprint())) {
				return fmt.Errorf("%w (the database records another key's fingerprint, since %s)", ErrWrongKey, stored.CreatedAt.Format(time.DateOnly))
			}
			return nil
		case !gen.IsNotFound(err):
			return fmt.Errorf("reading the personal-data key's fingerprint: %w", err)
		}
		if err := e.opensStored(ctx, c); err != nil {
			return err
		}
		err = c.DataKeyCheck.Create().SetName(keyCheckName).SetFingerprint(e.Cipher.Fingerprint()).Exec(ctx)
		if err == nil || !gen.IsConstraintError(err) || attempt > 0 {
			return err
		}
		// Another instance recorded its key first: this one must be that one.
	}
}

// opensStored tells whether the engine's key opens the first stored ID number (any key does
// while none is stored).
func (e *Engine) opensStored(ctx context.Context, c *gen.Client) error {
	p, err := c.NaturalPerson.Query().Order(naturalperson.ByID()).Select(naturalperson.FieldID, naturalperson.FieldIDNumber).First(ctx)
	if gen.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading a stored ID number: %w", err)
	}
	if _, err := e.Cipher.Open(p.IDNumber); err != nil {
		return fmt.Errorf("%w (natural person %d: %v)", ErrWrongKey, p.ID, err)
	}
	return nil
}
