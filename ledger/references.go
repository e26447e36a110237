package ledger

import (
	"context"
	"errors"
	"strings"

	"entgo.io/ent"

	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/migrate"
)

// references maps each foreign-key column to the table whose rows it points at, read from the
// generated schema so that an edge added later is covered. A column of that name pointing at
// one table from some tables and at another from others is left out (its refusal stays
// unnamed).
var references = func() map[string]string {
	refs := map[string]string{}
	ambiguous := map[string]bool{}
	for _, t := range migrate.Tables {
		for _, fk := range t.ForeignKeys {
			if len(fk.Columns) != 1 || fk.RefTable == nil {
				continue
			}
			col := fk.Columns[0].Name
			if have, ok := refs[col]; ok && have != fk.RefTable.Name {
				ambiguous[col] = true
			}
			refs[col] = fk.RefTable.Name
		}
	}
	for col := range ambiguous {
		delete(refs, col)
	}
	return refs
}()

// namedReferences turns a write refused by a foreign key — a row pointing at an entity, person
// or department that does not exist — into an error naming the field and the ID, as the
// database does not (SQLite names nothing; MariaDB names the constraint). Each reference is
// looked up as the caller may read it, in the mutation's field order, and the first the caller
// cannot see is named: a reference to a row that exists but is hidden from the caller is named
// just as a missing one would be, so the answer tells no one whether a hidden row exists. Only a
// failed write pays for the look-ups; a batch's rows are then written one by one to find the
// row (blame).
func namedReferences(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		var ce *gen.ConstraintError
		if err == nil || !errors.As(err, &ce) || !strings.Contains(strings.ToLower(ce.Error()), "foreign key") {
			return v, err
		}
		c, ok := m.(interface{ Client() *gen.Client })
		if !ok {
			return v, err
		}
		for _, f := range m.Fields() {
			table, isRef := references[f]
			value, _ := m.Field(f)
			id, isID := value.(int)
			if !isRef || !isID {
				continue
			}
			_, lerr := c.Client().Noder(ctx, id, gen.WithFixedNodeType(table))
			switch {
			case lerr == nil:
				continue
			case gen.IsNotFound(lerr):
				return nil, derrors.Field(derrors.GraphQLName(f), "%d is not the ID of a stored %s", id, noun(table))
			default:
				return v, err // the refusal as it was: the look-up is only to word it
			}
		}
		return v, err
	})
}

// noun is a table's row in words: market_entities → market entity.
func noun(table string) string {
	s := strings.ReplaceAll(table, "_", " ")
	switch {
	case strings.HasSuffix(s, "ies"):
		return strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "s"):
		return strings.TrimSuffix(s, "s")
	}
	return s
}
