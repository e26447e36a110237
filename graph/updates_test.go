package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// An update may not make a row a create refuses: each rule about fields that depend on each
// other holds for the row after the update — the stored values standing in for those the update
// leaves, appended list items counted — not only when the update sets every field the rule
// names. Each case makes a valid row, sends the update, and requires the create's refusal
// (same code and field) with the row unchanged.
//
// No update input offers append… fields: entgql v0.7.0 applied them wrongly (ent/entc.go,
// noAppends), and a list is set whole.
func TestUpdatesCannotMakeWhatCreatesRefuse(t *testing.T) {
	for name, def := range graph.NewSchema(graph.Deps{}).Schema().Types {
		for _, f := range def.Fields {
			if strings.HasPrefix(name, "Update") && strings.HasPrefix(f.Name, "append") {
				t.Errorf("%s.%s is served: entgql v0.7.0 appends the set list for it (ent/contrib pull request 639)", name, f.Name)
			}
		}
	}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		clerk := env.as("demo-market-clerk")
		n := 0
		penalty := func(more map[string]any) string {
			n++
			in := penaltyInput(env, "market-320500", fmt.Sprintf("UPD-%d", n))
			for k, v := range more {
				if v == nil {
					delete(in["in"].(map[string]any), k)
				} else {
					in["in"].(map[string]any)[k] = v
				}
			}
			var out struct{ CreateAdministrativePenalty struct{ ID string } }
			clerk.mustData(createPenaltyQ, in, &out)
			return out.CreateAdministrativePenalty.ID
		}
		warningOnly := map[string]any{"penaltyCategories": []string{"WARNING"}, "fineAmount": nil, "penaltyContent": "警告"}
		penalised := env.registerPerson("张某", "32050219900101123")
		natural := map[string]any{"counterpartyCategory": "NATURAL_PERSON", "counterpartyUscc": nil, "counterpartyName": "张某",
			"entityID": nil, "personID": penalised}
		// The placeholder names an individual business by its registration number.
		if _, err := env.db.SQL.Exec(`UPDATE market_entities SET registration_no = '320500600123456' WHERE id = ?`,
			atoi(t, penaltyInput(env, "market-320500", "")["in"].(map[string]any)["entityID"].(string))); err != nil {
			t.Fatal(err)
		}
		placeholder := map[string]any{"counterpartyCategory": "INDIVIDUAL_BUSINESS", "counterpartyUscc": ident.PlaceholderUSCC,
			"registrationNo": "320500600123456", "counterpartyName": "某个体户"}
		const updatePenalty = `mutation($id: ID!, $in: UpdateAdministrativePenaltyInput!) { updateAdministrativePenalty(id: $id, input: $in) { id } }`
		for _, tc := range []struct {
			name   string
			make   map[string]any // the penalty's create input, changed
			update map[string]any
			code   string
			field  string
		}{
			{"a fine's amount cleared", nil, map[string]any{"clearFineAmount": true}, "BAD_USER_INPUT", "fineAmount"},
			{"FINE set without an amount", warningOnly, map[string]any{"penaltyCategories": []string{"WARNING", "FINE"}}, "BAD_USER_INPUT", "fineAmount"},
			{"a category given twice", nil, map[string]any{"penaltyCategories": []string{"WARNING", "WARNING"}}, "BAD_USER_INPUT", "penaltyCategories"},
			{"a legal person's USCC cleared", nil, map[string]any{"clearCounterpartyUscc": true}, "BAD_USER_INPUT", "counterpartyUscc"},
			{"a natural person made a legal person without a USCC", natural, map[string]any{"counterpartyCategory": "LEGAL_PERSON"}, "BAD_USER_INPUT", "counterpartyUscc"},
			{"the placeholder's registration number cleared", placeholder, map[string]any{"clearRegistrationNo": true}, "BAD_USER_INPUT", "registrationNo"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := penalty(tc.make)
				before := env.count("administrative_penalties", "id = ? AND updated_at = created_at", id)
				c := *clerk
				c.t = t // a refusal missing fails this case, not the rest
				c.wantError(updatePenalty, map[string]any{"id": id, "in": tc.update}, tc.code, tc.field)
				if after := env.count("administrative_penalties", "id = ? AND updated_at = created_at", id); after != before {
					t.Errorf("the refused update changed the penalty")
				}
			})
		}

		// A person is listed only after a completed prior notice for the list (domain.md §7):
		// moving the listing before the notice, or to a list without one, is refused as the
		// create would be.
		person := env.registerPerson("更正某人", "32050219850505123")
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "UPD-N", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": person, "s": todayMinus(29), "r": todayMinus(5)}, nil)
		for i, tc := range []struct {
			name   string
			update map[string]any
		}{
			{"a person's listing moved before the notice", map[string]any{"listedOn": todayMinus(40)}},
			{"a person's listing moved to a list without a notice", map[string]any{"listType": "MS_ABNORMAL_OPERATION"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var l struct{ CreateListEntry struct{ ID string } }
				clerk.mustData(`mutation($d: ID!, $p: ID!, $on: Date!, $k: String!) { createListEntry(input: {departmentID: $d, personID: $p,
					sourceSystem: "upd", sourceRecordID: $k, severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
					reason: "r", basis: "b", decisionNo: $k}) { id } }`,
					map[string]any{"d": env.departmentID("market-320500"), "p": person, "on": todayMinus(1),
						"k": fmt.Sprintf("UPD-L%d", i)}, &l)
				c := *clerk
				c.t = t
				c.wantError(`mutation($id: ID!, $in: UpdateListEntryInput!) { updateListEntry(id: $id, input: $in) { id } }`,
					map[string]any{"id": l.CreateListEntry.ID, "in": tc.update}, "CONFLICT", "")
				if n := env.count("list_entries", "id = ? AND SUBSTR(listed_on, 1, 10) = ? AND list_type = 'MS_SERIOUS_ILLEGAL_DISHONEST'", l.CreateListEntry.ID, todayMinus(1)); n != 1 {
					t.Errorf("the refused update changed the listing")
				}
			})
		}
	})
}

// What a create derives from a listing's date and list — the minimum publicity (earliest
// repair) and whether it may be repaired — an update changing them derives again: a listing
// whose date is corrected has the window of a listing created on the corrected date. A planned
// end the create derived (the longest publicity) is derived again; one the department gave
// stays, and must fit the new window.
func TestCorrectedListingsHaveTheWindowOfTheirDate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		clerk := env.as("demo-market-clerk")
		ents := env.entities(2)
		const fields = `id publicityMinEnd repairable plannedEndOn`
		const listQ = `mutation($d: ID!, $e: ID!, $on: Date!, $k: String!, $end: Date) { createListEntry(input: {departmentID: $d, entityID: $e,
			sourceSystem: "window", sourceRecordID: $k, severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
			plannedEndOn: $end, reason: "r", basis: "b", decisionNo: $k}) { ` + fields + ` } }`
		const moveQ = `mutation($id: ID!, $on: Date!) { updateListEntry(id: $id, input: {listedOn: $on}) { ` + fields + ` } }`
		type listing struct {
			ID, PublicityMinEnd, PlannedEndOn string
			Repairable                        bool
		}
		list := func(entity int, on, key string, end any) listing {
			var out struct{ CreateListEntry listing }
			clerk.mustData(listQ, map[string]any{"d": env.departmentID("market-320500"), "e": ents[entity].ID,
				"on": on, "k": key, "end": end}, &out)
			return out.CreateListEntry
		}
		// Moved 300 days later, the listing has the window of one created on the new date; the
		// planned end its create gave (the longest publicity) moves with it.
		corrected := list(0, todayMinus(400), "W-1", nil)
		want := list(1, todayMinus(100), "W-2", nil)
		var out struct{ UpdateListEntry listing }
		clerk.mustData(moveQ, map[string]any{"id": corrected.ID, "on": todayMinus(100)}, &out)
		if got := out.UpdateListEntry; got.PublicityMinEnd != want.PublicityMinEnd || got.Repairable != want.Repairable || got.PlannedEndOn != want.PlannedEndOn {
			t.Errorf("corrected to the date of a listing with %+v, the listing has %+v (created with %+v)", want, got, corrected)
		}
		// Moved 300 days earlier, likewise: the longest publicity of the earlier date.
		early := list(0, todayMinus(100), "W-3", nil)
		clerk.mustData(moveQ, map[string]any{"id": early.ID, "on": todayMinus(400)}, &out)
		if got := out.UpdateListEntry; got.PlannedEndOn != corrected.PlannedEndOn || got.PublicityMinEnd != corrected.PublicityMinEnd {
			t.Errorf("corrected to the date of a listing with %+v, the listing has %+v", corrected, got)
		}
		// A planned end the department gave stays; moved 300 days earlier, one that then lies
		// past the new longest publicity is refused on plannedEndOn, the listing unchanged.
		end, err := time.Parse(time.DateOnly, want.PlannedEndOn)
		if err != nil {
			t.Fatal(err)
		}
		given := list(0, todayMinus(100), "W-4", end.AddDate(0, 0, -1).Format(time.DateOnly))
		got := clerk.wantError(moveQ, map[string]any{"id": given.ID, "on": todayMinus(400)}, "BAD_USER_INPUT", "plannedEndOn")
		if !strings.Contains(got.Message, "correct plannedEndOn with it") {
			t.Errorf("the refusal does not say what to do: %q", got.Message)
		}
		if n := env.count("list_entries", "id = ? AND SUBSTR(listed_on, 1, 10) = ?", given.ID, todayMinus(100)); n != 1 {
			t.Error("the refused correction changed the listing")
		}
	})
}

// An epidemic exemption follows the record's date (domain.md §5.4): flagged SME conduct is
// exempt while a declared period covers its date, so a listing whose date is corrected out of
// the period loses the exemption and restricts, and one corrected into it gains it, as listings
// created on those dates would.
func TestCorrectedDatesDecideTheExemption(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		clerk := env.as("demo-market-clerk")
		ents := env.entities(2)
		dep := env.departmentID("market-320500")
		list := func(entity int, on, key string) string {
			var l struct{ CreateListEntry struct{ ID string } }
			clerk.mustData(`mutation($d: ID!, $e: ID!, $k: String!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e,
				sourceSystem: "epi", sourceRecordID: $k, severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
				reason: "r", basis: "b", decisionNo: $k, epidemicRelated: true, sme: true}) { id } }`,
				map[string]any{"d": dep, "e": ents[entity].ID, "k": key, "on": on}, &l)
			return l.CreateListEntry.ID
		}
		correct := func(id, on, until string) string {
			var out struct{ UpdateListEntry struct{ Exemption string } }
			clerk.mustData(`mutation($id: ID!, $on: Date!, $until: Date!) { updateListEntry(id: $id, input: {listedOn: $on, plannedEndOn: $until}) { exemption } }`,
				map[string]any{"id": id, "on": on, "until": until}, &out)
			return out.UpdateListEntry.Exemption
		}
		restricted := func(entity int) int {
			var bid restrictionsOut
			env.as("").mustData(`query($u: String!) { restrictions(uscc: $u, purpose: BIDDING) { listType } }`,
				map[string]any{"u": ents[entity].Uscc}, &bid)
			return len(bid.Restrictions)
		}
		out := list(0, "2020-03-01", "EPI-OUT")
		if ex := correct(out, todayMinus(30), todayMinus(-300)); ex != "" || restricted(0) != 1 {
			t.Errorf("corrected out of the period: exemption %q, %d restrictions; want none and 1", ex, restricted(0))
		}
		in := list(1, todayMinus(30), "EPI-IN")
		if ex := correct(in, "2020-03-01", "2022-03-01"); ex != "COVID-19-SME" || restricted(1) != 0 {
			t.Errorf("corrected into the period: exemption %q, %d restrictions; want COVID-19-SME and none", ex, restricted(1))
		}
	})
}

// A breach stands once listed: the commitment that became BREACHED put its subject on the
// COMMITMENT_BREACH list, so changing its fulfilment back would leave a FULFILLED commitment
// with an active breach listing. The update is refused, naming fulfilment and the way to
// correct a breach recorded in error (an objection to its listing), and nothing changes.
func TestABreachIsNotUndoneByAnUpdate(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		clerk := env.as("demo-market-clerk")
		ents := env.entities(1)
		var cm struct{ CreateCreditCommitment struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "cm",
			sourceRecordID: "CM-B", kind: APPLICATION_NOTIFY_COMMIT, text: "承诺补齐材料", signedOn: "2026-03-01", relatedMatter: "告知承诺"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": ents[0].ID}, &cm)
		const fulfil = `mutation($id: ID!, $f: CreditCommitmentFulfilment!) { updateCreditCommitment(id: $id, input: {fulfilment: $f}) { fulfilment } }`
		clerk.mustData(fulfil, map[string]any{"id": cm.CreateCreditCommitment.ID, "f": "BREACHED"}, nil)
		for _, f := range []string{"FULFILLED", "PENDING"} {
			got := clerk.wantError(fulfil, map[string]any{"id": cm.CreateCreditCommitment.ID, "f": f}, "BAD_USER_INPUT", "fulfilment")
			if !strings.Contains(got.Message, "fileObjection") {
				t.Errorf("the refusal does not say how a breach is corrected: %q", got.Message)
			}
		}
		if n := env.count("credit_commitments", "id = ? AND fulfilment = 'BREACHED'", cm.CreateCreditCommitment.ID); n != 1 {
			t.Error("the refused update changed the commitment")
		}
		if n := env.count("list_entries", "list_type = 'COMMITMENT_BREACH' AND removed_on IS NULL"); n != 1 {
			t.Errorf("%d active breach listings, want 1", n)
		}
		// Breached again is no change.
		clerk.mustData(fulfil, map[string]any{"id": cm.CreateCreditCommitment.ID, "f": "BREACHED"}, nil)
	})
}
