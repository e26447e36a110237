package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// Every argument that names an entity by its USCC, generated from the served schema (root
// fields with a String argument whose name ends in "uscc"), for callers of several roles:
//   - a code that is not a well-formed USCC (3,000 characters; a mistyped check character) is
//     refused as BAD_USER_INPUT naming the argument, with a message that does not echo the
//     input whole;
//   - a well-formed code of no stored entity is NOT_FOUND;
//   - a code of an entity the caller may not see answers exactly as one of no entity (no
//     existence oracle).
func TestUSCCArgumentsAreCheckedAndAnswerHiddenAsMissing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		sch := introspect(env)
		var stored []string
		rows, err := env.db.SQL.Query("SELECT uscc FROM market_entities ORDER BY id LIMIT 2")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, u)
		}
		rows.Close()
		own, other := stored[0], stored[1]
		env.issue(authz.IssueRequest{Name: "subject-uscc", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: own})
		missing := unusedUSCC(t, env)
		mistyped := other[:17] + string(otherCheckChar(other[17]))
		overlong := strings.Repeat("Z", 3000)

		callers := []string{"", "demo-market-clerk", "demo-market-supervisor", "demo-auditor-market", "subject-uscc"}
		checked := 0
		for _, root := range []string{"Query", "Mutation"} {
			for _, f := range sch.types[root].Fields {
				for _, a := range f.Args {
					if name, _, list := a.Type.named(); name != "String" || list || !strings.HasSuffix(strings.ToLower(a.Name), "uscc") {
						continue
					}
					checked++
					ask := func(caller, code string) gqlResponse {
						return env.as(caller).post(rootRequest(sch, root, f, []string{a.Name}, code))
					}
					for _, c := range callers {
						gone := ask(c, missing)
						if hasCode(gone, "FORBIDDEN") {
							// The field is not the caller's to ask: every code must get that answer.
							for _, bad := range []string{overlong, mistyped, other} {
								if r := ask(c, bad); withoutCode(r, bad) != withoutCode(gone, missing) {
									t.Errorf("%s %s(%s: %.30q…): %.200s, want FORBIDDEN as for any code", c, f.Name, a.Name, bad, withoutCode(r, bad))
								}
							}
							continue
						}
						for _, bad := range []string{overlong, mistyped} {
							r := ask(c, bad)
							if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != a.Name {
								t.Errorf("%s %s(%s: %.30q…): %.200s, want BAD_USER_INPUT naming %s", c, f.Name, a.Name, bad, withoutCode(r, bad), a.Name)
								continue
							}
							if msg := r.Errors[0].Message; len(msg) > 300 || strings.Contains(msg, bad) {
								t.Errorf("%s %s(%s): the message echoes the input: %.120q…", c, f.Name, a.Name, msg)
							}
						}
						if !hasCode(gone, "NOT_FOUND") {
							t.Errorf("%s %s(%s: %s), no such entity: %+v, want NOT_FOUND", c, f.Name, a.Name, missing, gone.Errors)
						}
						if c == "subject-uscc" {
							hidden := ask(c, other)
							if got, want := withoutCode(hidden, other), withoutCode(gone, missing); got != want {
								t.Errorf("%s %s(%s): another entity answers\n  %s\nbut no entity\n  %s", c, f.Name, a.Name, got, want)
							}
						}
					}
				}
			}
		}
		if checked < 4 {
			t.Errorf("only %d USCC arguments found: the test lost its reach", checked)
		}
	})
}

// unusedUSCC is a well-formed code of a Jiangsu division that no stored entity has.
func unusedUSCC(t *testing.T, env *testEnv) string {
	t.Helper()
	for i := 0; ; i++ {
		first := fmt.Sprintf("91320214MA%07d", i)
		c, err := ident.USCCCheckChar(first)
		if err != nil {
			t.Fatal(err)
		}
		code := first + string(c)
		if _, err := ident.ValidateUSCC(code, false); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		if env.count("market_entities", "uscc = ?", code) == 0 {
			return code
		}
	}
}

// otherCheckChar is a check character other than c.
func otherCheckChar(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}

// withoutCode is a response as JSON, with code replaced by <uscc> for comparison.
func withoutCode(r gqlResponse, code string) string {
	b, _ := json.Marshal(struct {
		Data   json.RawMessage
		Errors []gqlError
	}{r.Data, r.Errors})
	return strings.ReplaceAll(string(b), code, "<uscc>")
}

func hasCode(r gqlResponse, code string) bool {
	for _, e := range r.Errors {
		if e.Extensions["code"] == code {
			return true
		}
	}
	return false
}
