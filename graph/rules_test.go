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
