package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// No existence oracles (issue 12, point 6): a write naming a row the caller cannot see answers
// exactly as a write naming a row that does not exist — same data, same errors, same codes,
// same messages (up to the ID itself). Generated from the served schema: every ID argument and
// every ID field of every mutation's input, for callers of several roles, each tried with a
// row of the named type hidden from that caller (the oracle: node(id) answers null to it while
// the all-scope auditor reads it) and with an unused ID of the same type.
func TestWritesAnswerHiddenRowsAsMissingOnes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 40)
		workflowDocuments(t, env)
		sch := introspect(env)
		nodes := nodeTypes(sch)
		// A subject token of one entity: everything about any other subject is hidden from it.
		subject := env.firstUSCC()
		env.issue(authz.IssueRequest{Name: "subject-oracle", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: subject})
		callers := []string{"demo-labour-clerk", "demo-market-supervisor", "demo-environment-clerk", "demo-auditor-market", "", "subject-oracle"}
		hidden := map[string]map[string]int{} // caller → type → a row hidden from it
		for _, c := range callers {
			hidden[c] = map[string]int{}
		}
		for typ, query := range nodes {
			var all struct {
				Conn struct {
					Edges []struct{ Node struct{ ID string } }
				} `json:"conn"`
			}
			env.as("demo-auditor-all").mustData(`{ conn: `+query+`(first: 200) { edges { node { id } } } }`, nil, &all)
			for _, c := range callers {
				for _, edge := range all.Conn.Edges {
					var n struct{ Node *struct{ ID string } }
					env.as(c).mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": edge.Node.ID}, &n)
					if n.Node == nil {
						id, _ := strconv.Atoi(edge.Node.ID)
						hidden[c][typ] = id
						break
					}
				}
			}
		}
		compared, reached := 0, 0
		for _, root := range []string{"Mutation", "Query"} {
			for _, m := range sch.types[root].Fields {
				if root == "Query" && m.Name == "node" {
					continue // node(id:) answers null for both, by design
				}
				for _, s := range idSlots(sch, m) {
					if root == "Query" && len(s) > 1 {
						continue // filters' IDs: TestFiltersSeeOnlyWhatTheCallerSees
					}
					target := slotType(s, m.Name, nodes)
					if target == "" {
						t.Errorf("%s: cannot tell which type %s names; name the ID after its type", m.Name, strings.Join(s, "."))
						continue
					}
					for _, c := range callers {
						id, ok := hidden[c][target]
						if !ok {
							continue
						}
						missing := id + 1<<30 // same type (its global-ID range), never used
						a := env.as(c).post(rootRequest(sch, root, m, s, strconv.Itoa(id)))
						b := env.as(c).post(rootRequest(sch, root, m, s, strconv.Itoa(missing)))
						compared++
						ga, gb := normalise(a, id), normalise(b, missing)
						if testing.Verbose() {
							t.Logf("%s %s.%s (%s): %s", c, m.Name, strings.Join(s, "."), target, ga)
						}
						if ga != gb {
							t.Errorf("%s %s.%s: a hidden %s answers\n  %s\nbut a missing one\n  %s", c, m.Name, strings.Join(s, "."), target, ga, gb)
						}
						if strings.Contains(ga, "NOT_FOUND") {
							reached++
						}
					}
				}
			}
		}
		t.Logf("%d comparisons, %d reached the existence check", compared, reached)
		if compared < 40 || reached < 20 {
			t.Errorf("only %d comparisons (%d reaching the existence check): the test lost its reach", compared, reached)
		}
	})
}

// workflowDocuments adds a market objection, repair application and prior notice, so that
// workflow documents exist to hide.
func workflowDocuments(t *testing.T, env *testEnv) {
	t.Helper()
	clerk := env.as("demo-market-clerk")
	var ent struct{ CreateMarketEntity struct{ ID string } }
	clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州某公司"}) { id } }`, nil, &ent)
	var l struct{ CreateListEntry struct{ ID string } }
	clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e,
		sourceSystem: "wf", sourceRecordID: "L1", severity: GENERAL, listType: MS_ABNORMAL_OPERATION, listedOn: $on,
		reason: "r", basis: "b", decisionNo: "WF-1"}) { id } }`,
		map[string]any{"d": env.departmentID("market-320500"), "e": ent.CreateMarketEntity.ID, "on": todayMinus(200)}, &l)
	clerk.mustData(`mutation($l: ID!) { fileObjection(input: {listEntryID: $l, grounds: SHOULD_NOT_PUBLISH, description: "已撤销"}) { id } }`,
		map[string]any{"l": l.CreateListEntry.ID}, nil)
	var p struct{ CreateNaturalPerson struct{ ID string } }
	env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {name: "李四", idNumber: "32050219800101123X"}) { id } }`, nil, &p)
	today := vocab.SystemClock.Today()
	clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
		noticeNo: "N-1", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "事实", servedOn: $s, serviceMethod: ELECTRONIC, replyDeadline: $r}) { id } }`,
		map[string]any{"d": env.departmentID("market-320500"), "p": p.CreateNaturalPerson.ID,
			"s": today.AddDate(0, 0, -20).Format(time.DateOnly), "r": today.AddDate(0, 0, -5).Format(time.DateOnly)}, nil)
}

// nodeTypes maps each type listed by a top-level connection to that connection's field.
func nodeTypes(sch schemaInfo) map[string]string {
	out := map[string]string{}
	for _, q := range sch.types["Query"].Fields {
		if name, _, _ := q.Type.named(); strings.HasSuffix(name, "Connection") {
			if _, ok := out[strings.TrimSuffix(name, "Connection")]; !ok {
				out[strings.TrimSuffix(name, "Connection")] = q.Name
			}
		}
	}
	return out
}

// idSlots are the places in a mutation's arguments that name one row: ID arguments and the
// ID fields of its input objects.
func idSlots(sch schemaInfo, m gqlField) [][]string {
	var out [][]string
	for _, a := range m.Args {
		name, kind, list := a.Type.named()
		switch {
		case name == "ID" && !list:
			out = append(out, []string{a.Name})
		case kind == "INPUT_OBJECT":
			for _, f := range sch.types[name].InputFields {
				if n, _, l := f.Type.named(); n == "ID" && !l {
					out = append(out, []string{a.Name, f.Name})
				}
			}
		}
	}
	return out
}

// slotType is the node type an ID slot names: a mutation's own id names the type in the
// mutation's name (updateListEntry, replyToPriorNotice, transitionRepair → RepairApplication); an input field
// xxxID names the type ending in (or starting with) Xxx. "" when no one type fits.
func slotType(slot []string, mutation string, nodes map[string]string) string {
	base := slot[len(slot)-1]
	if base == "id" {
		named := "" // the longest type named in the mutation's name (replyToPriorNotice)
		for typ := range nodes {
			if strings.Contains(mutation, typ) && len(typ) > len(named) {
				named = typ
			}
		}
		if named != "" {
			return named
		}
		i := strings.IndexFunc(mutation, func(r rune) bool { return r >= 'A' && r <= 'Z' })
		base = mutation[i:]
	} else {
		base = strings.ToUpper(base[:1]) + strings.TrimSuffix(strings.TrimSuffix(base[1:], "ID"), "Id")
	}
	var suffix, prefix []string
	for typ := range nodes {
		switch {
		case typ == base:
			return typ
		case strings.HasSuffix(typ, base):
			suffix = append(suffix, typ)
		case strings.HasPrefix(typ, base):
			prefix = append(prefix, typ)
		}
	}
	switch {
	case len(suffix) == 1:
		return suffix[0]
	case len(suffix) == 0 && len(prefix) == 1:
		return prefix[0]
	}
	return ""
}

// mutationFor writes a request for m with every required argument filled with a plausible
// value and the slot set to id.
func mutationFor(sch schemaInfo, m gqlField, slot []string, id int) (string, map[string]any) {
	vars := map[string]any{}
	var decls, args []string
	for _, a := range m.Args {
		if a.Type.Kind != "NON_NULL" && a.Name != slot[0] {
			continue
		}
		var v any
		if len(slot) == 1 && a.Name == slot[0] {
			v = strconv.Itoa(id)
		} else {
			v = sampleValue(sch, a.Type, slot[1:], id)
		}
		vars[a.Name] = v
		decls = append(decls, "$"+a.Name+": "+typeString(a.Type))
		args = append(args, a.Name+": $"+a.Name)
	}
	sel := ""
	if name, kind, _ := m.Type.named(); kind == "OBJECT" {
		sel = "{ __typename }"
		_ = name
	}
	q := fmt.Sprintf("mutation(%s) { %s(%s) %s }", strings.Join(decls, ", "), m.Name, strings.Join(args, ", "), sel)
	if len(decls) == 0 {
		q = fmt.Sprintf("mutation { %s %s }", m.Name, sel)
	}
	return q, vars
}

// sampleValue is a value of type t: required input fields filled, the field named by rest
// (when t is an input object) set to id.
func sampleValue(sch schemaInfo, t gqlType, rest []string, id int) any {
	name, kind, list := t.named()
	var v any
	switch kind {
	case "ENUM":
		v = sch.types[name].EnumValues[0].Name
	case "INPUT_OBJECT":
		obj := map[string]any{}
		for _, f := range sch.types[name].InputFields {
			switch {
			case len(rest) == 1 && f.Name == rest[0]:
				obj[f.Name] = strconv.Itoa(id)
			case f.Type.Kind == "NON_NULL":
				obj[f.Name] = sampleValue(sch, f.Type, nil, id)
			}
		}
		v = obj
	default:
		switch name {
		case "ID":
			v = "1"
		case "Int":
			v = 1
		case "Float", "Decimal":
			v = 1
		case "Boolean":
			v = false
		case "Date":
			v = todayMinus(10)
		case "Time":
			v = vocab.SystemClock.Today().AddDate(0, 0, -10).Format(time.RFC3339)
		default:
			v = "x"
		}
	}
	if list {
		return []any{v}
	}
	return v
}

// typeString writes a type reference as GraphQL does.
func typeString(t gqlType) string {
	switch t.Kind {
	case "NON_NULL":
		return typeString(*t.OfType) + "!"
	case "LIST":
		return "[" + typeString(*t.OfType) + "]"
	}
	return *t.Name
}

// normalise is a response with the ID it named replaced, for comparison.
func normalise(r gqlResponse, id int) string {
	errs := slices.Clone(r.Errors)
	for i := range errs {
		errs[i].Message = strings.ReplaceAll(errs[i].Message, strconv.Itoa(id), "<id>")
	}
	b, _ := json.Marshal(struct {
		Data   json.RawMessage
		Errors []gqlError
	}{r.Data, errs})
	return string(b)
}

// No write confirms personal data (the createNaturalPerson oracle): a unique identity number
// refused as "already recorded" told any registry writer whether a number belongs to someone,
// which personByIdNumber treats as personal data (permission, purpose, audit, five a request).
// Generated from the served schema: every input field of a mutation that names a field of the
// mutation's result type read only with a stated purpose (personal data, like
// NaturalPerson.idNumber), sent by callers without the personal-data permission with a stored
// value and with a fresh one; the two answers must be the same. And, lest the test pass by
// refusing everyone, the credit office — which holds the permission — records a person, and the
// recording is logged as a lookup.
func TestWritesDoNotConfirmPersonalData(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		sch := introspect(env)
		personal := map[string]map[string]bool{} // type → fields read with a purpose
		for name, typ := range sch.types {
			for _, f := range typ.Fields {
				for _, a := range f.Args {
					if a.Name == "purpose" {
						if personal[name] == nil {
							personal[name] = map[string]bool{}
						}
						personal[name][f.Name] = true
					}
				}
			}
		}
		serial := 100
		fresh := func() string { // a resident ID number no one holds yet
			serial++
			first17 := fmt.Sprintf("32050219800101%03d", serial)
			c, err := ident.ResidentIDCheckChar(first17)
			if err != nil {
				t.Fatal(err)
			}
			return first17 + string(c)
		}
		stored := fresh()
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation Register($n: String!) { createNaturalPerson(input: {idNumber: $n, name: "登记人"}) { id } }`,
			map[string]any{"n": stored}, &p)
		if n := env.count("audit_logs", "token_name = 'demo-credit-office' AND operation = 'Register' AND purpose LIKE '%registering%'"); n != 1 {
			t.Errorf("the credit office's registration is logged %d times as a lookup, want 1", n)
		}
		subject := env.firstUSCC()
		env.issue(authz.IssueRequest{Name: "subject-personal", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: subject})
		callers := []string{"demo-market-clerk", "demo-labour-supervisor", "demo-environment-reviewer", "demo-market-nanjing-clerk", "demo-auditor-market", "subject-personal", ""}
		compared := 0
		for _, m := range sch.types["Mutation"].Fields {
			result, _, _ := m.Type.named()
			for _, a := range m.Args {
				in, kind, list := a.Type.named()
				if kind != "INPUT_OBJECT" || list {
					continue
				}
				for _, f := range sch.types[in].InputFields {
					if !personal[result][f.Name] {
						continue
					}
					for _, c := range callers {
						slot := []string{a.Name, f.Name}
						ga := normalise(env.as(c).post(rootRequest(sch, "Mutation", m, slot, stored)), 0)
						gb := normalise(env.as(c).post(rootRequest(sch, "Mutation", m, slot, fresh())), 0)
						compared++
						if ga != gb {
							t.Errorf("%s %s.%s: a stored value answers\n  %s\nbut a fresh one\n  %s", c, m.Name, strings.Join(slot, "."), ga, gb)
						}
					}
				}
			}
		}
		if compared < len(callers) {
			t.Errorf("only %d comparisons: the test lost its reach", compared)
		}
	})
}
