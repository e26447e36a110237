package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ent/sectorrating"
	"github.com/creditgraph/creditgraph/storage/tally"
	"github.com/creditgraph/creditgraph/vocab"
)

// The dashboards' counts are GROUP BY queries through ent, so the privacy rules filter them in
// SQL exactly as they filter the lists: a group counts only rows the caller may read.

// maxGroups bounds what one count returns.
const maxGroups = 10000

var entityColumns = map[EntityDimension]string{
	EntityDimensionCity: marketentity.FieldCityCode, EntityDimensionCounty: marketentity.FieldDivisionCode,
	EntityDimensionTier: marketentity.FieldRiskTier, EntityDimensionGrade: marketentity.FieldCreditGrade,
	EntityDimensionKind: marketentity.FieldEntityKind, EntityDimensionStatus: marketentity.FieldStatus,
}

// recordDates are the date each record type is counted by month on.
var recordDates = map[vocab.RecordType]string{
	vocab.RecordPenalty: "decision_date", vocab.RecordLicence: "decision_date", vocab.RecordListEntry: "listed_on",
	vocab.RecordRating: "valid_from", vocab.RecordSpotCheck: "inspected_on", vocab.RecordCommitment: "signed_on",
	vocab.RecordScoreEvent: "effective_from", vocab.RecordRedList: "recognised_on",
}

// groupRow is one group as scanned: up to four keys and the count.
type groupRow struct {
	K0 *string `sql:"k0"`
	K1 *string `sql:"k1"`
	K2 *string `sql:"k2"`
	K3 *string `sql:"k3"`
	N  int     `sql:"n"`
}

// grouping selects the expressions as k0 … and the count of rows (or of count's distinct
// values), grouped and ordered by them.
func grouping(exprs []func(*entsql.Selector) string, count func(*entsql.Selector) string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		cols := make([]string, 0, len(exprs)+1)
		for i, e := range exprs {
			cols = append(cols, entsql.As(e(s), fmt.Sprintf("k%d", i)))
		}
		n := entsql.Count("*")
		if count != nil {
			n = entsql.Count(entsql.Distinct(count(s)))
		}
		s.Select(append(cols, entsql.As(n, "n"))...)
		for _, e := range exprs {
			s.GroupBy(e(s))
			s.OrderBy(e(s))
		}
		s.Limit(maxGroups + 1)
	}
}

func checkDimensions[D comparable](groupBy []D) error {
	if len(groupBy) == 0 || len(groupBy) > 4 {
		return derrors.Field("groupBy", "name one to four dimensions, got %d", len(groupBy))
	}
	for i, d := range groupBy {
		if slices.Contains(groupBy[:i], d) {
			return derrors.Field("groupBy", "%v is named twice", d)
		}
	}
	return nil
}

func groups(rows []groupRow, n int) ([]*GroupCount, error) {
	if len(rows) > maxGroups {
		return nil, derrors.Field("groupBy", "more than %d groups; group by fewer dimensions or filter", maxGroups)
	}
	out := make([]*GroupCount, 0, len(rows))
	for _, r := range rows {
		keys := make([]string, 0, n)
		for _, k := range []*string{r.K0, r.K1, r.K2, r.K3}[:n] {
			if k == nil {
				keys = append(keys, "")
			} else {
				keys = append(keys, *k)
			}
		}
		out = append(out, &GroupCount{Keys: keys, Count: r.N})
	}
	return out, nil
}

// countTable lays a count's groups out column by column, in their order. gqlgen marshals a
// list of objects with a goroutine and a field collection per element, a list of scalars in a
// plain loop: for the ~900 groups of county × kind × status that is most of the request.
func countTable(gs []*GroupCount, err error) (*CountTable, error) {
	if err != nil {
		return nil, err
	}
	t := &CountTable{Keys: make([][]string, len(gs)), Counts: make([]int, len(gs))}
	for i, g := range gs {
		t.Keys[i], t.Counts[i] = g.Keys, g.Count
	}
	return t, nil
}

func (r *Resolver) entityCounts(ctx context.Context, groupBy []EntityDimension, where *ent.MarketEntityWhereInput, scheme *sectorrating.Scheme, day time.Time) ([]*GroupCount, error) {
	if err := checkDimensions(groupBy); err != nil {
		return nil, err
	}
	if slices.Contains(groupBy, EntityDimensionSectorGrade) {
		return sectorGradeCounts(ctx, r.client, groupBy, where, scheme, day)
	}
	if scheme != nil {
		return nil, derrors.Field("scheme", "goes with groupBy SECTOR_GRADE")
	}
	if f, ok := tallyFilter(where); ok {
		dims := make([]tally.Dim, len(groupBy))
		for i, d := range groupBy {
			dims[i] = entityDims[d]
		}
		switch gs, ok, err := r.entityTallies(ctx, f, dims, maxGroups+1); {
		case err != nil:
			return nil, err
		case ok:
			rows := make([]groupRow, len(gs))
			for i, g := range gs {
				keys := []**string{&rows[i].K0, &rows[i].K1, &rows[i].K2, &rows[i].K3}
				for j := range g.Keys {
					*keys[j] = &g.Keys[j]
				}
				rows[i].N = int(g.N)
			}
			return groups(rows, len(groupBy))
		}
	}
	q := r.client.MarketEntity.Query()
	if where != nil {
		var err error
		if q, err = where.Filter(q); err != nil {
			return nil, err
		}
	}
	exprs := make([]func(*entsql.Selector) string, 0, len(groupBy))
	for _, d := range groupBy {
		col := entityColumns[d]
		exprs = append(exprs, func(s *entsql.Selector) string { return s.C(col) })
	}
	var rows []groupRow
	if err := q.Modify(grouping(exprs, nil)).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	return groups(rows, len(groupBy))
}

// sectorGradeCounts counts entities by the grade of their rating of scheme in force on day,
// and by the entity's other dimensions. It counts through the ratings query, so the privacy
// rules filter the ratings as they filter the list (a grade the caller may not read counts
// nowhere), and only when the caller may read entities at all.
func sectorGradeCounts(ctx context.Context, c *ent.Client, groupBy []EntityDimension, where *ent.MarketEntityWhereInput, scheme *sectorrating.Scheme, day time.Time) ([]*GroupCount, error) {
	if scheme == nil {
		return nil, derrors.Field("scheme", "is required to group by SECTOR_GRADE")
	}
	if readable, err := c.MarketEntity.Query().Exist(ctx); err != nil || !readable {
		return []*GroupCount{}, err
	}
	q := c.SectorRating.Query().Where(sectorrating.SchemeEQ(*scheme), sectorrating.StatusEQ(vocab.Published),
		sectorrating.ValidFromLTE(day), sectorrating.Or(sectorrating.ValidUntilIsNil(), sectorrating.ValidUntilGTE(day)), sectorrating.HasEntity())
	if where != nil {
		p, err := where.P()
		switch {
		case err == nil:
			q.Where(sectorrating.HasEntityWith(p))
		case !errors.Is(err, ent.ErrEmptyMarketEntityWhereInput):
			return nil, err
		}
	}
	entities := entsql.Table(marketentity.Table).As("e")
	exprs := make([]func(*entsql.Selector) string, 0, len(groupBy))
	for _, d := range groupBy {
		if d == EntityDimensionSectorGrade {
			exprs = append(exprs, func(s *entsql.Selector) string { return s.C(sectorrating.FieldGrade) })
			continue
		}
		col := entityColumns[d]
		exprs = append(exprs, func(*entsql.Selector) string { return entities.C(col) })
	}
	var rows []groupRow
	err := q.Modify(func(s *entsql.Selector) {
		s.Join(entities).On(s.C(sectorrating.FieldEntityID), entities.C(marketentity.FieldID))
		grouping(exprs, func(s *entsql.Selector) string { return s.C(sectorrating.FieldEntityID) })(s)
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	return groups(rows, len(groupBy))
}

func recordCounts(ctx context.Context, c *ent.Client, typ vocab.RecordType, groupBy []RecordDimension, from, to *time.Time) ([]*GroupCount, error) {
	if err := checkDimensions(groupBy); err != nil {
		return nil, err
	}
	if from != nil && to != nil && to.Before(*from) {
		return nil, derrors.Field("to", "%s is before from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	date := recordDates[typ]
	bySeverity := typ == vocab.RecordPenalty || typ == vocab.RecordListEntry
	exprs := make([]func(*entsql.Selector) string, 0, len(groupBy))
	for _, d := range groupBy {
		switch d {
		case RecordDimensionSector:
			exprs = append(exprs, func(s *entsql.Selector) string { return s.C("sector") })
		case RecordDimensionStatus:
			exprs = append(exprs, func(s *entsql.Selector) string { return s.C("status") })
		case RecordDimensionSeverity:
			if !bySeverity {
				return nil, derrors.Field("groupBy", "%s records have no severity", typ)
			}
			exprs = append(exprs, func(s *entsql.Selector) string { return s.C("severity") })
		case RecordDimensionMonth:
			exprs = append(exprs, func(s *entsql.Selector) string {
				if s.Dialect() == dialect.MySQL {
					return fmt.Sprintf("DATE_FORMAT(%s, '%%Y-%%m')", s.C(date))
				}
				return fmt.Sprintf("substr(%s, 1, 7)", s.C(date)) // SQLite keeps dates as text that starts YYYY-MM-DD
			})
		}
	}
	mod := func(s *entsql.Selector) {
		if from != nil {
			s.Where(entsql.GTE(s.C(date), *from))
		}
		if to != nil {
			s.Where(entsql.LTE(s.C(date), *to))
		}
		grouping(exprs, nil)(s)
	}
	var rows []groupRow
	var err error
	switch typ {
	case vocab.RecordPenalty:
		err = c.AdministrativePenalty.Query().Modify(mod).Scan(ctx, &rows)
	case vocab.RecordLicence:
		err = c.AdministrativeLicense.Query().Modify(mod).Scan(ctx, &rows)
	case vocab.RecordListEntry:
		err = c.ListEntry.Query().Modify(mod).Scan(ctx, &rows)
	case vocab.RecordRating:
		err = c.SectorRating.Query().Modify(mod).Scan(ctx, &rows)
	case vocab.RecordSpotCheck:
		err = c.SpotCheck.Query().Modify(mod).Scan(ctx, &rows)
	case vocab.RecordCommitment:
		err = c.CreditCommitment.Query().Modify(mod).Scan(ctx, &rows)
	case vocab.RecordScoreEvent:
		err = c.CreditScoreEvent.Query().Modify(mod).Scan(ctx, &rows)
	case vocab.RecordRedList:
		err = c.RedListEntry.Query().Modify(mod).Scan(ctx, &rows)
	default:
		return nil, derrors.Field("type", "unknown record type %q", typ)
	}
	if err != nil {
		return nil, err
	}
	return groups(rows, len(groupBy))
}
