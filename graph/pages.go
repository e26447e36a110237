package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// uncountedPages keeps a top-level connection from counting rows nobody asked to count.
// entgql's Paginate counts every row the filter admits whenever pageInfo is selected, yet when
// it reads a page of edges it sets pageInfo from those rows (it reads one more than asked) and
// the count is thrown away. A frontend paging with pageInfo and edges, and every page of an
// export, paid for that count: at 10.43 M entities, every index entry of a city. With edges
// read and no totalCount selected, the resolver now sees a selection without pageInfo; the
// answer is the same (the executor writes pageInfo from the selection as asked).
func uncountedPages(ctx context.Context, fc *graphql.FieldContext, next graphql.Resolver) (any, error) {
	if fc.Object != "Query" || fc.Field.Definition == nil ||
		!strings.HasSuffix(fc.Field.Definition.Type.Name(), "Connection") || emptyPage(fc.Args) {
		return next(ctx)
	}
	page, selected := withoutFields(ctx, "pageInfo")
	if !selected["edges"] || !selected["pageInfo"] || selected["totalCount"] {
		return next(ctx)
	}
	return next(page)
}

// emptyPage reports whether the arguments ask for no edges (first or last 0): Paginate then
// reads no rows and pageInfo comes from the count.
func emptyPage(args map[string]any) bool {
	for _, name := range []string{"first", "last"} {
		if n, ok := args[name].(*int); ok && n != nil && *n == 0 {
			return true
		}
	}
	return false
}

// withoutFields returns ctx with the current field's selection lacking the named fields, for a
// resolver that should not see them (the executor still writes the answer from the whole
// selection), and which fields the selection had.
func withoutFields(ctx context.Context, names ...string) (context.Context, map[string]bool) {
	fc := graphql.GetFieldContext(ctx)
	selected := map[string]bool{}
	var rest ast.SelectionSet
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		selected[f.Name] = true
		if slices.Contains(names, f.Name) {
			continue
		}
		field := *f.Field
		field.SelectionSet = f.Selections
		rest = append(rest, &field)
	}
	page := *fc
	page.Field.Selections = rest
	out := graphql.WithFieldContext(ctx, &page)
	page.Parent = fc.Parent // the same field, not a child of itself
	return out, selected
}
