package ledger

// Batches of sector records — a department's daily export — are recorded in one transaction:
// every row through the engine's hooks and the privacy rules like a single create, one
// multi-row INSERT per chunk, reference rows read once, the entities named locked first and
// their evaluations recomputed once at the end. Errors name the row (input[7].decisionDate).

import (
	"context"
	"errors"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/ent/predicate"
	"github.com/creditgraph/creditgraph/ent/privacy"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/refdata"
	"github.com/creditgraph/creditgraph/storage/hint"
)

// MaxBatch is the most rows a batch mutation takes in one request.
const MaxBatch = 1000

// insertChunk is how many penalties go into one INSERT: about 45 bound values each, under
// SQLite's limit of 32,766.
const insertChunk = 250

// Penalties records a batch of penalties with c, the request's transaction: rows already
// stored under their source key are returned as stored, the others go through the schema's
// hooks one by one (validation, publicity), and the evaluations of the entities they name are
// recomputed once at the end instead of once per row.
func (e *Engine) Penalties(ctx context.Context, c *ent.Client, inputs []*ent.CreateAdministrativePenaltyInput) ([]*ent.AdministrativePenalty, error) {
	out, _, err := e.RecordPenalties(ctx, c, inputs)
	return out, err
}

// penaltiesBySourceKey makes a lookup of penalties by source key walk the unique index.
var penaltiesBySourceKey = predicate.AdministrativePenalty(hint.Through(migrate.AdministrativePenaltiesTable.Name,
	hint.SourceKey(migrate.AdministrativePenaltiesTable)))

// RecordPenalties is Penalties that also says how many rows were stored already under their
// source key (returned as stored, not written): an import reports them from the transaction
// that skipped them, not from a count taken before it.
func (e *Engine) RecordPenalties(ctx context.Context, c *ent.Client, inputs []*ent.CreateAdministrativePenaltyInput) (out []*ent.AdministrativePenalty, existing int, err error) {
	if len(inputs) == 0 || len(inputs) > MaxBatch {
		return nil, 0, derrors.Field("input", "a batch holds 1 to %d penalties, got %d", MaxBatch, len(inputs))
	}
	type key struct {
		dep            int
		system, record string
	}
	index := make(map[key]int, len(inputs))
	type source struct {
		dep    int
		system string
	}
	var sources []source
	records := map[source][]string{}
	for i, in := range inputs {
		k := key{in.DepartmentID, in.SourceSystem, in.SourceRecordID}
		if j, dup := index[k]; dup {
			return nil, 0, derrors.Row("input", i, derrors.Field("sourceRecordID", "repeats input[%d]", j))
		}
		index[k] = i
		s := source{in.DepartmentID, in.SourceSystem}
		if _, seen := records[s]; !seen {
			sources = append(sources, s)
		}
		records[s] = append(records[s], in.SourceRecordID)
	}
	out = make([]*ent.AdministrativePenalty, len(inputs))
	// Each department's source system with its own records, through the unique index on the
	// department's source key (package hint): one probe of the index for each key. Lists of
	// departments, systems and records made MariaDB probe every combination of the three, 13
	// times the keys for a batch across Jiangsu's cities (TestSourceKeyLookupsProbeOnlyTheirKeys).
	bySource := make([]predicate.AdministrativePenalty, len(sources))
	for i, s := range sources {
		bySource[i] = administrativepenalty.And(administrativepenalty.DepartmentID(s.dep), administrativepenalty.SourceSystem(s.system),
			administrativepenalty.SourceRecordIDIn(records[s]...))
	}
	stored, err := c.AdministrativePenalty.Query().Where(penaltiesBySourceKey, administrativepenalty.Or(bySource...)).All(ctx)
	if err != nil {
		return nil, 0, err
	}
	// Only a caller that may make the write hears that it is made already. A penalty's policy
	// judges a create by its department and source system, so it is asked once for each.
	judged := map[key]error{}
	for _, p := range stored {
		if i, ok := index[key{p.DepartmentID, p.SourceSystem, p.SourceRecordID}]; ok {
			k := key{dep: p.DepartmentID, system: p.SourceSystem}
			err, seen := judged[k]
			if !seen {
				err = mayWrite(ctx, c.AdministrativePenalty.Create().SetInput(*inputs[i]).Mutation())
				judged[k] = err
			}
			if err != nil {
				return nil, 0, derrors.Row("input", i, err)
			}
			out[i] = p
			existing++
		}
	}
	// Lock the entities named before writing (evaluator.Lock says why).
	var named []int
	for i, in := range inputs {
		if out[i] == nil && in.EntityID != nil {
			named = append(named, *in.EntityID)
		}
	}
	if err := evaluator.Lock(ctx, c, named...); err != nil {
		return nil, 0, err
	}
	// One multi-row INSERT through the hooks, with reference rows read once for the batch and
	// the evaluations recomputed once at the end.
	bulk := keysChecked(refdata.WithCache(evaluator.Deferred(ctx)))
	// The entities' codes, which each penalty's published counterparty must match, in one read.
	if err := refdata.PreloadEntityCodes(bulk, refdata.Of(c), named); err != nil {
		return nil, 0, err
	}
	var (
		fresh    []int
		builders []*ent.AdministrativePenaltyCreate
	)
	for i, in := range inputs {
		if out[i] == nil {
			fresh = append(fresh, i)
			builders = append(builders, c.AdministrativePenalty.Create().SetInput(*in))
		}
	}
	var entities []int
	seen := map[int]bool{}
	for from := 0; from < len(builders); from += insertChunk {
		to := min(from+insertChunk, len(builders))
		created, err := c.AdministrativePenalty.CreateBulk(builders[from:to]...).Save(bulk)
		if err != nil {
			return nil, 0, blame(bulk, c, inputs, fresh[from:to], err)
		}
		for k, p := range created {
			out[fresh[from+k]] = p
			if p.EntityID != 0 && !seen[p.EntityID] {
				seen[p.EntityID] = true
				entities = append(entities, p.EntityID)
			}
		}
	}
	if err := evaluator.Recompute(e.ObserveTiers(ctx), c, e.Clock, entities...); err != nil {
		return nil, 0, err
	}
	return out, existing, nil
}

// blame names the row that made a batch fail. A bulk insert reports what went wrong but not in
// which row, so the rows are written again one at a time, in the same transaction, until one
// fails the same way; the transaction is rolled back afterwards whatever happens. When no single
// row fails alone (two rows clash with each other), the batch's own error is returned. A write
// clash is no row's fault, and after one the database has already rolled the transaction back
// (statements sent now would commit on their own): it is returned at once.
func blame(ctx context.Context, c *ent.Client, inputs []*ent.CreateAdministrativePenaltyInput, fresh []int, batchErr error) error {
	if derrors.WriteClash(batchErr) {
		return batchErr
	}
	for _, i := range fresh {
		if err := c.AdministrativePenalty.Create().SetInput(*inputs[i]).Exec(ctx); err != nil {
			if !RowFault(err) {
				return err
			}
			return derrors.Row("input", i, err)
		}
	}
	return batchErr
}

// RowFault reports whether err is a row's own doing, which a batch names the row for and an
// import reports against it: input the caller must fix, a constraint the row breaks, a row it
// names that does not exist, a write the caller may not make. Anything else — the database
// failing or unreachable, a clash, a cancelled request — is no row's fault: naming a row for it
// would report good data as bad, and an import would skip the row for good.
func RowFault(err error) bool {
	var (
		field      *derrors.FieldError
		validation *ent.ValidationError
		constraint *ent.ConstraintError
		notFound   *ent.NotFoundError
	)
	return errors.As(err, &field) || errors.As(err, &validation) || errors.As(err, &constraint) || errors.As(err, &notFound) ||
		errors.Is(err, derrors.InvalidArgument) || errors.Is(err, derrors.NotFound) || errors.Is(err, derrors.Conflict) ||
		errors.Is(err, derrors.Forbidden) || errors.Is(err, privacy.Deny)
}
