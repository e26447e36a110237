package ledger

import (
	"context"
	"errors"

	"entgo.io/ent"

	"github.com/creditgraph/creditgraph/derrors"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativelicense"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/creditcommitment"
	"github.com/creditgraph/creditgraph/ent/creditscoreevent"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/ent/redlistentry"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/ent/spotcheck"
)

// finder reads the record stored under a department's source key, as the caller may see it.
type finder func(ctx context.Context, c *gen.Client, dep int, system, record string) (ent.Value, error)

// finders are the source-key lookups of the record types; once is the one implementation that
// uses them.
var finders = struct {
	penalty, licence, listEntry, rating, spotCheck, commitment, scoreEvent, redList finder
}{
	penalty: func(ctx context.Context, c *gen.Client, d int, s, r string) (ent.Value, error) {
		return c.AdministrativePenalty.Query().Where(administrativepenalty.DepartmentID(d), administrativepenalty.SourceSystem(s), administrativepenalty.SourceRecordID(r)).Only(ctx)
	},
	licence: func(ctx context.Context, c *gen.Client, d int, s, r string) (ent.Value, error) {
		return c.AdministrativeLicense.Query().Where(administrativelicense.DepartmentID(d), administrativelicense.SourceSystem(s), administrativelicense.SourceRecordID(r)).Only(ctx)
	},
	listEntry: func(ctx context.Context, c *gen.Client, d int, s, r string) (ent.Value, error) {
		return c.ListEntry.Query().Where(listentry.DepartmentID(d), listentry.SourceSystem(s), listentry.SourceRecordID(r)).Only(ctx)
	},
	rating: func(ctx context.Context, c *gen.Client, d int, s, r string) (ent.Value, error) {
		return c.SectorRating.Query().Where(sectorrating.DepartmentID(d), sectorrating.SourceSystem(s), sectorrating.SourceRecordID(r)).Only(ctx)
	},
	spotCheck: func(ctx context.Context, c *gen.Client, d int, s, r string) (ent.Value, error) {
		return c.SpotCheck.Query().Where(spotcheck.DepartmentID(d), spotcheck.SourceSystem(s), spotcheck.SourceRecordID(r)).Only(ctx)
	},
	commitment: func(ctx context.Context, c *gen.Client, d int, s, r string) (ent.Value, error) {
		return c.CreditCommitment.Query().Where(creditcommitment.DepartmentID(d), creditcommitment.SourceSystem(s), creditcommitment.SourceRecordID(r)).Only(ctx)
	},
	scoreEvent: func(ctx context.Context, c *gen.Client, d int, s, r string) (ent.Value, error) {
		return c.CreditScoreEvent.Query().Where(creditscoreevent.DepartmentID(d), creditscoreevent.SourceSystem(s), creditscoreevent.SourceRecordID(r)).Only(ctx)
	},
	redList: func(ctx context.Context, c *gen.Client, d int, s, r string) (ent.Value, error) {
		return c.RedListEntry.Query().Where(redlistentry.DepartmentID(d), redlistentry.SourceSystem(s), redlistentry.SourceRecordID(r)).Only(ctx)
	},
}

type keysCheckedKey struct{}

// keysChecked marks ctx as a batch that has looked its source keys up already (Penalties does
// it for the whole batch in one statement), so once does not ask again row by row.
func keysChecked(ctx context.Context) context.Context {
	return context.WithValue(ctx, keysCheckedKey{}, true)
}

// FreshKeys marks ctx as a load whose source keys are new by construction (the demo generator
// on an empty database): creates skip the per-row lookup, and a repeated key would still meet
// the unique index.
func FreshKeys(ctx context.Context) context.Context { return keysChecked(ctx) }

// once makes creating a record idempotent on its department's source key (sourceSystem,
// sourceRecordID): when the department has a record with the key and the caller can see it,
// it is returned unchanged and nothing is written, so a department's system can retry a send
// it is unsure of. Two concurrent first sends both look before either commits; the loser
// meets the unique index (SourceKeyTaken), and its caller — the GraphQL mutation, the
// importer — writes the batch again, which then finds the winner's record. A key taken by a
// record the caller cannot see stays taken: CONFLICT (permissionFirst makes it a refusal for a
// caller that may not write the record at all).
func once(find finder) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if !m.Op().Is(ent.OpCreate) || ctx.Value(keysCheckedKey{}) != nil {
				return next.Mutate(ctx, m)
			}
			dep, ok0 := m.Field("department_id")
			system, ok1 := m.Field("source_system")
			record, ok2 := m.Field("source_record_id")
			if !ok0 || !ok1 || !ok2 {
				return next.Mutate(ctx, m)
			}
			c := m.(interface{ Client() *gen.Client }).Client()
			v, err := find(ctx, c, dep.(int), system.(string), record.(string))
			switch {
			case err == nil:
				// Only a caller that may make the write hears that it is made already.
				if err := mayWrite(ctx, m); err != nil {
					return nil, err
				}
				return v, nil
			case !gen.IsNotFound(err):
				return nil, err
			}
			return next.Mutate(ctx, m)
		})
	}
}

// SourceKeyTaken reports whether err is a record's source key found taken by the unique index:
// a concurrent send of the same record committed between this one's lookup and its write.
func SourceKeyTaken(err error) bool {
	var c *gen.ConstraintError
	if !errors.As(err, &c) {
		return false
	}
	field, _ := derrors.DescribeConstraint(c.Error())
	return field == "sourceRecordID"
}
