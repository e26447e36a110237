package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one operation may ask for, checked before any resolver or SQL runs.
type Limits struct {
	// MaxCost bounds the estimated rows: each field costs 1 (aliases and repeated fields
	// each count), a totalCount countCost, a connection multiplies its children by first/last
	// (by MaxPage when neither is given) and nodes(ids:) by the number of IDs.
	MaxCost int
	// MaxDepth bounds the nesting of fields.
	MaxDepth int
	// MaxPage bounds first and last.
	MaxPage int
}

// DefaultLimits fit the heaviest supervisor screens with room to spare.
var DefaultLimits = Limits{MaxCost: 100000, MaxDepth: 12, MaxPage: 1000}

// countCost is what a totalCount costs: a COUNT over the caller's visible rows, however few
// rows the page returns, so a request cannot hide thousands of counts behind aliases.
const countCost = 100

// writeCost is what a mutation's root field costs unless fieldCosts says otherwise: a write
// runs its validation, hooks, the evaluation recompute and the audit, tens of statements, and a
// statement is worth about a hundred rows of a page. An operation holds about a hundred writes at
// most; a batch is one root field with a list input (at most ledger.MaxBatch rows).
const writeCost = 1000

// wholeBudget marks a field that must be the operation's only work: it costs all of MaxCost.
const wholeBudget = -1

// fieldCosts weigh the fields whose resolvers run statements of their own instead of reading
// one page of rows, by "Type.field", in rows (a statement ≈ 100). Every root field of Query that
// is neither a connection (counted by first/last) nor node/nodes must be here, and so must any
// Mutation field that costs more than writeCost: TestEveryRootFieldIsWeighed checks the schema.
var fieldCosts = map[string]int{
	"CreditReport.pdf": pdfCost,

	"Query.viewer":             1, // the request's own token, already read
	"Query.personByIdNumber":   300,
	"Query.policyRules":        300,
	"Query.entityCounts":       1000, // GROUP BY over what the caller may see, unless the tallies answer
	"Query.recordCounts":       1000,
	"Query.entityCountTable":   1000,
	"Query.recordCountTable":   1000,
	"Query.restrictions":       500,
	"Query.incentives":         500,
	"Query.eiaStatus":          300,
	"Query.verifyCreditReport": 200,
	"Query.issuedCreditReport": 300,
	"Query.creditReview":       2000, // builds a report
	"Query.repairReport":       500,

	"Mutation.creditReport":                2000,
	"Mutation.drawInspectionPlan":          5000,
	"Mutation.snapshotEnvironmentalCredit": 5000,
	"Mutation.importRecords":               10000,
	"Mutation.loadCalendar":                10000,       // counts every stored deadline again
	"Mutation.recomputeEvaluations":        wholeBudget, // every entity of the province
}

// ownCost is what field s costs itself, before what it contains.
func (g costGate) ownCost(s *ast.Field) int {
	if s.Name == "totalCount" && len(s.SelectionSet) == 0 {
		return countCost
	}
	if s.ObjectDefinition == nil {
		return 1
	}
	if c, ok := fieldCosts[s.ObjectDefinition.Name+"."+s.Name]; ok {
		if c == wholeBudget {
			return g.MaxCost
		}
		return c
	}
	if s.ObjectDefinition.Name == "Mutation" {
		return writeCost
	}
	return 1
}

// pdfCost is what printing a credit report costs: about 20 ms of CPU (measured on this machine
// through the HTTP API, 40 aliases of pdf in 0.75 s), the work of thousands of rows, so one
// operation prints a handful of reports at most however many aliases it writes.
const pdfCost = 10000

// costGate refuses operations over the limits with a clear error before execution.
type costGate struct{ Limits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = costGate{}

func (costGate) ExtensionName() string                          { return "CostGate" }
func (costGate) Validate(schema graphql.ExecutableSchema) error { return nil }

func (g costGate) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	cost, depth, err := g.measure(oc.Operation.SelectionSet, oc.Variables, 1)
	if err != nil {
		return err
	}
	switch {
	case depth > g.MaxDepth:
		return limitError("the query nests %d levels deep; at most %d are allowed", depth, g.MaxDepth)
	case cost > g.MaxCost:
		return limitError("the query could return about %d items; at most %d are allowed: ask for fewer with first/last or fewer nested lists", cost, g.MaxCost)
	}
	return nil
}

func limitError(format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": derrors.CodeQueryTooComplex}}
}

// Introspection reads the schema held in memory, not the database, so it is bounded by its
// shape rather than by rows: the standard queries of graphql-js, GraphiQL and graphql-codegen
// nest type references 15 levels deep (ofType in ofType …) but lists only three deep (types →
// fields → args) and never list what a type reference points to. What would multiply the
// schema by itself — a type's fields' types' fields — is refused.
const (
	introspectionDepth = 24
	introspectionLists = 3
)

// introspectionLists are the fields of the introspection types that return lists.
var introspectionListFields = map[string]bool{"types": true, "fields": true, "args": true, "inputFields": true,
	"interfaces": true, "enumValues": true, "possibleTypes": true, "directives": true}

// introspectionShape checks an introspection selection at depth with lists list fields above
// it; underRef is true below a type reference (type, ofType), where only names and kinds are
// expected.
func introspectionShape(set ast.SelectionSet, depth, lists int, underRef bool) *gqlerror.Error {
	if depth > introspectionDepth {
		return limitError("the introspection query nests more than %d levels", introspectionDepth)
	}
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			l, ref := lists, underRef || s.Name == "type" || s.Name == "ofType"
			if introspectionListFields[s.Name] {
				if underRef {
					return limitError("introspection: a type reference lists no %s; ask for the type by name instead", s.Name)
				}
				if l++; l > introspectionLists {
					return limitError("introspection: lists nest at most %d deep (types → fields → args)", introspectionLists)
				}
			}
			err = introspectionShape(s.SelectionSet, depth+1, l, ref)
		case *ast.InlineFragment:
			err = introspectionShape(s.SelectionSet, depth, lists, underRef)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				err = introspectionShape(s.Definition.SelectionSet, depth, lists, underRef)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// measure returns the estimated cost and the depth of a selection set.
func (g costGate) measure(set ast.SelectionSet, vars map[string]any, level int) (cost, depth int, err *gqlerror.Error) {
	for _, sel := range set {
		var c, d int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" { // judged by its shape, wherever it is
				c, d, err = 1, level, introspectionShape(s.SelectionSet, 1, 0, false)
				break
			}
			if err = g.checkArguments(s, vars); err != nil {
				break
			}
			own := g.ownCost(s)
			if len(s.SelectionSet) == 0 {
				c, d = own, level
				break
			}
			mult := 1
			if ids, ok := s.ArgumentMap(vars)["ids"].([]any); ok && s.Name == "nodes" {
				mult = max(len(ids), 1) // each ID is a lookup
			}
			if s.Definition != nil && s.Definition.Arguments.ForName("first") != nil {
				mult = g.MaxPage
				args := s.ArgumentMap(vars)
				for _, name := range []string{"first", "last"} {
					if n, ok := toInt(args[name]); ok {
						if n < 0 || int(n) > g.MaxPage {
							return 0, 0, &gqlerror.Error{Message: fmt.Sprintf("%s: between 0 and %d, got %d", name, g.MaxPage, n),
								Extensions: map[string]any{"code": derrors.CodeBadUserInput, "field": name}}
						}
						mult = int(n)
					}
				}
			}
			if mult == 1 {
				sub, sd, e := g.measure(s.SelectionSet, vars, level+1)
				if e != nil {
					return 0, 0, e
				}
				c, d = own+sub, sd
				break
			}
			// A page: its edges and nodes repeat per row, its totalCount and pageInfo do not.
			c, d = own, level
			for _, child := range s.SelectionSet {
				sub, sd, e := g.measure(ast.SelectionSet{child}, vars, level+1)
				if e != nil {
					return 0, 0, e
				}
				if f, ok := child.(*ast.Field); !ok || f.Name == "edges" || f.Name == "nodes" {
					sub *= mult
				}
				c, d = c+sub, max(d, sd)
			}
		case *ast.InlineFragment:
			c, d, err = g.measure(s.SelectionSet, vars, level)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				c, d, err = g.measure(s.Definition.SelectionSet, vars, level)
			}
		}
		if err != nil {
			return 0, 0, err
		}
		if cost += c; cost > g.MaxCost*10 { // stop counting early on absurd queries
			return cost, max(depth, d), nil
		}
		depth = max(depth, d)
	}
	return cost, depth, nil
}

// The bounds of what one statement may be asked to hold, the same on every engine: SQLite
// refuses an expression nested deeper than 1,000 (a filter's conditions are chained) and more
// than 32,766 bound values; MariaDB would take more, slowly. Past them a request is bad input,
// not an internal error.
const (
	maxFilterTerms  = 500    // conditions and and/or/not entries in one where input
	maxFilterValues = 10_000 // values in its In/NotIn lists together
	// maxFilterText bounds each text a filter compares with (SQLite refuses LIKE patterns over
	// 50,000 bytes); the longest code or name we store is far shorter.
	maxFilterText = 1000
)

// checkArguments refuses arguments too large for one statement: a where input over the filter
// bounds, or nodes(ids:) over a page of IDs.
func (g costGate) checkArguments(s *ast.Field, vars map[string]any) *gqlerror.Error {
	if s.Definition == nil || len(s.Arguments) == 0 {
		return nil
	}
	args := s.ArgumentMap(vars)
	if ids, ok := args["ids"].([]any); ok && s.Name == "nodes" && len(ids) > g.MaxPage {
		return badArgument("ids", "at most %d IDs, got %d", g.MaxPage, len(ids))
	}
	w, ok := args["where"]
	if !ok || w == nil {
		return nil
	}
	var size filterSize
	size.add(w)
	switch {
	case size.terms > maxFilterTerms:
		return badArgument("where", "the filter has %d conditions; at most %d are allowed", size.terms, maxFilterTerms)
	case size.values > maxFilterValues:
		return badArgument("where", "the filter lists %d values; at most %d are allowed", size.values, maxFilterValues)
	case size.longest > maxFilterText:
		return badArgument("where", "the filter compares with a text of %d characters; at most %d are allowed", size.longest, maxFilterText)
	}
	return nil
}

// filterSize measures a where input: its conditions (every field given, and every entry of
// and/or), the values of its lists of scalars, and its longest text.
type filterSize struct{ terms, values, longest int }

func (f *filterSize) add(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			f.terms++
			f.add(e)
		}
	case []any:
		for _, e := range x {
			if _, object := e.(map[string]any); object {
				f.terms++
			} else {
				f.values++
			}
			f.add(e)
		}
	case string:
		f.longest = max(f.longest, utf8.RuneCountInString(x))
	}
}

func badArgument(field, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: field + ": " + fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": derrors.CodeBadUserInput, "field": field}}
}

// toInt reads an integer argument, given inline (int64) or as a variable (json.Number).
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// Operations refused before execution (over a limit, a page too large) are protocol errors:
// gqlgen answers them with HTTP 422 like validation errors.
func init() {
	errcode.RegisterErrorType(derrors.CodeQueryTooComplex, errcode.KindProtocol)
	errcode.RegisterErrorType(derrors.CodeBadUserInput, errcode.KindProtocol)
}
