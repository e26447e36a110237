package graph_test

import (
	"testing"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// Publicity windows stored through the API follow domain.md §4 with months counted as 民法典
// art. 202 counts them, on both engines: a penalty decided on a month end, and a listing on a
// leap day whose planned end may reach, but not pass, its rule's maximum.
func TestPublicityWindowsAtMonthEnds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		clerk := env.as("demo-market-clerk")
		// Order 58 (2023-05-01 → 2026-03-31), general penalty: 3 months minimum, 3 years maximum.
		in := penaltyInput(env, "market-320500", "ME-1")
		in["in"].(map[string]any)["decisionDate"] = "2025-08-31"
		var p struct {
			CreateAdministrativePenalty struct {
				PublicityStart, PublicityMinEnd, PublicityDeadline string
			}
		}
		clerk.mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) {
			publicityStart publicityMinEnd publicityDeadline } }`, in, &p)
		if w := p.CreateAdministrativePenalty; w.PublicityStart != "2025-08-31" || w.PublicityMinEnd != "2025-11-30" || w.PublicityDeadline != "2028-08-31" {
			t.Errorf("penalty decided 2025-08-31: window %+v, want 2025-08-31 / 2025-11-30 / 2028-08-31", w)
		}
		// SAMR serious list (Order 44): 12 months before early removal, 36 months in all.
		entity := in["in"].(map[string]any)["entityID"]
		const list = `mutation($d: ID!, $e: ID!, $src: String!, $end: Date) { createListEntry(input: {departmentID: $d, entityID: $e,
			sourceSystem: "me", sourceRecordID: $src, severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: "2024-02-29",
			plannedEndOn: $end, reason: "r", basis: "b", decisionNo: $src}) { plannedEndOn publicity { minEnd maxEnd } } }`
		vars := func(src string, end any) map[string]any {
			return map[string]any{"d": env.departmentID("market-320500"), "e": entity, "src": src, "end": end}
		}
		var l struct {
			CreateListEntry struct {
				PlannedEndOn string
				Publicity    struct{ MinEnd, MaxEnd string }
			}
		}
		clerk.mustData(list, vars("ME-L1", nil), &l)
		if got := l.CreateListEntry; got.PlannedEndOn != "2027-02-28" || got.Publicity.MinEnd != "2025-02-28" || got.Publicity.MaxEnd != "2027-02-28" {
			t.Errorf("listed on 2024-02-29: %+v, want minEnd 2025-02-28 and planned end 2027-02-28", got)
		}
		clerk.mustData(list, vars("ME-L2", "2027-02-28"), nil) // the maximum itself
		clerk.wantError(list, vars("ME-L3", "2027-03-01"), "BAD_USER_INPUT", "plannedEndOn")
		if n := env.count("list_entries", "source_record_id = 'ME-L3'"); n != 0 {
			t.Errorf("the refused listing was stored")
		}
	})
}

// The wage-arrears list's early removal counts from the day the arrears were paid (domain.md §4),
// which the department records on the listing: before, the earliest early end is the maximum;
// after, six months from payment. A payment before the listing or in the future is refused.
func TestWageArrearsMinimumCountsFromPayment(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		clerk := env.as("demo-labour-clerk")
		entity := penaltyInput(env, "labour-320200", "x")["in"].(map[string]any)["entityID"]
		var l struct {
			CreateListEntry struct {
				ID        string
				Publicity struct{ MinEnd, MaxEnd string }
			}
		}
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "wa",
			sourceRecordID: "WA-1", severity: SERIOUS, listType: HR_WAGE_ARREARS, listedOn: "2026-01-31", reason: "拖欠工资",
			basis: "人社部令第45号", decisionNo: "WA-1"}) { id publicity { minEnd maxEnd } } }`,
			map[string]any{"d": env.departmentID("labour-320200"), "e": entity}, &l)
		if w := l.CreateListEntry.Publicity; w.MinEnd != "2029-01-31" || w.MaxEnd != "2029-01-31" {
			t.Errorf("unpaid: window %+v, want no early end before the maximum 2029-01-31", w)
		}
		const pay = `mutation($id: ID!, $on: Date!) { updateListEntry(id: $id, input: {obligationsMetOn: $on}) { publicity { minEnd } } }`
		clerk.wantError(pay, map[string]any{"id": l.CreateListEntry.ID, "on": "2026-01-30"}, "BAD_USER_INPUT", "obligationsMetOn")
		clerk.wantError(pay, map[string]any{"id": l.CreateListEntry.ID, "on": todayMinus(-1)}, "BAD_USER_INPUT", "obligationsMetOn")
		var u struct {
			UpdateListEntry struct{ Publicity struct{ MinEnd string } }
		}
		clerk.mustData(pay, map[string]any{"id": l.CreateListEntry.ID, "on": "2026-08-31"}, &u)
		if got := u.UpdateListEntry.Publicity.MinEnd; got != "2027-02-28" {
			t.Errorf("paid 2026-08-31: minEnd %s, want 2027-02-28 (six months, month end)", got)
		}
	})
}
