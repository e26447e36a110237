package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// subscriber is a graphql-transport-ws client of creditEvents.
type subscriber struct {
	t    *testing.T
	conn *websocket.Conn
}

func subscribeAs(t *testing.T, env *testEnv, token, query string) *subscriber {
	t.Helper()
	url := "ws" + strings.TrimPrefix(env.srv.URL, "http") + "/query"
	conn, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Sec-WebSocket-Protocol": {"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &subscriber{t: t, conn: conn}
	payload := map[string]any{}
	if token != "" {
		payload["Authorization"] = "Bearer " + env.secrets[token]
	}
	s.send(map[string]any{"type": "connection_init", "payload": payload})
	if m := s.read(); m["type"] != "connection_ack" {
		t.Fatalf("connection_init answered %v", m)
	}
	s.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}})
	return s
}

func (s *subscriber) send(v any) {
	if err := s.conn.WriteJSON(v); err != nil {
		s.t.Fatal(err)
	}
}

// read returns the next message other than a ping, waiting at most 10 s.
func (s *subscriber) read() map[string]any {
	s.t.Helper()
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, raw, err := s.conn.ReadMessage()
		if err != nil {
			s.t.Fatalf("reading the subscription: %v", err)
		}
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if m["type"] == "ping" || m["type"] == "ka" {
			s.send(map[string]any{"type": "pong"})
			continue
		}
		return m
	}
}

// drain returns the messages other than pings that arrive until none has for quiet; the
// connection is spent afterwards.
func (s *subscriber) drain(quiet time.Duration) []map[string]any {
	var out []map[string]any
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(quiet))
		_, raw, err := s.conn.ReadMessage()
		if err != nil {
			return out
		}
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if m["type"] == "ping" || m["type"] == "ka" {
			s.send(map[string]any{"type": "pong"})
			continue
		}
		out = append(out, m)
	}
}

// event returns the next event's type, sector and summary.
func (s *subscriber) event() (string, string, string) {
	s.t.Helper()
	m := s.read()
	if m["type"] != "next" {
		s.t.Fatalf("want an event, got %v", m)
	}
	ev := m["payload"].(map[string]any)["data"].(map[string]any)["creditEvents"].(map[string]any)
	summary, _ := ev["summary"].(string)
	sector, _ := ev["sector"].(string)
	return ev["type"].(string), sector, summary
}

// subscribeAll subscribes each of who (token names, "" for the public) with query q and waits
// until every subscription has started (bounded at 10 s).
func subscribeAll(t *testing.T, env *testEnv, who []string, q string) map[string]*subscriber {
	t.Helper()
	subs := map[string]*subscriber{}
	for _, w := range who {
		subs[w] = subscribeAs(t, env, w, q)
	}
	for deadline := time.Now().Add(10 * time.Second); env.db.Events.Subscribers() < len(who); {
		if time.Now().After(deadline) {
			t.Fatal("the subscriptions did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return subs
}

// A subscribed department sees the events of its scope, after commit, and nothing outside it.
func TestCreditEventsSubscription(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) { creditEvents(t, newEnv(t, e, 0)) })
}

func creditEvents(t *testing.T, env *testEnv) {
	const q = `subscription { creditEvents(types: [LISTED]) { type sector recordID summary } }`
	market := subscribeAs(t, env, "demo-market-clerk", q)
	labour := subscribeAs(t, env, "demo-labour-clerk", q)
	office := subscribeAs(t, env, "demo-credit-office", `subscription { creditEvents(departments: ["labour"], types: [LISTED]) { type sector summary } }`)
	public := subscribeAs(t, env, "", q)
	// Subscriptions start asynchronously: wait until all four listen (bounded at 10 s).
	for deadline := time.Now().Add(10 * time.Second); env.db.Events.Subscribers() < 4; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 4 subscriptions started", env.db.Events.Subscribers())
		}
		time.Sleep(5 * time.Millisecond)
	}
	var ent struct{ CreateMarketEntity struct{ ID string } }
	env.as("demo-market-clerk").mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州事件某公司"}) { id } }`, nil, &ent)
	today := vocab.SystemClock.Today()
	listOn := func(token, dep, listType, src string, on time.Time) {
		env.as(token).mustData(`mutation($d: ID!, $e: ID!, $t: ListEntryListType!, $src: String!, $on: Date!) { createListEntry(input: {departmentID: $d,
			entityID: $e, sourceSystem: "ev", sourceRecordID: $src, severity: GENERAL, listType: $t, orderDeadline: "2019-01-01", listedOn: $on, reason: "r", basis: "b", decisionNo: $src}) { id } }`,
			map[string]any{"d": env.departmentID(dep), "e": ent.CreateMarketEntity.ID, "t": listType, "src": src, "on": on.Format(time.DateOnly)}, nil)
	}
	list := func(token, dep, listType, src string) { listOn(token, dep, listType, src, today) }
	// A listing whose publicity ended long ago (an import of history) is not streamed to the
	// public, which node(id) would not show it either; the current one is.
	listOn("demo-market-clerk", "market-320500", "MS_ABNORMAL_OPERATION", "EV-OLD", today.AddDate(-6, 0, 0))
	// A market listing the market clerk sees; the labour clerk (who reads only labour records) does not.
	list("demo-market-clerk", "market-320500", "MS_ABNORMAL_OPERATION", "EV-1")
	if typ, sec, sum := market.event(); typ != "LISTED" || sec != "MARKET" || !strings.Contains(sum, "EV-OLD") {
		t.Errorf("market clerk got %s %s %q, want the EV-OLD listing it may read", typ, sec, sum)
	}
	if typ, sec, _ := market.event(); typ != "LISTED" || sec != "MARKET" {
		t.Errorf("market clerk got %s %s", typ, sec)
	}
	if typ, _, sum := public.event(); typ != "LISTED" || !strings.Contains(sum, "EV-1") {
		t.Errorf("the public got %s %q first, want the EV-1 listing in publicity", typ, sum)
	}
	// A failed write publishes nothing: a duplicate decision number rolls back.
	r := env.as("demo-labour-clerk").post(`mutation($d: ID!, $e: ID!) { a: createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "ev",
		sourceRecordID: "EV-X", severity: GENERAL, listType: HR_WAGE_ARREARS, orderDeadline: "2020-01-01", listedOn: "2026-01-05", reason: "r", basis: "b", decisionNo: "X"})
		{ id } b: createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "ev", sourceRecordID: "EV-X2", severity: GENERAL,
		listType: HR_WAGE_ARREARS, orderDeadline: "2020-01-01", listedOn: "2026-01-05", reason: "r", basis: "b", decisionNo: "X", epidemicRelated: true, sme: true,
		plannedEndOn: "2000-01-01"}) { id } }`, map[string]any{"d": env.departmentID("labour-320200"), "e": ent.CreateMarketEntity.ID})
	if len(r.Errors) == 0 {
		t.Fatal("the failing mutation succeeded")
	}
	list("demo-labour-clerk", "labour-320200", "HR_WAGE_ARREARS", "EV-2")
	// The first event the labour clerk sees is its own sector's, not the market listing or the
	// rolled-back one.
	if typ, sec, sum := labour.event(); typ != "LISTED" || sec != "LABOUR" || !strings.Contains(sum, "EV-2") {
		t.Errorf("labour clerk got %s %s %q, want the EV-2 listing", typ, sec, sum)
	}
	if typ, sec, sum := office.event(); typ != "LISTED" || sec != "LABOUR" || !strings.Contains(sum, "EV-2") {
		t.Errorf("credit office (filtered to labour) got %s %s %q", typ, sec, sum)
	}
}

// Creating, correcting or ending a penalty, licence, rating, list entry, spot check or
// commitment, and an entity's tier changing, each emit a creditEvents event with its kind, the
// record and the entity, after commit, in the order made; another department receives only
// what it may read (never a commitment of another sector, which is not public).
func TestEveryRecordKindEmitsAnEvent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		const q = `subscription { creditEvents { type recordType sector recordID entityID record { id } entity { id } summary } }`
		market := subscribeAs(t, env, "demo-market-clerk", q)
		labour := subscribeAs(t, env, "demo-labour-clerk", q)
		for deadline := time.Now().Add(10 * time.Second); env.db.Events.Subscribers() < 2; {
			if time.Now().After(deadline) {
				t.Fatal("the subscriptions did not start")
			}
			time.Sleep(5 * time.Millisecond)
		}
		clerk := env.as("demo-market-clerk")
		p := penaltyInput(env, "market-320500", "EVK-1")
		entityID := p["in"].(map[string]any)["entityID"].(string)
		var pen struct{ CreateAdministrativePenalty struct{ ID string } }
		clerk.mustData(createPenaltyQ, p, &pen)
		clerk.mustData(`mutation($id: ID!) { updateAdministrativePenalty(id: $id, input: {remark: "更正"}) { id } }`,
			map[string]any{"id": pen.CreateAdministrativePenalty.ID}, nil)
		d := env.departmentID("market-320500")
		vars := map[string]any{"d": d, "e": entityID}
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createAdministrativeLicense(input: {departmentID: $d, entityID: $e, sourceSystem: "evk",
			sourceRecordID: "EVK-L", decisionDocName: "许可决定书", decisionNo: "EVK-L", licenseCategory: ORDINARY, certificateName: "食品经营许可证",
			licenseNo: "JY-EVK", content: "预包装食品销售", decisionDate: "2026-05-01", validFrom: "2026-05-01", validTo: "2031-04-30",
			authorityName: "苏州市市场监督管理局", authorityUscc: "11320500014000000T"}) { id } }`, vars, nil)
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createSectorRating(input: {departmentID: $d, entityID: $e, sourceSystem: "evk",
			sourceRecordID: "EVK-R", scheme: MARKET_RISK_CLASS, grade: "C", period: "2026-11", validFrom: "2026-11-01"}) { id } }`, vars, nil)
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createSpotCheck(input: {departmentID: $d, entityID: $e, sourceSystem: "evk",
			sourceRecordID: "EVK-S", taskID: "SSLM-EVK", checkItems: "经营场所", inspectedOn: "2026-11-02", result: NO_PROBLEM}) { id } }`, vars, nil)
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "evk",
			sourceRecordID: "EVK-C", kind: APPLICATION_NOTIFY_COMMIT, text: "承诺", signedOn: "2026-11-03", relatedMatter: "许可"}) { id } }`, vars, nil)
		var l struct{ CreateListEntry struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "evk",
			sourceRecordID: "EVK-LE", severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: "2026-11-04", reason: "r",
			basis: "b", decisionNo: "EVK-LE"}) { id } }`, vars, &l)
		env.as("demo-credit-office").mustData(`mutation($id: ID!, $on: Date!) { updateListEntry(id: $id, input: {removedOn: $on,
			removalReason: DECISION_REVOKED}) { id } }`, map[string]any{"id": l.CreateListEntry.ID, "on": todayMinus(0)}, nil)
		want := []string{"RECORDED PENALTY", "CORRECTED PENALTY", "RECORDED LICENCE", "RECORDED RATING", "RECORDED SPOT_CHECK",
			"RECORDED COMMITMENT", "LISTED LIST_ENTRY", "REMOVED LIST_ENTRY"}
		var got []string
		tiers := 0
		for len(got) < len(want) {
			m := market.read()
			ev := m["payload"].(map[string]any)["data"].(map[string]any)["creditEvents"].(map[string]any)
			if ev["type"] == "TIER_CHANGED" {
				if ev["recordType"] != nil || ev["sector"] != nil || ev["entityID"] != entityID || ev["entity"] == nil {
					t.Errorf("tier change %v: want no record type or sector, the entity %s", ev, entityID)
				}
				tiers++
				continue
			}
			got = append(got, fmt.Sprint(ev["type"], " ", ev["recordType"]))
			if ev["record"] == nil || ev["entityID"] != entityID || ev["sector"] != "MARKET" {
				t.Errorf("%v: want the record, the entity %s and sector MARKET", ev, entityID)
			}
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("events %v, want %v", got, want)
		}
		if tiers == 0 {
			t.Error("no TIER_CHANGED event though a serious listing and its removal changed the tier")
		}
		// The labour clerk reads market records in publicity only: never the commitment. Its own
		// listing, made last, closes what it receives.
		env.as("demo-labour-clerk").mustData(`mutation($d: ID!, $e: ID!) { createListEntry(input: {departmentID: $d, entityID: $e,
			sourceSystem: "evk", sourceRecordID: "EVK-HR", severity: GENERAL, listType: HR_WAGE_ARREARS, orderDeadline: "2020-01-01", listedOn: "2026-11-05", reason: "r",
			basis: "b", decisionNo: "EVK-HR"}) { id } }`, map[string]any{"d": env.departmentID("labour-320500"), "e": entityID}, nil)
		for {
			m := labour.read()
			ev := m["payload"].(map[string]any)["data"].(map[string]any)["creditEvents"].(map[string]any)
			if ev["recordType"] == "COMMITMENT" {
				t.Errorf("the labour clerk received another sector's commitment: %v", ev)
			}
			if ev["type"] == "LISTED" && ev["sector"] == "LABOUR" {
				break
			}
		}
	})
}

// Every subscriber receives exactly the events of the records it may read (the oracle: node(id)
// as that subscriber afterwards), for each kind of record, for the public, departments of
// other sectors, a bureau's clerk, a scoped auditor and the credit office.
func TestEventsAreWhatEachSubscriberMayRead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		const q = `subscription { creditEvents { type recordType recordID } }`
		// The subject the records are about watches its own file too.
		env.issue(authz.IssueRequest{Name: "subject-evs", Role: authz.RoleSubject, Department: "credit_office",
			SubjectUSCC: penaltyInput(env, "market-320500", "EVS-0")["in"].(map[string]any)["counterpartyUscc"].(string)})
		who := []string{"", "demo-labour-clerk", "demo-environment-supervisor", "demo-market-nanjing-clerk", "demo-auditor-market", "demo-credit-office", "subject-evs"}
		subs := subscribeAll(t, env, who, q)
		clerk := env.as("demo-market-clerk")
		p := penaltyInput(env, "market-320500", "EVS-1")
		vars := map[string]any{"d": env.departmentID("market-320500"), "e": p["in"].(map[string]any)["entityID"]}
		var written []string
		create := func(q string, vars map[string]any) {
			t.Helper()
			var out map[string]struct{ ID string }
			clerk.mustData(q, vars, &out)
			for _, r := range out {
				written = append(written, r.ID)
			}
		}
		create(createPenaltyQ, p)
		create(`mutation($d: ID!, $e: ID!) { r: createAdministrativeLicense(input: {departmentID: $d, entityID: $e, sourceSystem: "evs",
			sourceRecordID: "EVS-L", decisionDocName: "许可决定书", decisionNo: "EVS-L", licenseCategory: ORDINARY, certificateName: "食品经营许可证",
			licenseNo: "JY-EVS", content: "预包装食品销售", decisionDate: "2026-05-01", validFrom: "2026-05-01", validTo: "2031-04-30",
			authorityName: "苏州市市场监督管理局", authorityUscc: "11320500014000000T"}) { id } }`, vars)
		create(`mutation($d: ID!, $e: ID!) { r: createSectorRating(input: {departmentID: $d, entityID: $e, sourceSystem: "evs",
			sourceRecordID: "EVS-R", scheme: MARKET_RISK_CLASS, grade: "C", period: "2026-11", validFrom: "2026-11-01"}) { id } }`, vars)
		create(`mutation($d: ID!, $e: ID!) { r: createSpotCheck(input: {departmentID: $d, entityID: $e, sourceSystem: "evs",
			sourceRecordID: "EVS-S", taskID: "SSLM-EVS", checkItems: "经营场所", inspectedOn: "2026-11-02", result: NO_PROBLEM}) { id } }`, vars)
		create(`mutation($d: ID!, $e: ID!) { r: createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "evs",
			sourceRecordID: "EVS-C", kind: APPLICATION_NOTIFY_COMMIT, text: "承诺", signedOn: "2022-11-03", relatedMatter: "许可"}) { id } }`, vars) // past its 36-month publicity
		create(`mutation($d: ID!, $e: ID!) { r: createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "evs",
			sourceRecordID: "EVS-LE", severity: GENERAL, listType: MS_ABNORMAL_OPERATION, listedOn: "2026-11-04", reason: "r",
			basis: "b", decisionNo: "EVS-LE"}) { id } }`, vars)

		quiet := 3 * time.Second // the first stream waits for the events to arrive; the others have them by then
		for _, w := range who {
			// The oracle first: what node(id) shows this subscriber.
			readable := map[string]bool{}
			for _, id := range written {
				var out struct{ Node *struct{ ID string } }
				env.as(w).mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &out)
				readable[id] = out.Node != nil
			}
			got := map[string]bool{}
			ms := subs[w].drain(quiet)
			quiet = 300 * time.Millisecond
			for _, m := range ms {
				if m["type"] != "next" {
					t.Fatalf("%q: want an event, got %v", w, m)
				}
				ev := m["payload"].(map[string]any)["data"].(map[string]any)["creditEvents"].(map[string]any)
				if id, _ := ev["recordID"].(string); ev["type"] != "TIER_CHANGED" {
					got[id] = true
				}
			}
			n := 0
			for _, id := range written {
				if got[id] != readable[id] {
					t.Errorf("%q: event for record %s received %v, but may read it: %v", w, id, got[id], readable[id])
				}
				if readable[id] {
					n++
				}
			}
			if (w == "demo-credit-office" || w == "subject-evs") && n != len(written) {
				t.Errorf("the credit office reads %d of the %d records written", n, len(written))
			}
			if w == "" && n == len(written) {
				t.Errorf("the public may read all %d records, the commitment past its publicity included: the oracle proves nothing", len(written))
			}
		}
	})
}

// A decision event — a repair application approved, an objection not accepted — tells of a
// workflow document as well as of its record: a subscriber receives it exactly when it may
// read both (node(id) of each is the oracle), so the public and other departments, who read
// the penalty in publicity but no repair application or objection, do not learn of them.
func TestDecisionEventsAreWhatEachSubscriberMayRead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		s := setupRepair(t, env, "EVD-R")
		env.issue(authz.IssueRequest{Name: "subject-evd", Role: authz.RoleSubject, Department: "credit_office", SubjectUSCC: s.uscc})
		const q = `subscription { creditEvents(types: [REPAIR_DECISION, OBJECTION_DECISION]) { type recordID } }`
		who := []string{"", "demo-labour-clerk", "demo-market-clerk", "demo-market-nanjing-clerk", "demo-auditor-market", "demo-credit-office", "subject-evd"}
		subs := subscribeAll(t, env, who, q)
		// A repair application decided: approved.
		app := createApplication(t, env, s, nil)
		for _, st := range []struct{ who, to string }{{"demo-market-clerk", "SUBMITTED"}, {"demo-credit-office", "ACCEPTED"},
			{"demo-market-reviewer", "INITIAL_APPROVED"}, {"demo-market-reviewer", "UNDER_AUTHORITY_REVIEW"}, {"demo-market-supervisor", "APPROVED"}} {
			env.as(st.who).mustData(transition, map[string]any{"id": app, "to": st.to}, nil)
		}
		// An objection decided: not accepted.
		var p struct{ CreateAdministrativePenalty struct{ ID string } }
		env.as("demo-market-clerk").mustData(createPenaltyQ, penaltyInput(env, "market-320500", "EVD-O"), &p)
		var o struct{ FileObjection struct{ ID string } }
		co := env.as("demo-credit-office")
		co.mustData(`mutation($p: ID!) { fileObjection(input: {penaltyID: $p, grounds: WRONG, description: "罚款金额有误"}) { id } }`,
			map[string]any{"p": p.CreateAdministrativePenalty.ID}, &o)
		co.mustData(`mutation($id: ID!) { transitionObjection(id: $id, to: NOT_ACCEPTED, reason: "材料不全") { state } }`,
			map[string]any{"id": o.FileObjection.ID}, nil)

		decided := []struct{ typ, document, record string }{
			{"REPAIR_DECISION", app, s.penaltyID},
			{"OBJECTION_DECISION", o.FileObjection.ID, p.CreateAdministrativePenalty.ID},
		}
		quiet := 3 * time.Second
		readersOfAll := 0
		for _, w := range who {
			readable := func(id string) bool {
				var out struct{ Node *struct{ ID string } }
				env.as(w).mustData(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &out)
				return out.Node != nil
			}
			got := map[string]int{}
			for _, m := range subs[w].drain(quiet) {
				if m["type"] != "next" {
					t.Fatalf("%q: want an event, got %v", w, m)
				}
				ev := m["payload"].(map[string]any)["data"].(map[string]any)["creditEvents"].(map[string]any)
				got[ev["type"].(string)+" "+ev["recordID"].(string)]++
			}
			quiet = 300 * time.Millisecond
			all := true
			for _, d := range decided {
				want := readable(d.document) && readable(d.record)
				all = all && want
				if n := got[d.typ+" "+d.record]; n != map[bool]int{true: 1}[want] {
					t.Errorf("%q: %d %s events for record %s; may read the document and the record: %v", w, n, d.typ, d.record, want)
				}
			}
			if all {
				readersOfAll++
			}
		}
		if readersOfAll == 0 || readersOfAll == len(who) {
			t.Errorf("%d of %d subscribers may read both decisions: the oracle proves nothing", readersOfAll, len(who))
		}
	})
}

// Each event a subscription sends is audited as itself: the row of an event that unmasked an ID
// number names its purpose, and an event that unmasked nothing writes no personal-data row —
// whatever earlier events of the same subscription revealed (one viewer serves them all).
func TestASubscriptionsAuditRowsAreEachEvents(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		office := env.as("demo-credit-office")
		var ents struct {
			MarketEntities struct {
				Edges []struct {
					Node struct {
						ID                  string
						LegalRepresentative *struct{ ID string }
					}
				}
			}
		}
		office.mustData(`{ marketEntities(first: 10) { edges { node { id legalRepresentative { id } } } } }`, nil, &ents)
		withRep := ""
		for _, e := range ents.MarketEntities.Edges {
			if e.Node.LegalRepresentative != nil {
				withRep = e.Node.ID
				break
			}
		}
		var bare struct{ CreateMarketEntity struct{ ID string } }
		env.as("demo-market-clerk").mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州审计某公司"}) { id } }`, nil, &bare)
		if withRep == "" {
			t.Fatal("no seeded entity has a legal representative")
		}
		subs := subscribeAll(t, env, []string{"demo-credit-office"},
			`subscription { creditEvents(types: [LISTED]) { entityID entity { legalRepresentative { idNumber(purpose: "watching listings") } } } }`)
		sub := subs["demo-credit-office"]
		personalRows := func() int {
			return env.count("audit_logs", "kind = 'PERSONAL_DATA_READ' AND token_name = 'demo-credit-office'")
		}
		before := personalRows()
		for i, entity := range []string{withRep, bare.CreateMarketEntity.ID, bare.CreateMarketEntity.ID, withRep} {
			env.as("demo-market-clerk").mustData(`mutation($d: ID!, $e: ID!, $src: String!) { createListEntry(input: {departmentID: $d, entityID: $e,
				sourceSystem: "sub-audit", sourceRecordID: $src, severity: GENERAL, listType: MS_ABNORMAL_OPERATION, listedOn: "2026-11-04", reason: "r",
				basis: "b", decisionNo: $src}) { id } }`, map[string]any{"d": env.departmentID("market-320500"), "e": entity, "src": fmt.Sprintf("SUB-AUDIT-%d", i)}, nil)
			m := sub.read()
			if m["type"] != "next" {
				t.Fatalf("event %d: %v", i, m)
			}
			ev := m["payload"].(map[string]any)["data"].(map[string]any)["creditEvents"].(map[string]any)
			revealed := entity == withRep
			if rep, _ := ev["entity"].(map[string]any)["legalRepresentative"].(map[string]any); (rep != nil) != revealed ||
				revealed && strings.Contains(fmt.Sprint(rep["idNumber"]), "*") {
				t.Fatalf("event %d about %s: %v", i, entity, ev)
			}
			// The event's row is written before the event is sent.
			want := 1
			if i >= 3 {
				want = 2
			}
			if got := personalRows() - before; got != want {
				t.Errorf("after event %d (revealed: %v): %d personal-data rows, want %d — one per event that unmasked", i, revealed, got, want)
			}
		}
		if n := env.count("audit_logs", "kind = 'PERSONAL_DATA_READ' AND token_name = 'demo-credit-office' AND purpose = 'watching listings'"); n != 2 {
			t.Errorf("%d rows name the purpose, want 2", n)
		}
	})
}
