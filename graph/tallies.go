package graph

import (
	"context"
	"errors"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"entgo.io/contrib/entgql"

	"github.com/creditgraph/creditgraph/authz/rule"
	"github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/storage/tally"
)

// Counts of market entities by city, county, tier, grade, kind and status come from the
// tallies (storage/tally) when the question allows: time that does not grow with the data,
// exact under concurrent writes. They answer only callers who see every entity
// (rule.SeesAll with rule.Entities); any other caller or question counts rows as before.

// tallyDims are the where input's fields the tallies count by, by their Go name.
var tallyDims = map[string]tally.Dim{
	"CityCode": tally.City, "DivisionCode": tally.County, "RiskTier": tally.Tier,
	"CreditGrade": tally.Grade, "EntityKind": tally.Kind, "Status": tally.Status,
}

// tallyOps are the comparisons of a field, by the suffix of its name.
var tallyOps = map[string]tally.Op{
	"": tally.In, "NEQ": tally.NotIn, "In": tally.In, "NotIn": tally.NotIn, "IsNil": tally.IsNil, "NotNil": tally.NotNil,
}

// entityDims are the dashboards' dimensions as the tallies' (all but SECTOR_GRADE).
var entityDims = map[EntityDimension]tally.Dim{
	EntityDimensionCity: tally.City, EntityDimensionCounty: tally.County, EntityDimensionTier: tally.Tier,
	EntityDimensionGrade: tally.Grade, EntityDimensionKind: tally.Kind, EntityDimensionStatus: tally.Status,
}

// tallyFilter is where as a filter of the tallies, or false when where asks about anything
// they do not count by (a name, a date, an edge, Or, Not). It looks at every field of the
// input, so a field added to the schema later sends its counts to the database until it is
// taught here.
func tallyFilter(where *ent.MarketEntityWhereInput) (tally.Filter, bool) {
	if where == nil {
		return nil, true
	}
	var f tally.Filter
	v := reflect.ValueOf(where).Elem()
	for i := range v.NumField() {
		fv, name := v.Field(i), v.Type().Field(i).Name
		if fv.IsZero() || fv.Kind() == reflect.Slice && fv.Len() == 0 {
			continue // ent ignores an empty list too
		}
		if name == "And" {
			for _, w := range where.And {
				g, ok := tallyFilter(w)
				if !ok {
					return nil, false
				}
				f = append(f, g...)
			}
			continue
		}
		c, ok := tallyCond(name, fv)
		if !ok {
			return nil, false
		}
		f = append(f, c)
	}
	return f, true
}

func tallyCond(name string, v reflect.Value) (tally.Cond, bool) {
	for prefix, dim := range tallyDims {
		op, ok := tallyOps[strings.TrimPrefix(name, prefix)]
		if !strings.HasPrefix(name, prefix) || !ok {
			continue
		}
		c := tally.Cond{Dim: dim, Op: op}
		switch v.Kind() {
		case reflect.Bool: // IsNil, NotNil
		case reflect.Pointer:
			c.Values = []string{v.Elem().String()}
		case reflect.Slice:
			for j := range v.Len() {
				c.Values = append(c.Values, v.Index(j).String())
			}
		default:
			return tally.Cond{}, false
		}
		return c, true
	}
	return tally.Cond{}, false
}

// entityTallies answers f grouped by dims from the tallies, or false when they cannot: no
// tallies here, inside a mutation's transaction (whose own writes only it sees), or a value
// the tallies cannot tell from an empty one.
func (r *Resolver) entityTallies(ctx context.Context, f tally.Filter, dims []tally.Dim, limit int) ([]tally.Group, bool, error) {
	if r.tallies == nil || ent.TxFromContext(ctx) != nil {
		return nil, false, nil
	}
	// Only for a caller who sees every entity: anyone else counts rows through the privacy
	// rule, which alone decides what a partial reader sees.
	if every, err := rule.SeesAll(ctx, rule.Entities); err != nil || !every {
		return nil, err != nil, err
	}
	gs, err := r.tallies.Count(ctx, f, dims, limit)
	if errors.Is(err, tally.ErrEmptyValue) {
		return nil, false, nil
	}
	return gs, err == nil, err
}

// tallyTotal is how many entities where admits, from the tallies; false when they cannot
// answer (see entityTallies).
func (r *Resolver) tallyTotal(ctx context.Context, where *ent.MarketEntityWhereInput) (int, bool, error) {
	f, ok := tallyFilter(where)
	if !ok {
		return 0, false, nil
	}
	gs, ok, err := r.entityTallies(ctx, f, nil, 0)
	if !ok || err != nil {
		return 0, ok, err
	}
	return int(gs[0].N), true, nil
}

// talliedEntities answers a marketEntities page that asks only for its count and page info
// (no edges, or first or last 0; no cursor) from the tallies, as ent's Paginate would answer
// it; false when it cannot.
func (r *Resolver) talliedEntities(ctx context.Context, after, before *entgql.Cursor[int], first, last *int, where *ent.MarketEntityWhereInput) (*ent.MarketEntityConnection, bool, error) {
	if after != nil || before != nil || first != nil && last != nil || first != nil && *first < 0 || last != nil && *last < 0 {
		return nil, false, nil
	}
	selected := map[string]bool{}
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		selected[f.Name] = true
	}
	zero := first != nil && *first == 0 || last != nil && *last == 0
	if selected["edges"] && !zero || !selected["totalCount"] && !selected["pageInfo"] {
		return nil, false, nil
	}
	n, ok, err := r.tallyTotal(ctx, where)
	if !ok || err != nil {
		return nil, ok, err
	}
	conn := &ent.MarketEntityConnection{Edges: []*ent.MarketEntityEdge{}, TotalCount: n}
	conn.PageInfo.HasNextPage = first != nil && conn.TotalCount > 0
	conn.PageInfo.HasPreviousPage = last != nil && conn.TotalCount > 0
	return conn, true, nil
}

// talliedPage reads a marketEntities page with edges whose totalCount the tallies answer:
// Paginate reads the rows of the page only (its field context no longer selects totalCount or
// pageInfo, so it counts nothing; it sets pageInfo from the rows it read) and totalCount comes
// from the tallies. A supervisor's page of one tier in a city otherwise counts every index
// entry of the range, which grows with the province. False when the page needs no count or the
// tallies cannot answer.
func (r *Resolver) talliedPage(ctx context.Context, after, before *entgql.Cursor[int], first, last *int, where *ent.MarketEntityWhereInput,
	paginate func(context.Context) (*ent.MarketEntityConnection, error)) (*ent.MarketEntityConnection, bool, error) {
	if after == nil && before == nil && first == nil && last == nil {
		return nil, false, nil // Paginate counts the rows it read
	}
	if graphql.GetFieldContext(ctx) == nil {
		return nil, false, nil
	}
	pageCtx, selected := withoutFields(ctx, "totalCount", "pageInfo")
	if !selected["totalCount"] {
		return nil, false, nil
	}
	n, ok, err := r.tallyTotal(ctx, where)
	if !ok || err != nil {
		return nil, ok, err
	}
	conn, err := paginate(pageCtx)
	if err != nil {
		return nil, true, err
	}
	conn.TotalCount = n
	return conn, true, nil
}
