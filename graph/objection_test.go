package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/sectors/workflow"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Acceptance marks the record for everyone and suspends its measures; the platform forwards, the
// provider decides; upheld withdraws the record and recomputes the tier, rejected restores it.
func TestObjectionWorkflow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk, co, sup := env.as("demo-market-clerk"), env.as("demo-credit-office"), env.as("demo-market-supervisor")
		var ent struct{ CreateMarketEntity struct{ ID, Uscc string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州异议某公司"}) { id uscc } }`, nil, &ent)
		listing := func(src string) string {
			var l struct{ CreateListEntry struct{ ID string } }
			clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!, $src: String!) { createListEntry(input: {departmentID: $d, entityID: $e,
				sourceSystem: "obj", sourceRecordID: $src, severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
				reason: "r", basis: "b", decisionNo: $src}) { id } }`,
				map[string]any{"d": env.departmentID("market-320500"), "e": ent.CreateMarketEntity.ID,
					"on": vocab.SystemClock.Today().AddDate(0, -1, 0).Format(time.DateOnly), "src": src}, &l)
			return l.CreateListEntry.ID
		}
		restricted := func() bool {
			var out restrictionsOut
			env.as("").mustData(`query($u: String!) { restrictions(uscc: $u, purpose: BIDDING) { via } }`, map[string]any{"u": ent.CreateMarketEntity.Uscc}, &out)
			return len(out.Restrictions) > 0
		}
		tier := func() string {
			var s string
			_ = env.db.SQL.QueryRow("SELECT risk_tier FROM market_entities WHERE uscc = ?", ent.CreateMarketEntity.Uscc).Scan(&s)
			return s
		}
		l1 := listing("OBJ-1")
		if !restricted() || tier() != "D" {
			t.Fatal("the listing does not restrict")
		}
		const file = `mutation($l: ID!) { fileObjection(input: {listEntryID: $l, grounds: SHOULD_NOT_PUBLISH, description: "决定已被行政复议撤销"}) {
			id state dueOn allowedNextStates } }`
		const move = `mutation($id: ID!, $to: ObjectionState!, $r: String) { transitionObjection(id: $id, to: $to, reason: $r) { state } }`
		var o struct {
			FileObjection struct {
				ID, State, DueOn  string
				AllowedNextStates []string
			}
		}
		co.mustData(file, map[string]any{"l": l1}, &o)
		if o.FileObjection.State != "SUBMITTED" || o.FileObjection.DueOn == "" {
			t.Errorf("filed objection: %+v", o.FileObjection)
		}
		co.wantError(file, map[string]any{"l": l1}, "CONFLICT", "") // one objection at a time
		shown := func() bool {
			var seen struct {
				Node struct{ UnderObjection bool }
			}
			sup.mustData(`query($id: ID!) { node(id: $id) { ... on ListEntry { underObjection } } }`, map[string]any{"id": l1}, &seen)
			return seen.Node.UnderObjection
		}
		if shown() || !restricted() || tier() != "D" {
			t.Error("filing alone marked the record or suspended its measures")
		}
		step := func(c *testEnv, to, reason string) {
			t.Helper()
			vars := map[string]any{"id": o.FileObjection.ID, "to": to}
			if reason != "" {
				vars["r"] = reason
			}
			c.mustData(move, vars, nil)
		}
		got := clerk.wantError(move, map[string]any{"id": o.FileObjection.ID, "to": "ACCEPTED"}, "FORBIDDEN", "")
		if !strings.Contains(got.Message, "credit office") {
			t.Errorf("message %q", got.Message)
		}
		co.wantError(move, map[string]any{"id": o.FileObjection.ID, "to": "UPHELD", "r": "x"}, "CONFLICT", "")
		step(co, "ACCEPTED", "")
		if !shown() {
			t.Error("the accepted objection's record is not shown as under objection")
		}
		if restricted() {
			t.Error("a listing under objection still restricts")
		}
		if tier() == "D" {
			t.Error("a listing under objection still gates the tier")
		}
		step(co, "PLATFORM_CHECK", "")
		step(co, "FORWARDED", "")
		step(sup, "PROVIDER_CHECK", "")
		sup.wantError(move, map[string]any{"id": o.FileObjection.ID, "to": "UPHELD"}, "BAD_USER_INPUT", "reason")
		step(sup, "UPHELD", "复议决定撤销了列入决定")
		step(co, "CLOSED", "")
		if n := env.count("list_entries", "id = ? AND status = 'WITHDRAWN' AND under_objection = ? AND removed_on IS NOT NULL AND removal_reason = 'CORRECTED'",
			idOf(t, l1), false); n != 1 {
			t.Error("the upheld objection did not withdraw the listing, dated, with its reason")
		}
		if n := env.count("objections", "id = ? AND corrected_on IS NOT NULL AND correction IS NOT NULL", idOf(t, o.FileObjection.ID)); n != 1 {
			t.Error("the upheld objection did not record what it changed")
		}
		if restricted() || tier() == "D" {
			t.Error("the withdrawn listing still counts")
		}
		// A rejected objection restores the listing's effect.
		l2 := listing("OBJ-2")
		co.mustData(file, map[string]any{"l": l2}, &o)
		for _, st := range []struct {
			c      *testEnv
			to, re string
		}{{co, "ACCEPTED", ""}, {co, "PLATFORM_CHECK", ""}, {co, "FORWARDED", ""}, {sup, "PROVIDER_CHECK", ""}, {sup, "REJECTED", "列入事实清楚"}} {
			step(st.c, st.to, st.re)
		}
		if !restricted() || tier() != "D" {
			t.Error("after a rejected objection the listing does not restrict again")
		}
	})
}

// Every stage of an objection has its deadline (domain.md §6, Shanghai art. 36): marking within 1
// working day of filing; the platform's check within 5 of acceptance, kept while it checks, with
// 2 to forward what it cannot decide; the provider's decision within its own 5 of forwarding,
// kept while it checks. Counted on the stored calendar.
func TestObjectionStagesKeepTheirDeadlines(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk, co, sup := env.as("demo-market-clerk"), env.as("demo-credit-office"), env.as("demo-market-supervisor")
		var ent struct{ CreateMarketEntity struct{ ID string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州异议某公司"}) { id } }`, nil, &ent)
		var l struct{ CreateListEntry struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e,
			sourceSystem: "obj", sourceRecordID: "DL-1", severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
			reason: "r", basis: "b", decisionNo: "DL-1"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": ent.CreateMarketEntity.ID, "on": todayMinus(30)}, &l)
		cal, err := workflow.Calendar(context.Background(), env.db.Client)
		if err != nil {
			t.Fatal(err)
		}
		today := vocab.SystemClock.Today()
		wd := func(n int) string { return cal.Add(today, n).Format(time.DateOnly) }
		type obj struct {
			ID, State string
			DueOn     *string
			ForwardBy *string
		}
		var filed struct{ FileObjection obj }
		co.mustData(`mutation($l: ID!) { fileObjection(input: {listEntryID: $l, grounds: WRONG, description: "日期有误"}) { id state dueOn forwardBy } }`,
			map[string]any{"l": l.CreateListEntry.ID}, &filed)
		str := func(p *string) string {
			if p == nil {
				return "-"
			}
			return *p
		}
		if got := filed.FileObjection; str(got.DueOn) != wd(1) {
			t.Errorf("filed: due %s, want %s (mark within 1 working day)", str(got.DueOn), wd(1))
		}
		for _, tt := range []struct {
			who            *testEnv
			to             string
			due, forwardBy string
		}{
			{co, "ACCEPTED", wd(5), "-"},
			{co, "PLATFORM_CHECK", wd(5), wd(2)}, // keeps its 5 days; 2 to forward
			{co, "FORWARDED", wd(5), "-"},        // the provider's own 5, from forwarding
			{sup, "PROVIDER_CHECK", wd(5), "-"},  // kept while it checks
		} {
			var out struct{ TransitionObjection obj }
			tt.who.mustData(`mutation($id: ID!, $to: ObjectionState!) { transitionObjection(id: $id, to: $to) { id state dueOn forwardBy } }`,
				map[string]any{"id": filed.FileObjection.ID, "to": tt.to}, &out)
			if got := out.TransitionObjection; str(got.DueOn) != tt.due || str(got.ForwardBy) != tt.forwardBy {
				t.Errorf("%s: due %s forward by %s, want %s and %s", tt.to, str(got.DueOn), str(got.ForwardBy), tt.due, tt.forwardBy)
			}
		}
	})
}

// An objection that a record is wrong, upheld, records the correction and leaves the record
// public, corrected — not hidden whole (domain.md §6, issue 13 point 6); the correction is
// required.
func TestUpheldCorrectionKeepsTheRecordPublic(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		co, sup := env.as("demo-credit-office"), env.as("demo-market-supervisor")
		in := penaltyInput(env, "market-320500", "UC-1")
		var p struct{ CreateAdministrativePenalty struct{ ID string } }
		env.as("demo-market-clerk").mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`, in, &p)
		var o struct{ FileObjection struct{ ID string } }
		co.mustData(`mutation($p: ID!) { fileObjection(input: {penaltyID: $p, grounds: WRONG, description: "罚款金额有误"}) { id } }`,
			map[string]any{"p": p.CreateAdministrativePenalty.ID}, &o)
		const move = `mutation($id: ID!, $to: ObjectionState!, $r: String, $c: String) { transitionObjection(id: $id, to: $to, reason: $r, correction: $c) {
			state correction correctedOn } }`
		for _, st := range []struct {
			who *testEnv
			to  string
		}{{co, "ACCEPTED"}, {co, "PLATFORM_CHECK"}, {co, "FORWARDED"}, {sup, "PROVIDER_CHECK"}} {
			st.who.mustData(move, map[string]any{"id": o.FileObjection.ID, "to": st.to}, nil)
		}
		sup.wantError(move, map[string]any{"id": o.FileObjection.ID, "to": "UPHELD", "r": "金额录入错误"}, "BAD_USER_INPUT", "correction")
		var up struct {
			TransitionObjection struct{ State, Correction, CorrectedOn string }
		}
		sup.mustData(move, map[string]any{"id": o.FileObjection.ID, "to": "UPHELD", "r": "金额录入错误", "c": "罚款金额由5万元更正为0.5万元"}, &up)
		if got := up.TransitionObjection; got.Correction != "罚款金额由5万元更正为0.5万元" || got.CorrectedOn != todayMinus(0) {
			t.Errorf("upheld: %+v", got)
		}
		var pub struct{ Node *struct{ Status string } }
		env.as("").mustData(`query($id: ID!) { node(id: $id) { ... on AdministrativePenalty { status } } }`, map[string]any{"id": p.CreateAdministrativePenalty.ID}, &pub)
		if pub.Node == nil || pub.Node.Status != "PUBLISHED" {
			t.Errorf("the corrected penalty reads %+v to the public, want it still published", pub.Node)
		}
	})
}
