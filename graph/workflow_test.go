package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/listentry"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// A person cannot be listed without a served notice whose deadline passed or whose reply was
// handled — through the API, and through the data layer directly (an import or CLI path).
func TestPriorNoticeCannotBeSkipped(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-labour-clerk")
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {idNumber: "440524188001010014", name: "欠薪负责人"}) { id } }`, nil, &p)
		person := p.CreateNaturalPerson.ID
		today := vocab.SystemClock.Today()
		dep := env.departmentID("labour-320200")
		list := func(src string) gqlResponse {
			return clerk.post(`mutation($d: ID!, $p: ID!, $on: Date!, $src: String!) { createListEntry(input: {departmentID: $d, personID: $p,
				sourceSystem: "hr", sourceRecordID: $src, severity: SERIOUS, listType: HR_WAGE_ARREARS, orderDeadline: "2020-01-01", listedOn: $on,
				reason: "拖欠农民工工资", basis: "人社部令第45号第五条", decisionNo: $src}) { id } }`,
				map[string]any{"d": dep, "p": person, "on": today.Format(time.DateOnly), "src": src})
		}
		expectRefused := func(r gqlResponse) {
			t.Helper()
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "CONFLICT" || !strings.Contains(r.Errors[0].Message, "prior notice") {
				t.Fatalf("listing without a valid notice: %+v", r.Errors)
			}
		}
		expectRefused(list("L1"))
		// Directly through the data layer, as an import would: refused too.
		_, err := env.db.Client.ListEntry.Create().SetDepartmentID(dep).SetPersonID(idOf(t, person)).SetSourceSystem("import").
			SetSourceRecordID("I1").SetSeverity(vocab.Serious).SetListType(listentry.ListTypeHR_WAGE_ARREARS).SetListedOn(today).
			SetReason("r").SetBasis("b").SetDecisionNo("I1").Save(authz.SystemContext(context.Background()))
		if err == nil || !strings.Contains(err.Error(), "prior notice") {
			t.Fatalf("a direct insert skipped the notice: %v", err)
		}
		notice := func(no string, served, deadline time.Time) string {
			var out struct{ CreatePriorNotice struct{ ID string } }
			clerk.mustData(`mutation($d: ID!, $p: ID!, $no: String!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
				noticeNo: $no, listType: "HR_WAGE_ARREARS", facts: "拖欠工资12万元，经责令限期支付逾期未付", servedOn: $s,
				serviceMethod: IN_PERSON, replyDeadline: $r}) { id } }`,
				map[string]any{"d": dep, "p": person, "no": no, "s": served.Format(time.DateOnly), "r": deadline.Format(time.DateOnly)}, &out)
			return out.CreatePriorNotice.ID
		}
		// Served, but the reply deadline has not passed and the reply is not handled: refused.
		pending := notice("N1", today.AddDate(0, 0, -3), today.AddDate(0, 0, 7))
		expectRefused(list("L2"))
		if n := env.count("list_entries", ""); n != 0 {
			t.Fatalf("%d list entries after refusals", n)
		}
		// Once the reply is handled the listing may proceed.
		clerk.mustData(`mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, statements: "已筹款"}) { id } }`,
			map[string]any{"id": pending, "on": today.AddDate(0, 0, -1).Format(time.DateOnly)}, nil)
		expectRefused(list("L2b")) // a reply not yet handled holds the listing
		clerk.mustData(`mutation($id: ID!) { handlePriorNoticeReply(id: $id, outcome: "申辩理由不成立") { id } }`,
			map[string]any{"id": pending}, nil)
		if r := list("L3"); len(r.Errors) != 0 {
			t.Fatalf("listing after a handled reply: %+v", r.Errors)
		}
		// A notice of another sector does not count.
		env.as("demo-market-clerk").mustData(`mutation($d: ID!, $p: ID!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "M1", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: "2026-01-01", serviceMethod: POST, replyDeadline: "2026-01-10"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320200"), "p": person}, nil)
		r := env.as("demo-labour-clerk").post(`mutation($d: ID!, $p: ID!) { createListEntry(input: {departmentID: $d, personID: $p, sourceSystem: "hr",
			sourceRecordID: "L4", severity: SERIOUS, listType: HR_SOCIAL_INSURANCE_SERIOUS, listedOn: "2026-02-01", reason: "r", basis: "b", decisionNo: "L4"}) { id } }`,
			map[string]any{"d": dep, "p": person})
		expectRefused(r)
	})
}

// A prior notice's reply and its handling are a workflow (issue 12 point 5, domain.md §7): the
// reply is recorded once, received between service and the reply deadline (both days
// included) and not in the future; its handling once, after the reply; only by the sector that
// served the notice; and no generic update exists.
func TestPriorNoticeReplyIsAWorkflow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-market-clerk")
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {name: "赵六", idNumber: "32050219800101123X"}) { id } }`, nil, &p)
		serve := func(no string, served, deadline int) string {
			var n struct{ CreatePriorNotice struct{ ID string } }
			clerk.mustData(`mutation($d: ID!, $p: ID!, $no: String!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
				noticeNo: $no, listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "事实", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
				map[string]any{"d": env.departmentID("market-320500"), "p": p.CreateNaturalPerson.ID, "no": no,
					"s": todayMinus(served), "r": todayMinus(deadline)}, &n)
			return n.CreatePriorNotice.ID
		}
		const reply = `mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, statements: "不服"}) { repliedOn statements } }`
		const handle = `mutation($id: ID!) { handlePriorNoticeReply(id: $id, outcome: "理由不成立") { replyHandled handledOn outcome } }`
		// Served 10 days ago, deadline 2 days ago: the edges of the reply window.
		for _, tt := range []struct {
			name     string
			received int // days before today
			code     string
		}{
			{"the day before service", 11, "BAD_USER_INPUT"},
			{"the day after the deadline", 1, "BAD_USER_INPUT"},
			{"tomorrow", -1, "BAD_USER_INPUT"},
			{"the day of service", 10, ""},
			{"the deadline itself", 2, ""},
		} {
			id := serve("W-"+tt.name, 10, 2)
			if tt.code != "" {
				clerk.wantError(reply, map[string]any{"id": id, "on": todayMinus(tt.received)}, tt.code, "receivedOn")
				continue
			}
			clerk.mustData(reply, map[string]any{"id": id, "on": todayMinus(tt.received)}, nil)
			clerk.wantError(reply, map[string]any{"id": id, "on": todayMinus(tt.received)}, "CONFLICT", "") // once
		}
		id := serve("W-flow", 10, -5)
		clerk.wantError(handle, map[string]any{"id": id}, "CONFLICT", "") // nothing to handle yet
		clerk.wantError(`mutation($id: ID!) { replyToPriorNotice(id: $id, input: {receivedOn: "`+todayMinus(1)+`"}) { id } }`,
			map[string]any{"id": id}, "BAD_USER_INPUT", "statements") // a reply says something
		// Another sector's writer cannot see the notice: it answers as a missing one.
		env.as("demo-labour-clerk").wantError(reply, map[string]any{"id": id, "on": todayMinus(1)}, "NOT_FOUND", "")
		clerk.mustData(`mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, hearingRequested: true}) { id } }`,
			map[string]any{"id": id, "on": todayMinus(1)}, nil)
		var h struct {
			HandlePriorNoticeReply struct {
				ReplyHandled bool
				HandledOn    string
				Outcome      string
			}
		}
		clerk.mustData(handle, map[string]any{"id": id}, &h)
		if got := h.HandlePriorNoticeReply; !got.ReplyHandled || got.HandledOn != todayMinus(0) || got.Outcome != "理由不成立" {
			t.Errorf("handled: %+v", got)
		}
		clerk.wantError(handle, map[string]any{"id": id}, "CONFLICT", "") // once
		if r := clerk.post(`mutation($id: ID!) { updatePriorNotice(id: $id, input: {replyHandled: true}) { id } }`, map[string]any{"id": id}); len(r.Errors) == 0 {
			t.Error("a generic update of a prior notice exists")
		}
	})
}

// A breached commitment becomes a record of the sector that takes the subject out of
// notify-and-commit approvals; an SME's epidemic-caused conduct in the declared period is
// recorded but exempt.
func TestCommitmentBreachAndEpidemicExemption(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		clerk := env.as("demo-market-clerk")
		var ent struct{ CreateMarketEntity struct{ ID, Uscc string } }
		clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州承诺某公司"}) { id uscc } }`, nil, &ent)
		dep := env.departmentID("market-320500")
		var cm struct{ CreateCreditCommitment struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "cm", sourceRecordID: "CM1",
			kind: APPLICATION_NOTIFY_COMMIT, text: "承诺三个月内补齐消防验收材料", signedOn: "2026-03-01", relatedMatter: "食品经营许可告知承诺"}) { id } }`,
			map[string]any{"d": dep, "e": ent.CreateMarketEntity.ID}, &cm)
		nccRestricted := func() int {
			var out restrictionsOut
			env.as("").mustData(`query($u: String!) { restrictions(uscc: $u, purpose: NOTIFY_AND_COMMIT) { listType } }`, map[string]any{"u": ent.CreateMarketEntity.Uscc}, &out)
			return len(out.Restrictions)
		}
		if nccRestricted() != 0 {
			t.Fatal("restricted before any breach")
		}
		clerk.mustData(`mutation($id: ID!) { updateCreditCommitment(id: $id, input: {fulfilment: BREACHED}) { id } }`, map[string]any{"id": cm.CreateCreditCommitment.ID}, nil)
		if n := env.count("list_entries", "list_type = 'COMMITMENT_BREACH' AND sector = 'MARKET'"); n != 1 {
			t.Fatalf("%d breach records, want 1", n)
		}
		if nccRestricted() != 1 {
			t.Error("a breached commitment does not restrict notify-and-commit approvals")
		}
		// Epidemic exemption: flagged SME conduct dated inside the declared period.
		listIn := func(src, on string, epidemic bool) string {
			var l struct {
				CreateListEntry struct{ ID, Exemption string }
			}
			clerk.mustData(`mutation($d: ID!, $e: ID!, $src: String!, $on: Date!, $epi: Boolean!) { createListEntry(input: {departmentID: $d, entityID: $e,
				sourceSystem: "epi", sourceRecordID: $src, severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on,
				reason: "r", basis: "b", decisionNo: $src, epidemicRelated: $epi, sme: true}) { id exemption } }`,
				map[string]any{"d": dep, "e": ent.CreateMarketEntity.ID, "src": src, "on": on, "epi": epidemic}, &l)
			return l.CreateListEntry.Exemption
		}
		if ex := listIn("EPI-1", "2020-03-01", true); ex != "COVID-19-SME" {
			t.Errorf("exemption = %q, want COVID-19-SME", ex)
		}
		var bid restrictionsOut
		env.as("").mustData(`query($u: String!) { restrictions(uscc: $u, purpose: BIDDING) { listType } }`, map[string]any{"u": ent.CreateMarketEntity.Uscc}, &bid)
		if len(bid.Restrictions) != 0 {
			t.Errorf("an exempt listing restricts bidding: %+v", bid)
		}
		// (recent, so that its window — at most the list's 3 years — is still open)
		if ex := listIn("EPI-2", todayMinus(30), true); ex != "" {
			t.Errorf("a listing outside the period is exempt (%q)", ex)
		}
		env.as("").mustData(`query($u: String!) { restrictions(uscc: $u, purpose: BIDDING) { listType } }`, map[string]any{"u": ent.CreateMarketEntity.Uscc}, &bid)
		if len(bid.Restrictions) != 1 {
			t.Errorf("the listing outside the period does not restrict: %+v", bid)
		}
	})
}
