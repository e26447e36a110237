package graph_test

import (
	"fmt"
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// A penalty is the record of the subject its publication names (双公示, domain.md §2.2): the
// counterparty it publishes — category and code — is the entity or person whose file it joins,
// whose restrictions and evaluation it weighs on. Penalties are created for every category ×
// subject (an entity, a person, both) × code (none, the entity's, another entity's, the
// placeholder of an individual business without one) × registration number (the entity's or
// another), and updates move the code and the category of stored ones; the oracle accepts
// exactly: a legal person's penalty on its entity; a natural person's on the person, without
// an entity or a code; an individual business's on its entity or its operator; a code given
// with an entity is that entity's, or the placeholder with the entity's registration number;
// the placeholder only for an individual business; and detention (行政拘留), which restricts a
// person's liberty, never on a legal person (every case again with DETENTION as its category).
// A refusal is BAD_USER_INPUT and writes nothing.
func TestAPenaltyNamesItsSubject(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		clerk := env.as("demo-market-clerk")
		clerk.t = t
		ents := sqlIDs(t, env, `SELECT id FROM market_entities ORDER BY id LIMIT 2`)
		person := sqlIDs(t, env, `SELECT id FROM natural_persons ORDER BY id LIMIT 1`)[0]
		a, b := ents[0], ents[1]
		const regNo = "320500000012345"
		if _, err := env.db.SQL.Exec(`UPDATE market_entities SET registration_no = ? WHERE id = ?`, regNo, atoi(t, a)); err != nil {
			t.Fatal(err)
		}
		usccOf := func(id string) string {
			return sqlStrings(t, env, `SELECT uscc FROM market_entities WHERE id = ?`, atoi(t, id))[0]
		}
		const placeholder = "00000000000000000X"
		codes := []string{"", usccOf(a), usccOf(b), placeholder}
		// accepts is the oracle.
		accepts := func(category string, entity, person bool, code, reg string, detention bool) bool {
			ok := !(detention && category == "LEGAL_PERSON")
			switch category {
			case "LEGAL_PERSON":
				ok = ok && entity && code != "" && code != placeholder
			case "NATURAL_PERSON":
				ok = ok && person && !entity && code == ""
			case "INDIVIDUAL_BUSINESS":
				ok = ok && (entity || person)
			}
			if entity && code != "" && code != usccOf(a) && !(code == placeholder && reg == regNo) {
				ok = false
			}
			return ok
		}
		n, accepted, refused := 0, 0, 0
		var stored []string // legal persons' penalties of entity a, for the updates
		for _, category := range []string{"LEGAL_PERSON", "NATURAL_PERSON", "INDIVIDUAL_BUSINESS"} {
			for _, subject := range [][2]bool{{true, false}, {false, true}, {true, true}} {
				for _, code := range codes {
					for _, reg := range []string{regNo, "320500000099999"} {
						for _, detention := range []bool{false, true} {
							n++
							in := penaltyInput(env, "market-320500", fmt.Sprint("SUBJ-", n))["in"].(map[string]any)
							in["counterpartyCategory"], in["registrationNo"] = category, reg
							if detention {
								in["penaltyCategories"] = []string{"DETENTION"}
							}
							delete(in, "entityID")
							delete(in, "counterpartyUscc")
							if subject[0] {
								in["entityID"] = a
							}
							if subject[1] {
								in["personID"] = person
							}
							if code != "" {
								in["counterpartyUscc"] = code
							}
							want := accepts(category, subject[0], subject[1], code, reg, detention)
							before := env.count("administrative_penalties", "")
							r := clerk.post(createPenaltyQ, map[string]any{"in": in})
							name := fmt.Sprintf("%s on entity %v / person %v, code %q, registration %s, detention %v", category, subject[0], subject[1], code, reg, detention)
							switch {
							case len(r.Errors) == 0 && !want:
								t.Errorf("%s: accepted", name)
							case len(r.Errors) > 0 && want:
								t.Errorf("%s: refused: %s", name, r.Errors[0].Message)
							case len(r.Errors) > 0 && (r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || env.count("administrative_penalties", "") != before):
								t.Errorf("%s: refused with %v %q, and %d rows written", name, r.Errors[0].Extensions["code"], r.Errors[0].Message,
									env.count("administrative_penalties", "")-before)
							}
							if len(r.Errors) == 0 {
								accepted++
								if category == "LEGAL_PERSON" && subject == [2]bool{true, false} && !detention {
									stored = append(stored, sqlIDs(t, env, `SELECT id FROM administrative_penalties WHERE source_record_id = ?`, fmt.Sprint("SUBJ-", n))...)
								}
							} else {
								refused++
							}
						}
					}
				}
			}
		}
		if accepted == 0 || refused == 0 || len(stored) == 0 {
			t.Fatalf("%d accepted, %d refused, %d legal persons' penalties stored", accepted, refused, len(stored))
		}
		// Updates: the code and the category of a stored penalty of entity a.
		const update = `mutation($id: ID!, $in: UpdateAdministrativePenaltyInput!) { updateAdministrativePenalty(id: $id, input: $in) { id } }`
		for _, u := range []struct {
			patch map[string]any
			want  bool
		}{
			{map[string]any{"counterpartyUscc": usccOf(b)}, false},
			{map[string]any{"counterpartyCategory": "NATURAL_PERSON"}, false},
			{map[string]any{"penaltyCategories": []string{"DETENTION"}}, false},
			{map[string]any{"counterpartyUscc": placeholder, "registrationNo": "320500000099999"}, false},
			{map[string]any{"counterpartyUscc": placeholder, "registrationNo": regNo, "counterpartyCategory": "INDIVIDUAL_BUSINESS"}, true},
			{map[string]any{"counterpartyUscc": usccOf(a), "counterpartyCategory": "INDIVIDUAL_BUSINESS"}, true},
			{map[string]any{"penaltyCategories": []string{"DETENTION"}}, true}, // the operator of an individual business
			{map[string]any{"counterpartyCategory": "LEGAL_PERSON"}, false},    // a legal person detained
		} {
			patch, want := u.patch, u.want
			r := clerk.post(update, map[string]any{"id": stored[0], "in": patch})
			if (len(r.Errors) == 0) != want {
				t.Errorf("update %v of a legal person's penalty of entity %s: errors %+v, want accepted %v", patch, a, r.Errors, want)
			}
		}
	})
}
