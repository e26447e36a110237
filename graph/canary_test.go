package graph_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// No answer shows a person's personal data to a caller that may not read it, wherever in the
// graph the person is reached. Two canary persons — names and resident ID numbers found nowhere
// else — are a legal representative, a principal, a penalised and a listed natural person,
// practitioners and the addressee of a prior notice (the parity fixtures, and a penalty). Then
// every top-level connection of the served schema is read, one field of its node at a time,
// every field that needs no argument two levels deep, and every root field that takes a person
// or an entity is asked about the canaries and their entities (node, restrictions for each
// purpose, incentives, EIA status, the credit review, both editions of the credit report), as
// each role, and the answers are
// searched for the canaries: the ID numbers and birth dates for every role without the
// personal-data permission, and for the public, a subject or a person token not theirs, the
// names too. The credit office's crawl must find the names and birth dates, so the crawl
// reaches them.
func TestNoAnswerShowsPersonalDataToWhoMayNotReadIt(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		parityFixtures(t, env)
		ents := env.entities(3)
		canaries := map[string][2]string{ // name → ID number, birth date
			"对照某人": {resident(t, "32050219850505123"), "1985-05-05"},
			"对照他人": {resident(t, "32050219900101123"), "1990-01-01"},
		}
		// A penalty of the first canary as a natural person.
		var pid string
		if err := env.db.SQL.QueryRow("SELECT id FROM natural_persons WHERE name = '对照某人'").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		in := penaltyInput(env, "market-320500", "CANARY-1")["in"].(map[string]any)
		delete(in, "entityID")
		delete(in, "counterpartyUscc")
		in["personID"], in["counterpartyCategory"], in["counterpartyName"] = pid, "NATURAL_PERSON", "对照某人"
		in["decisionDate"] = todayMinus(30)
		env.as("demo-market-clerk").mustData(createPenaltyQ, map[string]any{"in": in}, nil)
		// Tokens bound to a subject and a person that are not the canaries.
		var other string
		if err := env.db.SQL.QueryRow("SELECT id FROM natural_persons WHERE name NOT LIKE '对照%' ORDER BY id LIMIT 1").Scan(&other); err != nil {
			t.Fatal(err)
		}
		env.issue(authz.IssueRequest{Name: "subject-other", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: ents[2].Uscc})
		env.issue(authz.IssueRequest{Name: "person-other", Role: authz.RolePerson, Department: "credit_office", PersonID: atoi(t, other)})
		for name, c := range canaries {
			if n := env.count("natural_persons", "name = ? OR birth_date = ?", name, c[1]); n != 1 {
				t.Fatalf("%d persons share the canary %s's name or birth date: pick another", n, name)
			}
		}
		var otherCanary string
		if err := env.db.SQL.QueryRow("SELECT id FROM natural_persons WHERE name = '对照他人'").Scan(&otherCanary); err != nil {
			t.Fatal(err)
		}

		sch := introspect(env)
		sel := func(typ string) string {
			fields := sch.pageSelection(typ, 2)
			// The PDF is the report's data printed (compressed, so not searchable here; the
			// report tests read its text), and needs a font this machine may lack.
			delete(fields, "pdf")
			return joined(fields)
		}
		// The root fields that take a subject: each canary, and the entities they act for.
		var rooted []string
		for _, p := range []string{pid, otherCanary} {
			rooted = append(rooted, fmt.Sprintf(`{ node(id: %q) { ... on NaturalPerson { %s } } }`, p, sel("NaturalPerson")),
				fmt.Sprintf(`{ eiaStatus(personID: %q) { %s } }`, p, sel("EIAStatus")))
			for _, v := range sch.types["Purpose"].EnumValues {
				rooted = append(rooted, fmt.Sprintf(`{ restrictions(personId: %q, purpose: %s) { %s } }`, p, v.Name, sel("Restriction")))
			}
		}
		for _, u := range ents[:2] {
			rooted = append(rooted, fmt.Sprintf(`{ node(id: %q) { ... on MarketEntity { %s } } }`, u.ID, sel("MarketEntity")),
				fmt.Sprintf(`{ eiaStatus(entityID: %q) { %s } }`, u.ID, sel("EIAStatus")),
				fmt.Sprintf(`{ creditReview(uscc: %q, purpose: LICENSING) { %s } }`, u.Uscc, sel("CreditReview")))
			for _, v := range sch.types["Purpose"].EnumValues {
				rooted = append(rooted, fmt.Sprintf(`{ restrictions(uscc: %q, purpose: %s) { %s } }`, u.Uscc, v.Name, sel("Restriction")),
					fmt.Sprintf(`{ incentives(uscc: %q, purpose: %s) { %s } }`, u.Uscc, v.Name, sel("Incentive")))
			}
			for _, ed := range []string{"PUBLIC", "AUTHORITY"} {
				rooted = append(rooted, fmt.Sprintf(`mutation { creditReport(uscc: %q, edition: %s, purpose: LICENSING) { %s } }`, u.Uscc, ed, sel("CreditReport")))
			}
		}
		crawl := func(who string) (string, int) {
			var all strings.Builder
			n := 0
			for _, q := range rooted {
				r := env.as(who).post(q, nil)
				n++
				all.Write(r.Data)
				for _, ge := range r.Errors {
					if code := ge.Extensions["code"]; who == "demo-credit-office" && code != "FORBIDDEN" {
						t.Errorf("as the credit office %.80s…: %s %s", q, code, ge.Message)
					}
					all.WriteString(ge.Message)
				}
			}
			for _, q := range sch.pagedConnections() {
				if q.Name == "auditLogs" {
					continue // it holds the test's own queries
				}
				fields := sch.pageSelection(q.node, 2)
				for _, f := range slices.Sorted(maps.Keys(fields)) {
					r := env.as(who).post(fmt.Sprintf(`{ c: %s(first: 100) { edges { node { id %s } } } }`, q.Name, fields[f]), nil)
					n++
					all.Write(r.Data)
					for _, ge := range r.Errors {
						all.WriteString(ge.Message)
					}
				}
			}
			return all.String(), n
		}
		office, n := crawl("demo-credit-office")
		t.Logf("%d queries a role", n)
		for name, c := range canaries {
			if !strings.Contains(office, name) || !strings.Contains(office, c[1]) {
				t.Errorf("the credit office's crawl does not find %s and their birth date: the crawl lost its reach", name)
			}
		}
		for _, who := range []string{"", "demo-market-clerk", "demo-market-supervisor", "demo-labour-supervisor", "demo-environment-clerk",
			"demo-auditor-market", "subject-other", "person-other"} {
			answers, _ := crawl(who)
			for name, c := range canaries {
				secret := []string{c[0], strings.ReplaceAll(c[1], "-", "")}
				if who != "demo-auditor-market" { // the auditor holds the permission (numbers only with a purpose)
					secret = append(secret, c[1])
				}
				if who == "" || strings.HasPrefix(who, "subject-") || strings.HasPrefix(who, "person-") {
					secret = append(secret, name)
				}
				for _, s := range secret {
					if i := strings.Index(answers, s); i >= 0 {
						t.Errorf("as %q an answer shows %s's %q: …%s…", who, name, s, answers[max(0, i-200):min(len(answers), i+100)])
					}
				}
			}
		}
	})
}

// resident is the resident ID number of first17 with its check character.
func resident(t *testing.T, first17 string) string {
	t.Helper()
	c, err := ident.ResidentIDCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}
