package graph_test

import (
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// No answer echoes an unbounded input whole. Generated from the served schema: every String
// argument of every root field, and every String field of an input object a root field takes,
// set in turn to 3,000 characters, for a clerk and the public. Whatever the answer (bad input,
// not found, forbidden, or data), no error message carries the value.
func TestNoErrorEchoesALongInput(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		sch := introspect(env)
		long := strings.Repeat("长", 1500) + strings.Repeat("Z", 1500)
		tried := 0
		for _, root := range []string{"Query", "Mutation"} {
			for _, f := range sch.types[root].Fields {
				for _, a := range f.Args {
					name, kind, list := a.Type.named()
					var slots [][]string
					switch {
					case name == "String" && !list:
						slots = append(slots, []string{a.Name})
					case kind == "INPUT_OBJECT" && !list:
						for _, in := range sch.types[name].InputFields {
							if n, _, l := in.Type.named(); n == "String" && !l {
								slots = append(slots, []string{a.Name, in.Name})
							}
						}
					}
					for _, slot := range slots {
						q, vars := rootRequest(sch, root, f, slot, long)
						for _, c := range []string{"demo-market-clerk", ""} {
							tried++
							for _, ge := range env.as(c).post(q, vars).Errors {
								if strings.Contains(ge.Message, long[:300]) || len(ge.Message) > 1000 {
									t.Errorf("%s %s(%s): the error echoes the input: %.160q… (%d bytes)", c, f.Name, strings.Join(slot, "."), ge.Message, len(ge.Message))
								}
							}
						}
					}
				}
			}
		}
		t.Logf("%d requests", tried)
		if tried < 100 {
			t.Errorf("only %d requests: the test lost its reach", tried)
		}
	})
}

// rootRequest is a request for the root field f (of root, Query or Mutation) with every required
// argument filled with a plausible value and the slot (an argument, or an argument's input
// field) set to v.
func rootRequest(sch schemaInfo, root string, f gqlField, slot []string, v any) (string, map[string]any) {
	vars := map[string]any{}
	var decls, args []string
	for _, a := range f.Args {
		if a.Type.Kind != "NON_NULL" && a.Name != slot[0] {
			continue
		}
		val := sampleValue(sch, a.Type, nil, 1)
		switch {
		case len(slot) == 1 && a.Name == slot[0]:
			val = v
		case a.Name == slot[0]:
			obj, _ := val.(map[string]any)
			if obj == nil {
				obj = map[string]any{}
			}
			obj[slot[1]] = v
			val = obj
		}
		vars[a.Name] = val
		decls = append(decls, "$"+a.Name+": "+typeString(a.Type))
		args = append(args, a.Name+": $"+a.Name)
	}
	sel := ""
	if _, kind, _ := f.Type.named(); kind == "OBJECT" || kind == "INTERFACE" || kind == "UNION" {
		sel = "{ __typename }"
	}
	return "" + strings.ToLower(root) + "(" + strings.Join(decls, ", ") + ") { " + f.Name + "(" + strings.Join(args, ", ") + ") " + sel + " }", vars
}

// Edge values of every scalar argument of every root field, and of every scalar field of an
// input object a root field takes, are answered as data or as the caller's mistake — never
// INTERNAL, never an error without a code. Queries are asked as a supervisor and mutations as
// a clerk, the roles that get past authorization to the input on most fields.
func TestEdgeValuesAreNeverInternal(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		sch := introspect(env)
		edges := map[string][]any{
			"Int":     {-1, 2147483647},
			"ID":      {"-1", "18446744073709551616"},
			"String":  {"", "\x00%_'; --"},
			"Date":    {"0001-01-01", "9999-12-31"},
			"Time":    {"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"},
			"Decimal": {"1e400", "-0.0000001"},
			"Float":   {-1, 1e308},
		}
		tried := 0
		for _, root := range []string{"Query", "Mutation"} {
			for _, f := range sch.types[root].Fields {
				for _, a := range f.Args {
					name, kind, list := a.Type.named()
					type slot struct {
						path []string
						typ  string
					}
					var slots []slot
					switch {
					case edges[name] != nil && !list:
						slots = append(slots, slot{[]string{a.Name}, name})
					case kind == "INPUT_OBJECT" && !list:
						for _, in := range sch.types[name].InputFields {
							if n, _, l := in.Type.named(); edges[n] != nil && !l {
								slots = append(slots, slot{[]string{a.Name, in.Name}, n})
							}
						}
					}
					for _, s := range slots {
						for _, v := range edges[s.typ] {
							q, vars := rootRequest(sch, root, f, s.path, v)
							c := map[string]string{"Query": "demo-market-supervisor", "Mutation": "demo-market-clerk"}[root]
							tried++
							for _, ge := range env.as(c).post(q, vars).Errors {
								if code := ge.Extensions["code"]; code == nil || code == "INTERNAL" {
									t.Errorf("%s %s(%s: %v): %s %v", c, f.Name, strings.Join(s.path, "."), v, ge.Message, ge.Extensions)
								}
							}
						}
					}
				}
			}
		}
		// The arguments of the fields of every listed type, inside a page of its connection.
		nested := 0 // requests that reached execution
		for typ, conn := range nodeTypes(sch) {
			for _, f := range sch.types[typ].Fields {
				for _, a := range f.Args {
					name, _, list := a.Type.named()
					if edges[name] == nil || list {
						continue
					}
					for _, v := range edges[name] {
						q, vars := rootRequest(sch, "Query", f, []string{a.Name}, v)
						// query(...) { f(...) sel } → query(...) { conn(first: 2) { edges { node { f(...) sel } } } }
						open := strings.Index(q, "{ ") + 2
						q = q[:open] + conn + "(first: 2) { edges { node { " + q[open:len(q)-1] + "} } } }"
						tried++
						r := env.as("demo-market-supervisor").post(q, vars)
						if !hasCode(r, "GRAPHQL_PARSE_FAILED") && !hasCode(r, "GRAPHQL_VALIDATION_FAILED") {
							nested++
						}
						for _, ge := range r.Errors {
							if code := ge.Extensions["code"]; code == nil || code == "INTERNAL" {
								t.Errorf("%s.%s(%s: %v): %s %v", typ, f.Name, a.Name, v, ge.Message, ge.Extensions)
							}
						}
					}
				}
			}
		}
		t.Logf("%d requests, %d of them nested that reached execution", tried, nested)
		if tried < 2000 || nested < 50 {
			t.Errorf("only %d requests: the test lost its reach", tried)
		}
		env.mustData(`{ viewer { role } }`, nil, nil) // still serving
	})
}
