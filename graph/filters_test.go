package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// Filters see only what the caller sees (issue 12, point 3). For every role and every
// filterable field of every connection — read from the served schema, not hand-picked — the
// rows a filter returns equal the rows obtained by applying the filter client-side to what the
// role reads unfiltered. Equality filters try values drawn from the credit office's view (so
// values on rows the role cannot see are tried too) and every value of an enum; edge filters
// (hasX) try true and false against the edge as the role sees it. A predicate that looked at a
// hidden row or an unmasked value would make the two differ.
func TestFiltersSeeOnlyWhatTheCallerSees(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 40)
		sch := introspect(env)
		roles := []string{"", "demo-market-clerk", "demo-labour-supervisor", "demo-auditor-market", "demo-credit-office"}
		checked := 0
		for _, conn := range sch.connections() {
			// Values to try, from the widest view.
			coRows, ok := conn.rows(env.as("demo-credit-office"))
			if !ok {
				continue
			}
			for _, role := range roles {
				who := env.as(role)
				rows, ok := conn.rows(who)
				if !ok {
					continue // the role may not list this type at all
				}
				for _, f := range conn.equal {
					for _, v := range f.values(coRows) {
						want := idsWhere(rows, func(r map[string]any) bool { return sameValue(r[f.name], v) })
						got, ok := conn.filtered(who, f.name, f.typ, v)
						if !ok {
							continue
						}
						checked++
						if !slices.Equal(got, want) {
							t.Errorf("%s as %q where %s = %v: %d rows, the role's own rows give %d", conn.field, role, f.name, v, len(got), len(want))
						}
					}
				}
				for _, w := range conn.with {
					for _, v := range w.values {
						want := idsWhere(rows, func(r map[string]any) bool { return edgeHas(r["w_"+w.edge], w.field, v) })
						r := who.post(fmt.Sprintf(`query($v: %s) { c: %s(first: 1000, where: {%s: {%s: $v}}) { edges { node { id } } } }`,
							w.typ, conn.field, w.name, w.field), map[string]any{"v": v})
						if len(r.Errors) > 0 {
							continue
						}
						checked++
						if got := idsOf(r.Data); !slices.Equal(got, want) {
							t.Errorf("%s as %q where %s {%s: %s}: %d rows, the role's own rows give %d", conn.field, role, w.name, w.field, v, len(got), len(want))
						}
					}
				}
				for _, h := range conn.has {
					for _, v := range []bool{true, false} {
						want := idsWhere(rows, func(r map[string]any) bool { return present(r[h.edge]) == v })
						got, ok := conn.filtered(who, h.name, "Boolean", v)
						if !ok {
							continue
						}
						checked++
						if !slices.Equal(got, want) {
							t.Errorf("%s as %q where %s = %v: %d rows, the role's own rows give %d", conn.field, role, h.name, v, len(got), len(want))
						}
					}
				}
			}
		}
		t.Logf("%d filter comparisons", checked)
		if checked < 500 {
			t.Errorf("only %d filter comparisons ran; the schema walk found too little", checked)
		}
	})
}

// gqlType is a type reference from introspection.
type gqlType struct {
	Kind   string
	Name   *string
	OfType *gqlType
}

// named is the named type under any list and non-null wrappers, and whether a list was met.
func (t gqlType) named() (name, kind string, list bool) {
	for cur := &t; cur != nil; cur = cur.OfType {
		if cur.Kind == "LIST" {
			list = true
		}
		if cur.Name != nil {
			return *cur.Name, cur.Kind, list
		}
	}
	return "", "", list
}

type gqlField struct {
	Name string
	Type gqlType
	Args []struct {
		Name string
		Type gqlType
	}
}

type schemaInfo struct {
	types map[string]struct {
		Kind        string
		Fields      []gqlField
		InputFields []gqlField
		EnumValues  []struct{ Name string }
	}
}

func introspect(env *testEnv) schemaInfo {
	var out struct {
		Schema struct {
			Types []struct {
				Kind        string
				Name        string
				Fields      []gqlField
				InputFields []gqlField
				EnumValues  []struct{ Name string }
			}
		} `json:"__schema"`
	}
	const ref = `kind name ofType { kind name ofType { kind name ofType { kind name } } }`
	env.as("demo-auditor-all").mustData(`{ __schema { types { kind name enumValues { name }
		fields { name type { `+ref+` } args { name type { `+ref+` } } }
		inputFields { name type { `+ref+` } } } } }`, nil, &out)
	s := schemaInfo{types: map[string]struct {
		Kind        string
		Fields      []gqlField
		InputFields []gqlField
		EnumValues  []struct{ Name string }
	}{}}
	for _, ty := range out.Schema.Types {
		s.types[ty.Name] = struct {
			Kind        string
			Fields      []gqlField
			InputFields []gqlField
			EnumValues  []struct{ Name string }
		}{ty.Kind, ty.Fields, ty.InputFields, ty.EnumValues}
	}
	return s
}

// connection is one top-level connection with its filterable fields.
type connection struct {
	field     string
	selection string
	equal     []equalFilter
	has       []hasFilter
	with      []withFilter
}

type equalFilter struct {
	name, typ string
	enum      []string
}

type hasFilter struct{ name, edge string }

// withFilter is hasXWith: {field: value} for an enum field of the edge's rows.
type withFilter struct {
	name, edge, field, typ string
	values                 []string
	conn                   bool // the edge is a connection
}

func (s schemaInfo) connections() []connection {
	var out []connection
	for _, q := range s.types["Query"].Fields {
		connType, _, _ := q.Type.named()
		where := ""
		for _, a := range q.Args {
			if a.Name == "where" {
				where, _, _ = a.Type.named()
			}
		}
		if !strings.HasSuffix(connType, "Connection") || where == "" || q.Name == "auditLogs" {
			continue // the audit log grows with the test's own reads
		}
		node := strings.TrimSuffix(connType, "Connection")
		outFields := map[string]gqlField{}
		for _, f := range s.types[node].Fields {
			outFields[f.Name] = f
		}
		c := connection{field: q.Name}
		sel := []string{"id"}
		for _, in := range s.types[where].InputFields {
			typ, kind, list := in.Type.named()
			if edge, ok := strings.CutPrefix(in.Name, "has"); ok && strings.HasSuffix(edge, "With") && kind == "INPUT_OBJECT" {
				edge = strings.TrimSuffix(edge, "With")
				edge = strings.ToLower(edge[:1]) + edge[1:]
				of, ok := outFields[edge]
				if !ok {
					continue
				}
				ot, _, _ := of.Type.named()
				isConn := strings.HasSuffix(ot, "Connection")
				target := strings.TrimSuffix(ot, "Connection")
				targetOut := map[string]bool{}
				for _, f := range s.types[target].Fields {
					targetOut[f.Name] = true
				}
				var fields []string
				for _, tf := range s.types[typ].InputFields {
					ft, fk, fl := tf.Type.named()
					if fk != "ENUM" || fl || !targetOut[tf.Name] {
						continue
					}
					w := withFilter{name: in.Name, edge: edge, field: tf.Name, typ: ft, conn: isConn}
					for _, v := range s.types[ft].EnumValues {
						w.values = append(w.values, v.Name)
					}
					c.with = append(c.with, w)
					fields = append(fields, tf.Name)
				}
				if len(fields) > 0 {
					if isConn {
						sel = append(sel, "w_"+edge+": "+edge+"(first: 50) { totalCount edges { node { "+strings.Join(fields, " ")+" } } }")
					} else {
						sel = append(sel, "w_"+edge+": "+edge+" { "+strings.Join(fields, " ")+" }")
					}
				}
				continue
			}
			if list {
				continue
			}
			if edge, ok := strings.CutPrefix(in.Name, "has"); ok && typ == "Boolean" {
				edge = strings.ToLower(edge[:1]) + edge[1:]
				of, ok := outFields[edge]
				if !ok {
					continue
				}
				ot, okind, olist := of.Type.named()
				switch {
				case strings.HasSuffix(ot, "Connection"):
					sel = append(sel, edge+"(first: 1) { totalCount }")
				case okind == "OBJECT" && olist:
					sel = append(sel, edge+" { id }")
				case okind == "OBJECT":
					sel = append(sel, edge+" { id }")
				default:
					continue
				}
				c.has = append(c.has, hasFilter{in.Name, edge})
				continue
			}
			of, ok := outFields[in.Name]
			if !ok || len(of.Args) > 0 {
				continue
			}
			if ot, okind, olist := of.Type.named(); olist || ot != typ || (okind != "SCALAR" && okind != "ENUM") || typ == "Time" {
				continue
			}
			f := equalFilter{name: in.Name, typ: typ}
			if kind == "ENUM" {
				for _, v := range s.types[typ].EnumValues {
					f.enum = append(f.enum, v.Name)
				}
			}
			c.equal = append(c.equal, f)
			sel = append(sel, in.Name)
		}
		c.selection = strings.Join(sel, " ")
		out = append(out, c)
	}
	return out
}

// rows reads every row the role sees, unfiltered, page by page; ok is false when the role may
// not list them.
func (c connection) rows(who *testEnv) ([]map[string]any, bool) {
	var rows []map[string]any
	var after any
	for {
		r := who.post(fmt.Sprintf(`query($a: Cursor) { c: %s(first: 100, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { %s } } } }`,
			c.field, c.selection), map[string]any{"a": after})
		if len(r.Errors) > 0 {
			if code := r.Errors[0].Extensions["code"]; code != "FORBIDDEN" {
				who.t.Errorf("reading %s unfiltered: %s %s", c.field, code, r.Errors[0].Message)
			}
			return nil, false
		}
		var out struct {
			C struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   *string
				}
				Edges []struct{ Node map[string]any }
			}
		}
		if err := json.Unmarshal(r.Data, &out); err != nil || out.C.TotalCount > 1000 {
			who.t.Errorf("reading %s unfiltered: %d rows, more than the test reads (%v)", c.field, out.C.TotalCount, err)
			return nil, false
		}
		for _, e := range out.C.Edges {
			rows = append(rows, e.Node)
		}
		if !out.C.PageInfo.HasNextPage || out.C.PageInfo.EndCursor == nil {
			return rows, true
		}
		after = *out.C.PageInfo.EndCursor
	}
}

// idsOf reads the sorted IDs of a { c: … { edges { node { id } } } } answer.
func idsOf(data json.RawMessage) []string {
	var out struct {
		C struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	_ = json.Unmarshal(data, &out)
	ids := make([]string, len(out.C.Edges))
	for i, e := range out.C.Edges {
		ids[i] = e.Node.ID
	}
	sort.Strings(ids)
	return ids
}

// edgeHas reports whether an edge, as the role saw it, holds a row whose field is v.
func edgeHas(edge any, field, v string) bool {
	var rows []any
	switch e := edge.(type) {
	case map[string]any:
		if n, ok := e["totalCount"].(float64); ok && int(n) > 50 {
			panic(fmt.Sprintf("an edge holds %v rows, more than the test reads", n))
		}
		if edges, ok := e["edges"].([]any); ok {
			for _, x := range edges {
				rows = append(rows, x.(map[string]any)["node"])
			}
		} else {
			rows = []any{e}
		}
	case []any:
		rows = e
	}
	for _, r := range rows {
		if m, ok := r.(map[string]any); ok && fmt.Sprint(m[field]) == v {
			return true
		}
	}
	return false
}

// filtered runs the connection with one where field and returns the sorted IDs.
func (c connection) filtered(who *testEnv, field, typ string, v any) ([]string, bool) {
	r := who.post(fmt.Sprintf(`query($v: %s) { c: %s(first: 1000, where: {%s: $v}) { edges { node { id } } } }`, typ, c.field, field), map[string]any{"v": v})
	if len(r.Errors) > 0 {
		return nil, false
	}
	var out struct {
		C struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	_ = json.Unmarshal(r.Data, &out)
	ids := make([]string, len(out.C.Edges))
	for i, e := range out.C.Edges {
		ids[i] = e.Node.ID
	}
	sort.Strings(ids)
	return ids, true
}

// values are what to try for an equality filter: every enum value, else up to three values
// seen in rows.
func (f equalFilter) values(rows []map[string]any) []any {
	if len(f.enum) > 0 {
		vs := make([]any, len(f.enum))
		for i, v := range f.enum {
			vs[i] = v
		}
		return vs
	}
	var vs []any
	for _, r := range rows {
		v := r[f.name]
		// An optional field reads "" or 0 when unset, which is NULL in SQL: not a value to filter on.
		if v == nil || v == "" || v == "0" || v == float64(0) || slices.ContainsFunc(vs, func(x any) bool { return sameValue(x, v) }) {
			continue
		}
		if vs = append(vs, v); len(vs) == 3 {
			break
		}
	}
	return vs
}

func idsWhere(rows []map[string]any, keep func(map[string]any) bool) []string {
	ids := []string{}
	for _, r := range rows {
		if keep(r) {
			ids = append(ids, fmt.Sprint(r["id"]))
		}
	}
	sort.Strings(ids)
	return ids
}

func sameValue(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// present reads an edge as the role saw it: an object, a non-empty list, or a count above 0.
func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case []any:
		return len(v) > 0
	case map[string]any:
		if n, ok := v["totalCount"].(float64); ok {
			return n > 0
		}
		return true
	}
	return true
}
