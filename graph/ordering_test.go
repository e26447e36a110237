package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A page's cursors say nothing its nodes do not. entgql writes into each cursor the value of
// the field the page is ordered by; ordered by a field the role sees masked or not at all, the
// cursor would carry the stored value out (and the order itself would rank what the mask
// hides). For every role and every order field of every top-level connection — read from the
// served schema — each cursor's value must be the value the role is served for that field on
// that node.
func TestCursorsSayOnlyWhatTheNodeSays(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 40)
		var uscc string
		var pid int
		if err := env.db.SQL.QueryRow("SELECT uscc FROM market_entities WHERE id IN (SELECT entity_id FROM administrative_penalties) ORDER BY id LIMIT 1").Scan(&uscc); err != nil {
			t.Fatal(err)
		}
		if err := env.db.SQL.QueryRow("SELECT person_id FROM entity_roles WHERE role = 'LEGAL_REPRESENTATIVE' ORDER BY id LIMIT 1").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		env.issue(authz.IssueRequest{Name: "subject-a", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: uscc})
		env.issue(authz.IssueRequest{Name: "person-a", Role: authz.RolePerson, Department: "credit_office", PersonID: pid})
		sch := introspect(env)
		roles := []string{"", "demo-market-clerk", "demo-labour-supervisor", "demo-auditor-market", "subject-a", "person-a", "demo-credit-office"}
		checked, fields := 0, 0
		for _, q := range sch.types["Query"].Fields {
			connType, _, _ := q.Type.named()
			orderType := ""
			for _, a := range q.Args {
				if a.Name == "orderBy" {
					orderType, _, _ = a.Type.named()
				}
			}
			if !strings.HasSuffix(connType, "Connection") || orderType == "" || q.Name == "auditLogs" {
				continue
			}
			node := strings.TrimSuffix(connType, "Connection")
			served := map[string]bool{}
			for _, f := range sch.types[node].Fields {
				served[f.Name] = len(f.Args) == 0
			}
			enum := ""
			for _, f := range sch.types[orderType].InputFields {
				if f.Name == "field" {
					enum, _, _ = f.Type.named()
				}
			}
			for _, v := range sch.types[enum].EnumValues {
				name := camelOf(v.Name)
				if !served[name] {
					t.Errorf("%s orders by %s, which its nodes do not serve: its cursors would carry a value nobody is shown", q.Name, v.Name)
					continue
				}
				fields++
				for _, role := range roles {
					for _, dir := range []string{"ASC", "DESC"} {
						r := env.as(role).post(fmt.Sprintf(`{ c: %s(first: 60, orderBy: {field: %s, direction: %s}) { edges { cursor node { id v: %s } } } }`,
							q.Name, v.Name, dir, name), nil)
						if len(r.Errors) > 0 {
							if code := r.Errors[0].Extensions["code"]; code != "FORBIDDEN" {
								t.Errorf("%s by %s as %q: %s %s", q.Name, v.Name, role, code, r.Errors[0].Message)
							}
							continue
						}
						var out struct {
							C struct {
								Edges []struct {
									Cursor string
									Node   map[string]any
								}
							}
						}
						if err := json.Unmarshal(r.Data, &out); err != nil {
							t.Fatal(err)
						}
						for _, edge := range out.C.Edges {
							checked++
							in, err := cursorValue(edge.Cursor)
							if err != nil {
								t.Errorf("%s by %s as %q: cursor %q: %v", q.Name, v.Name, role, edge.Cursor, err)
								continue
							}
							if !sameServed(in, edge.Node["v"]) {
								t.Errorf("%s by %s as %q, node %v: the cursor carries %v, the node serves %v", q.Name, v.Name, role, edge.Node["id"], in, edge.Node["v"])
							}
						}
					}
				}
			}
		}
		t.Logf("%d order fields, %d cursors compared with their nodes", fields, checked)
		if fields < 20 || checked < 1000 {
			t.Errorf("%d order fields, %d cursors: the schema walk found too little", fields, checked)
		}
	})
}

// camelOf is an order field's node field: CREDIT_SCORE → creditScore.
func camelOf(enum string) string {
	parts := strings.Split(strings.ToLower(enum), "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// cursorValue is the order value an entgql cursor carries (msgpack {i: id, v: value or values}).
func cursorValue(cursor string) (any, error) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(cursor, "="))
	if err != nil {
		return nil, err
	}
	var c struct {
		ID    any `msgpack:"i"`
		Value any `msgpack:"v"`
	}
	if err := msgpack.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if vs, ok := c.Value.([]any); ok { // a cursor of a multi-field order carries a list
		if len(vs) != 1 {
			return nil, fmt.Errorf("%d values for one order field", len(vs))
		}
		return vs[0], nil
	}
	return c.Value, nil
}

// sameServed reports whether a cursor's value is the value served in JSON: the same text, number
// or instant (a date served as its day).
func sameServed(in, served any) bool {
	switch x := in.(type) {
	case nil:
		return served == nil
	case time.Time:
		s, ok := served.(string)
		if !ok {
			return false
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Equal(x)
		}
		return x.UTC().Format(time.DateOnly) == s
	case string:
		return served == x
	}
	f, ok := served.(float64)
	if !ok {
		return false
	}
	switch x := in.(type) {
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64, int:
		var n float64
		fmt.Sscan(fmt.Sprint(x), &n)
		return n == f
	case float32, float64:
		var n float64
		fmt.Sscan(fmt.Sprint(x), &n)
		return math.Abs(n-f) < 1e-9
	}
	return false
}
