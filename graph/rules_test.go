package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// Publicity windows stored through the API follow domain.md §4 with months counted as 民法典
// art. 202 counts them, on both engines: a penalty decided on a month end, and a listing on a
// leap day whose planned end may reach, but not pass, its rule's maximum.
func TestPublicityWindowsAtMonthEnds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		clerk := env.as("demo-market-clerk")
		// SAMR Order 45, a market penalty neither low nor restricting: 6 months minimum, 3 years
		// maximum — from a month's 31st, the minimum falls on the last day of February.
		in := penaltyInput(env, "market-320500", "ME-1")
		in["in"].(map[string]any)["decisionDate"] = "2025-08-31"
		var p struct {
			CreateAdministrativePenalty struct {
				PublicityStart, PublicityMinEnd, PublicityDeadline string
			}
		}
		clerk.mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) {
			publicityStart publicityMinEnd publicityDeadline } }`, in, &p)
		if w := p.CreateAdministrativePenalty; w.PublicityStart != "2025-08-31" || w.PublicityMinEnd != "2026-02-28" || w.PublicityDeadline != "2028-08-31" {
			t.Errorf("penalty decided 2025-08-31: window %+v, want 2025-08-31 / 2026-02-28 / 2028-08-31", w)
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

// Market supervision's penalties follow SAMR Order 45 from 2021-09-01 (domain.md §4), at each
// edge of its classes, on both engines: warning-only and summary-procedure penalties are not
// published; criticism and fines up to the province's low limit (1 = 10,000 CNY, inclusive)
// are published 3 months and stop by themselves; other penalties 3 years with an early stop
// after 6 months (a year in food, drugs and special equipment); no early stop for suspension,
// restriction, downgrading or revocation, a restriction longer than 3 years published for its
// period; a food licence revoked stays 527号's specified serious dishonesty. The day before
// Order 45 and another sector's warning follow the national rules.
func TestMarketPenaltiesFollowSAMROrder45(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		type want struct {
			set, severity, minEnd, deadline string
			repairable                      bool
		}
		for i, tt := range []struct {
			name   string
			dep    string
			fields map[string]any
			want   want
		}{
			{"warning only: not published", "market-320500", map[string]any{"penaltyCategories": []string{"WARNING"}},
				want{"SAMR-ORDER-45", "GENERAL", "", "", true}},
			{"summary procedure: not published", "market-320500", map[string]any{"penaltyCategories": []string{"FINE"}, "fineAmount": "0.02", "procedure": "SUMMARY"},
				want{"SAMR-ORDER-45", "GENERAL", "", "", true}},
			{"warning and a fine at the low limit: 3 months, then stops", "market-320500", map[string]any{"penaltyCategories": []string{"WARNING", "FINE"}, "fineAmount": "1"},
				want{"SAMR-ORDER-45", "GENERAL", "2026-08-01", "2026-08-01", false}},
			{"a fine just above the limit: 3 years, early stop after 6 months", "market-320500", map[string]any{"penaltyCategories": []string{"FINE"}, "fineAmount": "1.0001"},
				want{"SAMR-ORDER-45", "GENERAL", "2026-11-01", "2029-05-01", true}},
			{"circulated criticism: 3 months", "market-320500", map[string]any{"penaltyCategories": []string{"CIRCULATED_CRITICISM"}},
				want{"SAMR-ORDER-45", "GENERAL", "2026-08-01", "2026-08-01", false}},
			{"a fine in food: early stop after a year", "market-320500", map[string]any{"penaltyCategories": []string{"FINE"}, "fineAmount": "5", "domain": "FOOD_DRUG"},
				want{"SAMR-ORDER-45", "GENERAL", "2027-05-01", "2029-05-01", true}},
			{"a warning with a revocation is no warning-only penalty: never stopped early", "market-320500", map[string]any{"penaltyCategories": []string{"WARNING", "REVOKE_LICENCE"}, "domain": "OTHER"},
				want{"SAMR-ORDER-45", "GENERAL", "2029-05-01", "2029-05-01", false}},
			{"a food licence revoked: specified serious dishonesty", "market-320500", map[string]any{"penaltyCategories": []string{"REVOKE_LICENCE"}, "domain": "FOOD_DRUG"},
				want{"NDRC-527-2019-SPECIFIED", "SERIOUS", "2029-05-01", "2029-05-01", false}},
			{"employment restricted 5 years: published for its period", "market-320500", map[string]any{"penaltyCategories": []string{"RESTRICT_EMPLOYMENT"}, "validUntil": "2031-05-01"},
				want{"SAMR-ORDER-45", "GENERAL", "2031-05-01", "2031-05-01", false}},
			{"employment restricted 2 years: still the 3 years", "market-320500", map[string]any{"penaltyCategories": []string{"RESTRICT_EMPLOYMENT"}, "validUntil": "2028-05-01"},
				want{"SAMR-ORDER-45", "GENERAL", "2029-05-01", "2029-05-01", false}},
			{"a warning the day before Order 45: 527号", "market-320500", map[string]any{"penaltyCategories": []string{"WARNING"}, "decisionDate": "2021-08-31"},
				want{"NDRC-527-2019", "GENERAL", "2021-11-30", "2022-08-31", true}},
			{"a warning the day Order 45 takes effect: not published", "market-320500", map[string]any{"penaltyCategories": []string{"WARNING"}, "decisionDate": "2021-09-01"},
				want{"SAMR-ORDER-45", "GENERAL", "", "", true}},
			{"another sector's warning: the national rules", "environment-320000", map[string]any{"penaltyCategories": []string{"WARNING"}},
				want{"NDRC-ORDER-36", "GENERAL", "2026-08-01", "2027-05-01", true}},
			// Order 45 counts from publication (art. 13, 自公示之日起); the national rules from the
			// decision, whenever the penalty was published.
			{"published 19 days after the decision: 3 years and 6 months from publication", "market-320500",
				map[string]any{"penaltyCategories": []string{"FINE"}, "fineAmount": "5", "publishedOn": "2026-05-20"},
				want{"SAMR-ORDER-45", "GENERAL", "2026-11-20", "2029-05-20", true}},
			{"a low fine published at the month's end: 3 months from publication", "market-320500",
				map[string]any{"penaltyCategories": []string{"FINE"}, "fineAmount": "0.5", "publishedOn": "2026-05-31"},
				want{"SAMR-ORDER-45", "GENERAL", "2026-08-31", "2026-08-31", false}},
			{"published on the decision day: as the decision", "market-320500",
				map[string]any{"penaltyCategories": []string{"FINE"}, "fineAmount": "5", "publishedOn": "2026-05-01"},
				want{"SAMR-ORDER-45", "GENERAL", "2026-11-01", "2029-05-01", true}},
			{"a food licence revoked, published later: 527号 counts from the decision", "market-320500",
				map[string]any{"penaltyCategories": []string{"REVOKE_LICENCE"}, "domain": "FOOD_DRUG", "publishedOn": "2026-05-20"},
				want{"NDRC-527-2019-SPECIFIED", "SERIOUS", "2029-05-01", "2029-05-01", false}},
			{"employment restricted 5 years, published later: its period", "market-320500",
				map[string]any{"penaltyCategories": []string{"RESTRICT_EMPLOYMENT"}, "validUntil": "2031-05-01", "publishedOn": "2026-05-20"},
				want{"SAMR-ORDER-45", "GENERAL", "2031-05-01", "2031-05-01", false}},
			{"employment restricted 3 years, published later: 3 years from publication", "market-320500",
				map[string]any{"penaltyCategories": []string{"RESTRICT_EMPLOYMENT"}, "validUntil": "2029-05-01", "publishedOn": "2026-05-20"},
				want{"SAMR-ORDER-45", "GENERAL", "2029-05-20", "2029-05-20", false}},
			{"another sector's penalty published later: the national rules count from the decision", "environment-320000",
				map[string]any{"penaltyCategories": []string{"WARNING"}, "publishedOn": "2026-05-20"},
				want{"NDRC-ORDER-36", "GENERAL", "2026-08-01", "2027-05-01", true}},
		} {
			in := penaltyInput(env, tt.dep, fmt.Sprintf("O45-%d", i))
			p := in["in"].(map[string]any)
			for k, v := range tt.fields {
				p[k] = v
			}
			token := "demo-market-clerk"
			if strings.HasPrefix(tt.dep, "environment") {
				token = "demo-environment-clerk"
			}
			var out struct {
				CreateAdministrativePenalty struct {
					PublicityRuleSet, Severity         string
					PublicityMinEnd, PublicityDeadline *string
					Repairable                         bool
				}
			}
			env.as(token).mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) {
				publicityRuleSet severity publicityMinEnd publicityDeadline repairable } }`, in, &out)
			o := out.CreateAdministrativePenalty
			got := want{o.PublicityRuleSet, o.Severity, deref(o.PublicityMinEnd), deref(o.PublicityDeadline), o.Repairable}
			if got != tt.want {
				t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
			}
		}
		// A publication date is a day from the decision to today, named when it is not; a
		// correction of it moves the window, and taking it away counts from the decision again.
		for _, bad := range []string{"2026-04-30", todayMinus(-1)} {
			in := penaltyInput(env, "market-320500", "O45-BAD-"+bad)
			in["in"].(map[string]any)["publishedOn"] = bad
			env.as("demo-market-clerk").wantError(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`,
				in, "BAD_USER_INPUT", "publishedOn")
		}
		if n := env.count("administrative_penalties", "source_record_id LIKE 'O45-BAD-%'"); n != 0 {
			t.Errorf("%d penalties with a bad publication date were written", n)
		}
		id := sqlStrings(t, env, "SELECT CAST(id AS CHAR) FROM administrative_penalties WHERE source_record_id = 'O45-3'")
		if len(id) != 1 {
			t.Fatalf("penalty O45-3: %v", id)
		}
		const correct = `mutation($id: ID!, $in: UpdateAdministrativePenaltyInput!) { updateAdministrativePenalty(id: $id, input: $in) {
			publicityMinEnd publicityDeadline } }`
		for _, c := range []struct {
			in             map[string]any
			minEnd, maxEnd string
		}{
			{map[string]any{"publishedOn": "2026-06-10"}, "2026-12-10", "2029-06-10"},
			{map[string]any{"fineAmount": "2"}, "2026-12-10", "2029-06-10"},
			{map[string]any{"clearPublishedOn": true}, "2026-11-01", "2029-05-01"},
		} {
			var u struct {
				UpdateAdministrativePenalty struct{ PublicityMinEnd, PublicityDeadline string }
			}
			env.as("demo-market-clerk").mustData(correct, map[string]any{"id": id[0], "in": c.in}, &u)
			if w := u.UpdateAdministrativePenalty; w.PublicityMinEnd != c.minEnd || w.PublicityDeadline != c.maxEnd {
				t.Errorf("after %v: window %s – %s, want %s – %s", c.in, w.PublicityMinEnd, w.PublicityDeadline, c.minEnd, c.maxEnd)
			}
		}
		// An unpublished penalty is invisible to the public; a published one is not.
		for src, n := range map[string]int{"O45-0": 0, "O45-3": 1} {
			var pub struct{ AdministrativePenalties struct{ TotalCount int } }
			env.as("").mustData(`query($src: String!) { administrativePenalties(where: {sourceRecordID: $src}) { totalCount } }`,
				map[string]any{"src": src}, &pub)
			if got := pub.AdministrativePenalties.TotalCount; got != n {
				t.Errorf("the public sees %d of penalty %s, want %d", got, src, n)
			}
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
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
			sourceRecordID: "WA-1", severity: SERIOUS, listType: HR_WAGE_ARREARS, orderDeadline: "2020-01-01", listedOn: "2026-01-31", reason: "拖欠工资",
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

// jpScenario is a Suzhou company listed on the SAMR serious list 30 days ago, with five persons
// who held (or hold) roles around that day, each served a prior notice for the list.
type jpScenario struct {
	entity, uscc, listing, listedOn string
	persons                         map[string]string // name → person ID
}

func newJPScenario(t *testing.T, env *testEnv) jpScenario {
	t.Helper()
	clerk := env.as("demo-market-clerk")
	var ent struct{ CreateMarketEntity struct{ ID, Uscc string } }
	clerk.mustData(`mutation { createMarketEntity(input: {uscc: "913205056082348768", name: "苏州某公司"}) { id uscc } }`, nil, &ent)
	s := jpScenario{entity: ent.CreateMarketEntity.ID, uscc: ent.CreateMarketEntity.Uscc, listedOn: todayMinus(30), persons: map[string]string{}}
	person := func(name, id, role string, from, to *int, noticeDeadline int) {
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation($n: String!, $id: String!) { createNaturalPerson(input: {name: $n, idNumber: $id}) { id } }`,
			map[string]any{"n": name, "id": id}, &p)
		vars := map[string]any{"e": s.entity, "p": p.CreateNaturalPerson.ID, "r": role, "from": nil, "to": nil}
		if from != nil {
			vars["from"] = todayMinus(*from)
		}
		if to != nil {
			vars["to"] = todayMinus(*to)
		}
		clerk.mustData(`mutation($e: ID!, $p: ID!, $r: EntityRoleRole!, $from: Date, $to: Date) { createEntityRole(input: {entityID: $e,
			personID: $p, role: $r, startedOn: $from, endedOn: $to}) { id } }`, vars, nil)
		clerk.mustData(`mutation($d: ID!, $p: ID!, $no: String!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: $no, listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": p.CreateNaturalPerson.ID, "no": "N-" + name,
				"s": todayMinus(29), "r": todayMinus(noticeDeadline)}, nil)
		s.persons[name] = p.CreateNaturalPerson.ID
	}
	n := func(v int) *int { return &v }
	person("甲", "32050219800101123X", "LEGAL_REPRESENTATIVE", n(400), n(10), 5) // held it at the listing, left since
	person("乙", "110101199003077774", "LEGAL_REPRESENTATIVE", n(9), nil, 5)     // appointed after the listing
	person("丙", "440106198001010019", "PRINCIPAL", n(30), nil, 5)               // appointed on the listing day
	person("丁", "320106197001010017", "PRINCIPAL", n(400), n(31), 5)            // left the day before
	person("戊", "320102198505050011", "PRINCIPAL", n(400), nil, -3)             // reply deadline still to come
	var l struct{ CreateListEntry struct{ ID string } }
	clerk.mustData(`mutation($d: ID!, $e: ID!, $on: Date!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "jp",
		sourceRecordID: "JP-R1", severity: SERIOUS, listType: MS_SERIOUS_ILLEGAL_DISHONEST, listedOn: $on, reason: "r",
		basis: "总局令第44号", decisionNo: "JP-R1"}) { id } }`,
		map[string]any{"d": env.departmentID("market-320500"), "e": s.entity, "on": s.listedOn}, &l)
	s.listing = l.CreateListEntry.ID
	return s
}

// Joint punishment reaches the persons of the listing, not of today (domain.md §8, §7): the roles
// held on the listing date (inclusive), whatever happened since; each reached person only once
// given prior notice; each restriction cites its listing's regime and the measure.
func TestJointPunishmentReachesThePersonsOfTheListing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		s := newJPScenario(t, env)
		for _, tt := range []struct {
			name, person string
			want         bool
		}{{"held at listing, left since", "甲", true}, {"appointed after", "乙", false}, {"appointed on the listing day", "丙", true},
			{"left the day before", "丁", false}, {"notice deadline not passed", "戊", false}} {
			var out restrictionsOut
			env.as("demo-labour-clerk").mustData(`query($p: ID!) { restrictions(personId: $p, purpose: BIDDING) { via basis } }`,
				map[string]any{"p": s.persons[tt.person]}, &out)
			if got := len(out.Restrictions) == 1; got != tt.want {
				t.Errorf("%s: restricted = %v (%+v), want %v", tt.name, got, out.Restrictions, tt.want)
			}
			if tt.want && len(out.Restrictions) == 1 && (!strings.Contains(out.Restrictions[0].Basis, "总局令第44号") ||
				!strings.Contains(out.Restrictions[0].Basis, "招标投标") && !strings.Contains(out.Restrictions[0].Basis, "合作备忘录")) {
				t.Errorf("%s: basis %q does not cite the listing's regime and the measure", tt.name, out.Restrictions[0].Basis)
			}
		}
	})
}

// 527号's specified serious dishonesty (domain.md §4, §5.1): a licence revocation in food and
// drugs is serious whatever the form says, published for the full maximum and never repairable
// — a repair application is refused at submission. The same revocation outside the specified
// fields follows its stated severity; under the national rules it is repairable, while market
// supervision's own regime never stops a revocation early (SAMR Order 45 art. 14).
func TestSpecifiedSeriousPenaltiesCannotBeRepaired(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		clerk := env.as("demo-market-clerk")
		var createIn func(who *testEnv, dep, src, domain string) (string, string, bool, string, string)
		create := func(src, domain string) (id, severity string, repairable bool, minEnd, deadline string) {
			return createIn(clerk, "market-320500", src, domain)
		}
		createIn = func(who *testEnv, dep, src, domain string) (id, severity string, repairable bool, minEnd, deadline string) {
			in := penaltyInput(env, dep, src)
			p := in["in"].(map[string]any)
			p["penaltyCategories"], p["penaltyContent"], p["decisionDate"], p["domain"] = []string{"REVOKE_LICENCE"}, "吊销食品经营许可证", "2025-06-30", domain
			var out struct {
				CreateAdministrativePenalty struct {
					ID, Severity                       string
					Repairable                         bool
					PublicityMinEnd, PublicityDeadline string
				}
			}
			who.mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) {
				id severity repairable publicityMinEnd publicityDeadline } }`, in, &out)
			o := out.CreateAdministrativePenalty
			return o.ID, o.Severity, o.Repairable, o.PublicityMinEnd, o.PublicityDeadline
		}
		id, sev, rep, minEnd, deadline := create("SS-1", "FOOD_DRUG")
		if sev != "SERIOUS" || rep || minEnd != "2028-06-30" || deadline != "2028-06-30" {
			t.Errorf("food licence revoked: %s repairable=%v %s–%s, want SERIOUS, not repairable, public to 2028-06-30 at least and at most", sev, rep, minEnd, deadline)
		}
		if _, sev, rep, _, _ := createIn(env.as("demo-environment-clerk"), "environment-320000", "SS-2", "OTHER"); sev != "GENERAL" || !rep {
			t.Errorf("a revocation outside the specified fields: %s repairable=%v, want its stated GENERAL, repairable", sev, rep)
		}
		if _, sev, rep, _, _ := create("SS-3", "OTHER"); sev != "GENERAL" || rep {
			t.Errorf("market supervision's revocation outside the specified fields: %s repairable=%v, want GENERAL, never stopped early", sev, rep)
		}
		var c struct{ CreateCreditCommitment struct{ ID string } }
		ent := penaltyInput(env, "market-320500", "x")["in"].(map[string]any)["entityID"]
		clerk.mustData(`mutation($d: ID!, $e: ID!) { createCreditCommitment(input: {departmentID: $d, entityID: $e, sourceSystem: "ss",
			sourceRecordID: "SS-C", kind: REPAIR, text: "承诺", signedOn: "2026-09-01", relatedMatter: "信用修复"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": ent}, &c)
		var app struct{ CreateRepairApplication struct{ ID string } }
		clerk.mustData(`mutation($in: CreateRepairApplicationInput!) { createRepairApplication(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"penaltyID": id, "departmentID": env.departmentID("market-320500"), "commitmentID": c.CreateCreditCommitment.ID,
				"obligationsFulfilled": true, "materials": "材料"}}, &app)
		got := clerk.wantError(transition, map[string]any{"id": app.CreateRepairApplication.ID, "to": "SUBMITTED"}, "CONFLICT", "")
		if !strings.Contains(got.Message, "not repairable") {
			t.Errorf("refusal %q does not say the record is not repairable", got.Message)
		}
	})
}

// The new inputs of this round refuse bad values by name and write nothing: a listing's
// measures cannot end before it starts, a prior notice's handling needs its outcome.
func TestNewInputsRefuseBadValues(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		clerk := env.as("demo-market-clerk")
		entity := penaltyInput(env, "market-320500", "x")["in"].(map[string]any)["entityID"]
		clerk.wantError(`mutation($d: ID!, $e: ID!) { createListEntry(input: {departmentID: $d, entityID: $e, sourceSystem: "bi",
			sourceRecordID: "BI-1", severity: GENERAL, listType: MS_ABNORMAL_OPERATION, listedOn: "2026-03-01", measuresEndOn: "2026-02-28",
			reason: "r", basis: "b", decisionNo: "BI-1"}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "e": entity}, "BAD_USER_INPUT", "measuresEndOn")
		if n := env.count("list_entries", "source_record_id = 'BI-1'"); n != 0 {
			t.Error("the refused listing was stored")
		}
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {name: "钱七", idNumber: "32050219800101123X"}) { id } }`, nil, &p)
		var n struct{ CreatePriorNotice struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "BI-N", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": p.CreateNaturalPerson.ID, "s": todayMinus(10), "r": todayMinus(-5)}, &n)
		clerk.mustData(`mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, statements: "不服"}) { id } }`,
			map[string]any{"id": n.CreatePriorNotice.ID, "on": todayMinus(1)}, nil)
		clerk.wantError(`mutation($id: ID!) { handlePriorNoticeReply(id: $id, outcome: "  ") { id } }`,
			map[string]any{"id": n.CreatePriorNotice.ID}, "BAD_USER_INPUT", "outcome")
		if n := env.count("prior_notices", "reply_handled = TRUE"); n != 0 {
			t.Error("a handling without outcome was stored")
		}
	})
}

// Each measure's application is stored with its dates so that a past restriction can be
// audited (domain.md §8 MeasureApplication), and the stored rows agree with the restrictions the
// rules give — the oracle: the applications open today are exactly the (measure, subject, via)
// of restrictions(…) over every purpose, for the entity and each person, after each change. A
// reached person's application starts when the prior notice is complete, not at the listing —
// for a person who replied, when the reply was handled, however long after the deadline;
// a removal lifts every application on its date with its reason, and the rows stay.
func TestMeasureApplicationsAreStoredHistory(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 0)
		s := newJPScenario(t, env)
		co, clerk := env.as("demo-credit-office"), env.as("demo-market-clerk")
		type app struct {
			ID, Via, SubjectKind, FromOn string
			EntityID, PersonID           *string
			ToOn, LiftedOn, LiftedReason *string
			Measure                      struct{ Code string }
		}
		stored := func() []app {
			var out struct {
				MeasureApplications struct{ Edges []struct{ Node app } }
			}
			co.mustData(`query($l: ID!) { measureApplications(first: 100, where: {listEntryID: $l}) { edges { node {
				id via subjectKind fromOn entityID personID toOn liftedOn liftedReason measure { code } } } } }`,
				map[string]any{"l": s.listing}, &out)
			var apps []app
			for _, e := range out.MeasureApplications.Edges {
				apps = append(apps, e.Node)
			}
			return apps
		}
		today := todayMinus(0)
		oracle := func(stage string) {
			t.Helper()
			want := map[string]bool{}
			add := func(subject string, vars map[string]any, q string) {
				for _, purpose := range jointpunishment.Purposes {
					vars["purpose"] = purpose
					var out restrictionsOut
					co.mustData(q, vars, &out)
					for _, r := range out.Restrictions {
						if r.DecisionNo == "JP-R1" {
							want[r.Measure.Code+" "+subject+" "+r.Via] = true
						}
					}
				}
			}
			add("E"+s.entity, map[string]any{"u": s.uscc}, `query($u: String!, $purpose: Purpose!) { restrictions(uscc: $u, purpose: $purpose) {
				via decisionNo measure { code } } }`)
			for _, p := range s.persons {
				add("P"+p, map[string]any{"p": p}, `query($p: ID!, $purpose: Purpose!) { restrictions(personId: $p, purpose: $purpose) {
					via decisionNo measure { code } } }`)
			}
			got := map[string]bool{}
			for _, a := range stored() {
				if a.FromOn > today || a.ToOn != nil && *a.ToOn < today || a.LiftedOn != nil && *a.LiftedOn <= today {
					continue
				}
				subject := "P" + deref(a.PersonID)
				if a.EntityID != nil {
					subject = "E" + *a.EntityID
				}
				got[a.Measure.Code+" "+subject+" "+a.Via] = true
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: stored applications in force %v, the rules give %v", stage, got, want)
			}
		}
		oracle("listed")
		byPerson := func(name string) []app {
			var out []app
			for _, a := range stored() {
				if deref(a.PersonID) == s.persons[name] {
					out = append(out, a)
				}
			}
			return out
		}
		// 甲 was served after the listing; the reply deadline passed 5 days ago: restricted from
		// the day after it, not from the listing date.
		for _, a := range byPerson("甲") {
			if a.FromOn != todayMinus(4) || a.Via != "LEGAL_REPRESENTATIVE" {
				t.Errorf("the legal representative at the listing: %+v, want from %s, the day after the reply deadline", a, todayMinus(4))
			}
		}
		for _, a := range stored() {
			if a.EntityID != nil && a.FromOn != s.listedOn {
				t.Errorf("the company's application %+v does not start on the listing date %s", a, s.listedOn)
			}
		}
		if a := byPerson("戊"); len(a) != 0 {
			t.Errorf("a person whose notice is still open has applications %+v", a)
		}
		// 戊 replies; the reply is handled today: from today 戊 is restricted, not from the listing.
		var notice struct {
			NaturalPerson struct{ PriorNotices []struct{ ID string } }
		}
		co.mustData(`query($p: ID!) { naturalPerson: node(id: $p) { ... on NaturalPerson { priorNotices { id } } } }`, map[string]any{"p": s.persons["戊"]}, &notice)
		id := notice.NaturalPerson.PriorNotices[0].ID
		clerk.mustData(`mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, statements: "申辩"}) { id } }`,
			map[string]any{"id": id, "on": today}, nil)
		clerk.mustData(`mutation($id: ID!) { handlePriorNoticeReply(id: $id, outcome: "申辩不成立") { id } }`, map[string]any{"id": id}, nil)
		oracle("a late notice completed")
		if a := byPerson("戊"); len(a) == 0 || a[0].FromOn != today {
			t.Errorf("the person notified today: %+v, want applications from %s", a, today)
		}
		// 己 held a role at the listing and was served a notice whose deadline passed five days
		// ago: restricted from the day after it. Then a reply received in time (by post, the day
		// before the deadline) is recorded: 己 is heard before being restricted, so nothing
		// applies until the reply is handled — today — and from today, not from the deadline.
		var ji struct{ CreateNaturalPerson struct{ ID string } }
		co.mustData(`mutation { createNaturalPerson(input: {name: "己", idNumber: "320104198707070013"}) { id } }`, nil, &ji)
		clerk.mustData(`mutation($e: ID!, $p: ID!, $from: Date!) { createEntityRole(input: {entityID: $e, personID: $p, role: PRINCIPAL, startedOn: $from}) { id } }`,
			map[string]any{"e": s.entity, "p": ji.CreateNaturalPerson.ID, "from": todayMinus(400)}, nil)
		var jn struct{ CreatePriorNotice struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "N-己", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": ji.CreateNaturalPerson.ID, "s": todayMinus(29), "r": todayMinus(5)}, &jn)
		s.persons["己"] = ji.CreateNaturalPerson.ID
		oracle("a notice past its deadline")
		if a := byPerson("己"); len(a) == 0 || a[0].FromOn != todayMinus(4) {
			t.Errorf("the person notified without a reply: %+v, want applications from %s", a, todayMinus(4))
		}
		clerk.mustData(`mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, hearingRequested: true}) { id } }`,
			map[string]any{"id": jn.CreatePriorNotice.ID, "on": todayMinus(6)}, nil)
		oracle("a reply received in time, not handled")
		for _, a := range byPerson("己") {
			if deref(a.LiftedReason) != jointpunishment.LiftedNoLongerApplies {
				t.Errorf("the person who replied, not yet heard: %+v, want it lifted as %s", a, jointpunishment.LiftedNoLongerApplies)
			}
		}
		clerk.mustData(`mutation($id: ID!) { handlePriorNoticeReply(id: $id, outcome: "听证后维持") { id } }`, map[string]any{"id": jn.CreatePriorNotice.ID}, nil)
		oracle("the reply handled")
		for _, a := range byPerson("己") {
			if a.LiftedOn == nil && a.FromOn != today {
				t.Errorf("the person heard today: %+v in force, want it from %s", a, today)
			}
		}
		// 庚 replied in time too, before anything applied: first restricted the day the reply
		// is handled (today), five days after the deadline.
		var geng struct{ CreateNaturalPerson struct{ ID string } }
		co.mustData(`mutation { createNaturalPerson(input: {name: "庚", idNumber: "320104198808080018"}) { id } }`, nil, &geng)
		var gn struct{ CreatePriorNotice struct{ ID string } }
		clerk.mustData(`mutation($d: ID!, $p: ID!, $s: Date!, $r: Date!) { createPriorNotice(input: {departmentID: $d, personID: $p,
			noticeNo: "N-庚", listType: "MS_SERIOUS_ILLEGAL_DISHONEST", facts: "f", servedOn: $s, serviceMethod: POST, replyDeadline: $r}) { id } }`,
			map[string]any{"d": env.departmentID("market-320500"), "p": geng.CreateNaturalPerson.ID, "s": todayMinus(29), "r": todayMinus(5)}, &gn)
		clerk.mustData(`mutation($id: ID!, $on: Date!) { replyToPriorNotice(id: $id, input: {receivedOn: $on, statements: "申辩"}) { id } }`,
			map[string]any{"id": gn.CreatePriorNotice.ID, "on": todayMinus(6)}, nil)
		clerk.mustData(`mutation($e: ID!, $p: ID!, $from: Date!) { createEntityRole(input: {entityID: $e, personID: $p, role: PRINCIPAL, startedOn: $from}) { id } }`,
			map[string]any{"e": s.entity, "p": geng.CreateNaturalPerson.ID, "from": todayMinus(400)}, nil)
		s.persons["庚"] = geng.CreateNaturalPerson.ID
		oracle("a reply received in time before the role was recorded")
		if a := byPerson("庚"); len(a) != 0 {
			t.Errorf("a person whose reply is not handled has applications %+v", a)
		}
		clerk.mustData(`mutation($id: ID!) { handlePriorNoticeReply(id: $id, outcome: "申辩不成立") { id } }`, map[string]any{"id": gn.CreatePriorNotice.ID}, nil)
		oracle("that reply handled")
		if a := byPerson("庚"); len(a) == 0 || a[0].FromOn != today {
			t.Errorf("the person heard today: %+v, want applications from %s", a, today)
		}
		// The listing is removed today: every application is lifted, dated, with the reason.
		clerk.mustData(`mutation($id: ID!, $on: Date!) { updateListEntry(id: $id, input: {removedOn: $on, removalReason: DECISION_REVOKED}) { id } }`,
			map[string]any{"id": s.listing, "on": today}, nil)
		oracle("removed")
		apps := stored()
		if len(apps) == 0 {
			t.Fatal("no applications stored")
		}
		for _, a := range apps {
			if deref(a.LiftedReason) == jointpunishment.LiftedNoLongerApplies && deref(a.PersonID) == s.persons["己"] {
				continue // lifted when 己's reply was recorded
			}
			if deref(a.LiftedOn) != today || deref(a.LiftedReason) != "DECISION_REVOKED" {
				t.Errorf("after removal: %+v, want lifted on %s for DECISION_REVOKED", a, today)
			}
		}
		// The history stays: who was restricted on the listing date can still be answered.
		var past struct{ MeasureApplications struct{ TotalCount int } }
		co.mustData(`query($l: ID!, $d: Date!) { measureApplications(where: {listEntryID: $l, fromOnLTE: $d, liftedOnGT: $d}) { totalCount } }`,
			map[string]any{"l": s.listing, "d": s.listedOn}, &past)
		if past.MeasureApplications.TotalCount == 0 || past.MeasureApplications.TotalCount >= len(apps) {
			t.Errorf("%d applications were in force on the listing date, want some but not the late notice's (%d in all)", past.MeasureApplications.TotalCount, len(apps))
		}
		// An application says no more than its listing: the public sees none; once the market
		// listing is removed (out of publicity), another sector's clerk sees none of its
		// applications, the market clerk and the credit office all of them.
		for who, want := range map[string]int{"": 0, "demo-labour-clerk": 0, "demo-market-clerk": len(apps), "demo-credit-office": len(apps)} {
			var n struct{ MeasureApplications struct{ TotalCount int } }
			env.as(who).mustData(`{ measureApplications { totalCount } }`, nil, &n)
			if n.MeasureApplications.TotalCount != want {
				t.Errorf("%q sees %d measure applications of the removed listing, want %d", who, n.MeasureApplications.TotalCount, want)
			}
		}
	})
}

// A person's restrictions are asked by the person's ID: a department asking about an ID of no
// person is told it is not found, while the public, which is shown no person, gets the answer
// of a person without restrictions, so that it cannot tell which IDs are persons. A person with
// neither a role nor a listing is answered, empty, for both; one with a role is answered.
func TestPersonRestrictionsOfAnIDOfNoPerson(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		var p struct{ CreateNaturalPerson struct{ ID string } }
		env.as("demo-credit-office").mustData(`mutation { createNaturalPerson(input: {idNumber: "32050219800101123X", name: "张三丰"}) { id } }`, nil, &p)
		var withRole, last int
		if err := env.db.SQL.QueryRow(`SELECT MIN(person_id) FROM entity_roles`).Scan(&withRole); err != nil {
			t.Fatal(err)
		}
		if err := env.db.SQL.QueryRow(`SELECT MAX(id) FROM natural_persons`).Scan(&last); err != nil {
			t.Fatal(err)
		}
		const q = `query($p: ID!) { restrictions(personId: $p, purpose: BIDDING) { via } }`
		clerk, public := env.as("demo-labour-clerk"), env.as("")
		for who, as := range map[string]*testEnv{"a clerk": clerk, "the public": public} {
			for what, id := range map[string]string{"a person without roles": p.CreateNaturalPerson.ID, "a legal representative": fmt.Sprint(withRole)} {
				var out restrictionsOut
				as.mustData(q, map[string]any{"p": id}, &out)
				if len(out.Restrictions) != 0 {
					t.Errorf("%s asking about %s: %+v, want none", who, what, out.Restrictions)
				}
			}
		}
		nobody := map[string]any{"p": fmt.Sprint(last + 1)}
		clerk.wantError(q, nobody, "NOT_FOUND", "")
		var out restrictionsOut
		public.mustData(q, nobody, &out)
		if len(out.Restrictions) != 0 {
			t.Errorf("the public asking about no person: %+v, want none", out.Restrictions)
		}
	})
}

// A list whose rule says so (orderFirst: the wage-arrears list, where the department first
// orders payment by a deadline and lists once it has passed, 人社部令第45号 art. 5) is entered
// only after that order's deadline. For every list type of the stored list rules (read from
// the rule table, not named here), a listing dated a year ago is made without an order's
// deadline, with one on its date, and with one the day before; then the last is corrected onto
// its deadline, and its deadline taken away. Each answer follows the rule's flag; a refusal is
// BAD_USER_INPUT naming the field, and a refused write leaves the listing as it was.
func TestListingsFollowTheOrderTheirListRequires(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 40)
		co := env.as("demo-credit-office")
		dep := sqlStrings(t, env, `SELECT CAST(id AS CHAR) FROM departments WHERE sector = 'CREDIT_OFFICE' ORDER BY id LIMIT 1`)[0]
		entities := sqlIDs(t, env, `SELECT id FROM market_entities ORDER BY id`)
		rows, err := env.db.SQL.Query(`SELECT DISTINCT list_type, COALESCE(order_first, FALSE) FROM publicity_rules WHERE list_type IS NOT NULL AND list_type <> ''`)
		if err != nil {
			t.Fatal(err)
		}
		orderFirst := map[string]bool{}
		for rows.Next() {
			var lt string
			var first bool
			if err := rows.Scan(&lt, &first); err != nil {
				t.Fatal(err)
			}
			orderFirst[lt] = orderFirst[lt] || first
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if !orderFirst["HR_WAGE_ARREARS"] || len(orderFirst) < 5 {
			t.Fatalf("list rules %v: the wage-arrears list must require an order first", orderFirst)
		}
		listed := todayMinus(365)
		dayBefore := todayMinus(366)
		const create = `mutation($in: CreateListEntryInput!) { createListEntry(input: $in) { id } }`
		const update = `mutation($id: ID!, $in: UpdateListEntryInput!) { updateListEntry(id: $id, input: $in) { id } }`
		n, k := 0, 0
		for lt, first := range orderFirst {
			sev := "GENERAL"
			if lt == "HR_WAGE_ARREARS" || lt == "MS_SERIOUS_ILLEGAL_DISHONEST" {
				sev = "SERIOUS"
			}
			var kept string
			for _, c := range []struct {
				name     string
				deadline any
				field    string // the field a refusal names; "" when the listing is made
			}{
				{"no order", nil, "orderDeadline"},
				{"the order's deadline on the listing day", listed, "listedOn"},
				{"the order's deadline the day before", dayBefore, ""},
			} {
				if !first {
					c.field = ""
				}
				n++
				in := map[string]any{"departmentID": dep, "entityID": entities[k%len(entities)], "sourceSystem": "of", "sourceRecordID": fmt.Sprintf("OF-%d", n),
					"severity": sev, "listType": lt, "listedOn": listed, "reason": "r", "basis": "b", "decisionNo": fmt.Sprintf("OF-%d", n)}
				k++
				if c.deadline != nil {
					in["orderDeadline"] = c.deadline
				}
				before := env.count("list_entries", "")
				if c.field != "" {
					co.wantError(create, map[string]any{"in": in}, "BAD_USER_INPUT", c.field)
					if after := env.count("list_entries", ""); after != before {
						t.Errorf("%s, %s: refused, yet %d list entries were written", lt, c.name, after-before)
					}
					continue
				}
				var out struct{ CreateListEntry struct{ ID string } }
				co.mustData(create, map[string]any{"in": in}, &out)
				kept = out.CreateListEntry.ID
			}
			// Corrections of the last listing: onto its deadline, then without one.
			for _, c := range []struct {
				name  string
				in    map[string]any
				field string
			}{
				{"moved onto the deadline", map[string]any{"listedOn": dayBefore}, "listedOn"},
				{"the deadline taken away", map[string]any{"clearOrderDeadline": true}, "orderDeadline"},
				{"the deadline moved onto the listing day", map[string]any{"orderDeadline": listed}, "listedOn"},
			} {
				if !first {
					co.mustData(update, map[string]any{"id": kept, "in": c.in}, nil)
					continue
				}
				co.wantError(update, map[string]any{"id": kept, "in": c.in}, "BAD_USER_INPUT", c.field)
				on := sqlStrings(t, env, `SELECT SUBSTR(listed_on, 1, 10) FROM list_entries WHERE id = ?`, atoi(t, kept))
				deadline := sqlStrings(t, env, `SELECT COALESCE(SUBSTR(order_deadline, 1, 10), '') FROM list_entries WHERE id = ?`, atoi(t, kept))
				if len(on) != 1 || on[0] != listed || len(deadline) != 1 || deadline[0] != dayBefore {
					t.Errorf("%s, %s: refused, yet the listing reads listed %v, order deadline %v", lt, c.name, on, deadline)
				}
			}
		}
	})
}
