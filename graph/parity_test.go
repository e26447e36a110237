package graph_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/creditgraph/creditgraph/authz"
	gen "github.com/creditgraph/creditgraph/ent"
	"github.com/creditgraph/creditgraph/ent/entityrole"
	"github.com/creditgraph/creditgraph/ent/migrate"
	"github.com/creditgraph/creditgraph/graph"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/sectors/ident"
	"github.com/creditgraph/creditgraph/sectors/jointpunishment"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// Whatever an update makes, a create could have made: the row an accepted update leaves is a
// row a create of its values accepts, and what the write engine derives for it (publicity,
// windows, sector, exemption …) is what the create derives. The cases are generated: for each
// record type whose update the API serves, every field of its update input the schema serves,
// set to each value of a pool (the enum's values from the schema, the dates around the row's
// own dates and today, the other fixtures' values, empty and cleared), one at a time. The
// oracle is a create of the updated row's values in place of the row (the row deleted first,
// in the same transaction, which is rolled back). A field in which a create of the row as made
// differs already (its history: a status a workflow set) is not compared.
func TestUpdatedRowsAreRowsACreateMakes(t *testing.T) {
	schema := graph.NewSchema(graph.Deps{}).Schema()
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 3)
		ctx := authz.AsSystem(context.Background())
		rows := parityFixtures(t, env)
		// Derived afresh once, so that what a case finds stale is the update's doing (the
		// entities made for the fixtures wait for the evaluation job).
		tx, err := env.db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		diffs, err := parityAfresh(gen.NewTxContext(ctx, tx), tx.Client())
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		t.Logf("derived afresh before the cases: %d facts changed", len(diffs))
		if env.count("measure_applications", "person_id IS NOT NULL AND lifted_on IS NULL") == 0 {
			t.Fatal("no listing reaches a person: the measures' check lost its reach")
		}
		pools := parityPools(t, env)
		for _, typ := range slices.Sorted(maps.Keys(rows)) {
			t.Run(typ, func(t *testing.T) {
				ids := rows[typ]
				var stored []reflect.Value
				for _, id := range ids {
					stored = append(stored, parityGet(t, ctx, env.db.Client, typ, id))
				}
				upd := schema.Types["Update"+typ+"Input"]
				if upd == nil {
					t.Fatalf("the schema serves no Update%sInput", typ)
				}
				accepted, refused, checked := 0, 0, 0
				for i, id := range ids {
					history, err := parityBaseline(ctx, env.db.Client, typ, id)
					if err != nil {
						t.Errorf("%s %d as made: %v", typ, id, err)
						continue
					}
					if len(history) > 0 {
						t.Logf("%s %d: not compared, as a create does not repeat them: %v", typ, id, slices.Sorted(maps.Keys(history)))
					}
					checked++
					ones := parityPatches(t, schema, upd, typ, stored, i, pools)
					for _, p := range append(ones, parityPairs(ones, 40, int64(id))...) {
						ok, problem := parityCase(ctx, env.db.Client, typ, id, p, history)
						if problem != "" {
							t.Errorf("%s %d, update %s: %s", typ, id, p.name, problem)
						}
						if ok {
							accepted++
						} else {
							refused++
						}
					}
				}
				t.Logf("%d rows, %d updates accepted and checked, %d refused", checked, accepted, refused)
				if checked == 0 || accepted < 5 {
					t.Errorf("%d rows checked, %d updates accepted: the test lost its reach for %s", checked, accepted, typ)
				}
			})
		}
	})
}

// parityFixtures makes a few rows of each record type whose update the API serves, unlike one
// another where the rules branch (legal or natural person, entity or person listed …).
func parityFixtures(t *testing.T, env *testEnv) map[string][]int {
	t.Helper()
	ents := env.entities(3)
	person := env.registerPerson("对照某人", "32050219850505123")
	other := env.registerPerson("对照他人", "32050219900101123")
	day0 := todayMinus(60)
	rows := map[string][]int{}
	n := 0
	mk := func(token, typ string, in map[string]any) {
		t.Helper()
		n++
		for k, v := range in {
			if s, ok := v.(string); ok && strings.Contains(s, "#") {
				in[k] = strings.ReplaceAll(s, "#", fmt.Sprint(n))
			}
		}
		var out map[string]struct{ ID string }
		env.as(token).mustData(`mutation($in: Create`+typ+`Input!) { r: create`+typ+`(input: $in) { id } }`, map[string]any{"in": in}, &out)
		rows[typ] = append(rows[typ], atoi(t, out["r"].ID))
	}
	record := func(dep string, entity string, more map[string]any) map[string]any {
		in := map[string]any{"departmentID": env.departmentID(dep), "entityID": entity, "sourceSystem": "parity", "sourceRecordID": "PAR-#"}
		for k, v := range more {
			in[k] = v
		}
		return in
	}
	const clerk = "demo-market-clerk"
	for i, more := range []map[string]any{
		nil,
		{"penaltyCategories": []string{"WARNING"}, "fineAmount": nil, "penaltyContent": "警告",
			"counterpartyCategory": "NATURAL_PERSON", "counterpartyUscc": nil, "counterpartyName": "张某", "entityID": nil, "personID": person},
		{"counterpartyCategory": "INDIVIDUAL_BUSINESS", "registrationNo": "320500600123456",
			"counterpartyName": "某个体户", "severity": "SERIOUS", "decisionDate": todayMinus(800)},
		{"epidemicRelated": true, "sme": true, "decisionDate": "2020-03-02"},
	} {
		in := penaltyInput(env, "market-320500", fmt.Sprintf("PAR-P%d", i))["in"].(map[string]any)
		for k, v := range more {
			if v == nil {
				delete(in, k)
			} else {
				in[k] = v
			}
		}
		if i == 2 { // the placeholder names the individual business by its registration number
			in["counterpartyUscc"] = ident.PlaceholderUSCC
			if _, err := env.db.SQL.Exec(`UPDATE market_entities SET registration_no = '320500600123456' WHERE id = ?`, atoi(t, in["entityID"].(string))); err != nil {
				t.Fatal(err)
			}
		}
		mk(clerk, "AdministrativePenalty", in)
	}
	mk(clerk, "PriorNotice", map[string]any{"departmentID": env.departmentID("market-320500"), "personID": person, "noticeNo": "PAR-N#",
		"listType": "MS_SERIOUS_ILLEGAL_DISHONEST", "facts": "事实", "servedOn": todayMinus(40), "serviceMethod": "POST", "replyDeadline": todayMinus(20)})
	mk(clerk, "PriorNotice", map[string]any{"departmentID": env.departmentID("market-320500"), "personID": other, "noticeNo": "PAR-N#",
		"listType": "MS_ABNORMAL_OPERATION", "facts": "事实", "servedOn": todayMinus(10), "serviceMethod": "IN_PERSON", "replyDeadline": todayMinus(-10)})
	mk(clerk, "ListEntry", record("market-320000", ents[0].ID, map[string]any{"severity": "GENERAL", "listType": "MS_ABNORMAL_OPERATION",
		"listedOn": day0, "reason": "无法联系", "basis": "办法第四条", "decisionNo": "列#"}))
	mk(clerk, "ListEntry", record("market-320000", ents[1].ID, map[string]any{"severity": "SERIOUS", "listType": "MS_SERIOUS_ILLEGAL_DISHONEST",
		"listedOn": todayMinus(400), "reason": "严重违法", "basis": "办法第十条", "decisionNo": "列#"}))
	person0 := record("market-320500", "", map[string]any{"severity": "SERIOUS", "listType": "MS_SERIOUS_ILLEGAL_DISHONEST",
		"listedOn": todayMinus(5), "reason": "严重违法", "basis": "办法第十条", "decisionNo": "列#", "personID": person})
	delete(person0, "entityID")
	mk(clerk, "ListEntry", person0)
	mk("demo-labour-clerk", "ListEntry", record("labour-320200", ents[2].ID, map[string]any{"severity": "SERIOUS", "listType": "HR_WAGE_ARREARS",
		"orderDeadline": todayMinus(320), "listedOn": todayMinus(300), "obligationsMetOn": todayMinus(100), "reason": "拖欠工资", "basis": "人社部令第45号", "decisionNo": "列#"}))
	mk(clerk, "RedListEntry", record("market-320000", ents[0].ID, map[string]any{"listType": "SAMR_CONTRACT_HONOUR", "source": "省市场监管局",
		"decisionNo": "荣#", "recognisedOn": day0, "validUntil": todayMinus(-300), "basis": "办法"}))
	mk(clerk, "RedListEntry", record("market-320000", ents[1].ID, map[string]any{"listType": "SAMR_CONTRACT_HONOUR", "source": "省市场监管局",
		"decisionNo": "荣#", "recognisedOn": todayMinus(700), "basis": "办法"}))
	mk(clerk, "SectorRating", record("market-320000", ents[0].ID, map[string]any{"scheme": "MARKET_RISK_CLASS", "grade": "B", "period": "2025-12", "validFrom": day0}))
	mk(clerk, "SectorRating", record("market-320000", ents[1].ID, map[string]any{"scheme": "MARKET_RISK_CLASS", "grade": "D", "period": "2024-12",
		"validFrom": todayMinus(500), "validUntil": todayMinus(100)}))
	mk("demo-environment-clerk", "SectorRating", record("environment-320500", ents[2].ID, map[string]any{"scheme": "ENV_CREDIT_JS", "grade": "BLACK",
		"period": "2025", "validFrom": todayMinus(200)}))
	mk("demo-transport-clerk", "SectorRating", record("transport-320000", ents[1].ID, map[string]any{"scheme": "TRANSPORT_OPERATOR_JS", "grade": "C",
		"score": 45, "points": 25, "period": "2025", "validFrom": todayMinus(150)}))
	for i, valid := range []any{"2030-01-01", nil} {
		in := record("market-320000", ents[i].ID, map[string]any{"decisionDocName": "准予许可决定书", "decisionNo": "许#", "licenseCategory": "ORDINARY",
			"content": "食品销售", "decisionDate": day0, "validFrom": day0, "authorityName": "省局", "authorityUscc": "11320000014000003W"})
		if valid != nil {
			in["validTo"] = valid
		}
		mk(clerk, "AdministrativeLicense", in)
	}
	mk(clerk, "SpotCheck", record("market-320000", ents[0].ID, map[string]any{"taskID": "SSLM-#", "checkItems": "经营场所", "inspectedOn": day0, "result": "NO_PROBLEM"}))
	mk(clerk, "SpotCheck", record("market-320000", ents[1].ID, map[string]any{"taskID": "SSLM-#", "checkItems": "台账", "inspectedOn": todayMinus(3),
		"result": "PROBLEM_FOUND", "severity": "GENERAL"}))
	mk(clerk, "CreditCommitment", record("market-320000", ents[0].ID, map[string]any{"kind": "APPLICATION_NOTIFY_COMMIT", "text": "承诺",
		"signedOn": day0, "relatedMatter": "许可"}))
	mk(clerk, "CreditCommitment", record("market-320000", ents[1].ID, map[string]any{"kind": "APPLICATION_NOTIFY_COMMIT", "text": "承诺",
		"signedOn": todayMinus(900), "relatedMatter": "资质", "fulfilment": "FULFILLED"}))
	mk(clerk, "EntityRole", map[string]any{"entityID": ents[0].ID, "personID": other, "role": "PRINCIPAL", "startedOn": day0})
	// The seriously listed entity's representative, notified for the list: the listing reaches
	// the person, and a change of the role must follow to the measures.
	mk(clerk, "EntityRole", map[string]any{"entityID": ents[1].ID, "personID": person, "role": "LEGAL_REPRESENTATIVE", "startedOn": todayMinus(30)})
	// The registry: rows nothing else points at, so that they can be made again in their place.
	const office = "demo-credit-office"
	// A listing the credit office records in its own department: of its list's sector (market).
	mk(office, "ListEntry", record("credit_office-320000", ents[2].ID, map[string]any{"severity": "SERIOUS", "listType": "MS_SERIOUS_ILLEGAL_DISHONEST",
		"listedOn": todayMinus(50), "reason": "联合惩戒", "basis": "办法第十条", "decisionNo": "列#"}))
	mk(office, "MarketEntity", map[string]any{"uscc": validUSCC("91320500", "MA1PAR01"), "name": "对照甲有限公司"})
	mk(office, "MarketEntity", map[string]any{"uscc": validUSCC("92320583", "MA1PAR02"), "name": "对照乙个体户", "registrationNo": "320583600000001",
		"establishedOn": todayMinus(900), "registeredCapital": "50", "industryCode": "F5211", "registeredAddress": "昆山市", "status": "OPERATING"})
	// Natural persons are left out: their ID numbers are stored sealed, and a row read back
	// cannot be made again from its values.
	// Three firms for the providers, made again with them in the remakes; the practitioners
	// work for the third, which is not remade (a provider with practitioners cannot be deleted).
	for i := range 3 {
		mk(office, "MarketEntity", map[string]any{"uscc": validUSCC("91320500", fmt.Sprintf("MA1PAR1%d", i)), "name": fmt.Sprintf("对照服务%d有限公司", i)})
	}
	firms := rows["MarketEntity"][2:]
	rows["MarketEntity"] = rows["MarketEntity"][:2]
	mk("demo-environment-clerk", "ServiceProvider", map[string]any{"kind": "EIA_REPORT_COMPILER", "entityID": firms[0], "creditFileNo": "PAR-F1",
		"fileOpenedOn": todayMinus(200)})
	mk("demo-environment-clerk", "ServiceProvider", map[string]any{"kind": "ENV_MONITORING_AGENCY", "entityID": firms[1]})
	mk("demo-environment-clerk", "ServiceProvider", map[string]any{"kind": "OTHER", "entityID": firms[2]})
	providers := rows["ServiceProvider"]
	rows["ServiceProvider"] = providers[:2]
	mk("demo-environment-clerk", "Practitioner", map[string]any{"providerID": providers[2], "personID": person, "qualifications": []string{"环评工程师"},
		"certificateNo": "PAR-C1", "startedOn": todayMinus(300)})
	mk("demo-environment-clerk", "Practitioner", map[string]any{"providerID": providers[2], "personID": other, "startedOn": todayMinus(300), "endedOn": todayMinus(30)})
	mk(office, "Department", map[string]any{"code": "market-320583", "name": "昆山市市场监督管理局", "sector": "MARKET", "divisionCode": "320583", "level": "COUNTY"})
	delete(rows, "PriorNotice") // the person's listing needs them; the API does not update them
	return rows
}

// parityPools are values the fields may take besides the fixtures' own: for the edges a
// department of each sector, the first entities, persons and providers; for dates the days on which a rule
// changes (the effective dates and periods of every rule table, read from the schema), and the
// days before them.
type parityPool struct {
	ids   map[string][]int
	dates []time.Time
}

func parityPools(t *testing.T, env *testEnv) parityPool {
	t.Helper()
	pools := map[string][]int{}
	var dates []time.Time
	for _, table := range migrate.Tables {
		if table.HasColumn("source_record_id") {
			continue // a record's dates are the record's, not a rule's
		}
		for _, col := range []string{"effective_from", "effective_to", "starts_on", "ends_on"} {
			if !table.HasColumn(col) {
				continue
			}
			r, err := env.db.SQL.Query("SELECT DISTINCT " + col + " FROM " + table.Name + " WHERE " + col + " IS NOT NULL")
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var d storedDate
				if err := r.Scan(&d); err != nil {
					t.Fatal(err)
				}
				dates = append(dates, d.t, d.t.AddDate(0, 0, -1))
			}
			r.Close()
		}
	}
	if len(dates) < 10 {
		t.Fatalf("%d rule dates: the test lost its reach", len(dates))
	}
	// market-320100 is the unit of the Nanjing tokens: a record of another bureau moved into it.
	for _, code := range []string{"market-320000", "market-320500", "market-320100", "environment-320500", "labour-320000", "transport-320000"} {
		pools["DepartmentID"] = append(pools["DepartmentID"], env.departmentID(code))
	}
	for _, q := range []struct{ field, sql string }{
		{"EntityID", "SELECT id FROM market_entities ORDER BY id LIMIT 3"},
		{"ProviderID", "SELECT id FROM service_providers ORDER BY id LIMIT 3"},
		{"PersonID", "SELECT id FROM natural_persons ORDER BY id LIMIT 3"},
	} {
		r, err := env.db.SQL.Query(q.sql)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var id int
			if err := r.Scan(&id); err != nil {
				t.Fatal(err)
			}
			pools[q.field] = append(pools[q.field], id)
		}
		r.Close()
	}
	return parityPool{pools, dates}
}

// storedDate scans a DATE column on either engine (a time from MariaDB, text from SQLite).
type storedDate struct{ t time.Time }

func (d *storedDate) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		d.t = time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC)
		return nil
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	}
	return fmt.Errorf("a date of type %T", src)
}

func (d *storedDate) parse(s string) error {
	t, err := time.Parse(time.DateOnly, s[:min(10, len(s))])
	d.t = t
	return err
}

// parityPatch is one update: an Update…Input value and how the test names it.
type parityPatch struct {
	name string
	in   reflect.Value
}

// parityPairs are n updates of two fields at once, each pair of one-field updates of different
// fields drawn at random (seeded, so a run repeats): a rule that only two fields changed
// together break — a period moved at both ends, a grade with its scheme — is met too.
func parityPairs(ones []parityPatch, n int, seed int64) []parityPatch {
	field := func(p parityPatch) string {
		f, _, _ := strings.Cut(p.name, "=")
		return strings.TrimPrefix(f, "Clear")
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	var out []parityPatch
	for tries := 0; len(out) < n && tries < 20*n && len(ones) > 1; tries++ {
		a, b := ones[rng.IntN(len(ones))], ones[rng.IntN(len(ones))]
		fb, _, _ := strings.Cut(b.name, "=")
		if field(a) == field(b) {
			continue
		}
		in := reflect.New(a.in.Type()).Elem()
		in.Set(a.in)
		in.FieldByName(fb).Set(b.in.FieldByName(fb))
		out = append(out, parityPatch{a.name + ", " + b.name, in})
	}
	return out
}

// parityPatches are the one-field updates of stored[i]: every field of its update input that
// the schema serves, set to each value of its pool, or cleared.
func parityPatches(t *testing.T, schema *ast.Schema, upd *ast.Definition, typ string, stored []reflect.Value, i int, pools parityPool) []parityPatch {
	t.Helper()
	row := stored[i].Elem()
	inType := reflect.TypeOf(parityUpdater(gen.NewClient(), typ, 0).MethodByName("SetInput").Interface()).In(0)
	var out []parityPatch
	add := func(field string, v reflect.Value, show any) {
		in := reflect.New(inType).Elem()
		in.FieldByName(field).Set(v)
		out = append(out, parityPatch{fmt.Sprintf("%s=%v", field, show), in})
	}
	for f := range inType.Fields() {
		arg := upd.Fields.ForName(strings.ToLower(f.Name[:1]) + f.Name[1:])
		if arg == nil {
			continue // not served (append…)
		}
		if target, ok := strings.CutPrefix(f.Name, "Clear"); ok && f.Type.Kind() == reflect.Bool {
			if v := row.FieldByName(target); v.IsValid() && !v.IsZero() {
				add(f.Name, reflect.ValueOf(true), true)
			}
			continue
		}
		if (strings.HasPrefix(f.Name, "Add") || strings.HasPrefix(f.Name, "Remove")) && strings.HasSuffix(f.Name, "IDs") {
			t.Fatalf("%s.%s: the test sets no to-many edge yet", inType.Name(), f.Name)
		}
		elem := f.Type
		if elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		current := parityShow(row.FieldByName(f.Name))
		for _, v := range parityValues(schema, arg.Type, f.Name, elem, stored, i, pools) {
			if parityShow(v) == current {
				continue
			}
			if f.Type.Kind() == reflect.Pointer {
				p := reflect.New(elem)
				p.Elem().Set(v)
				add(f.Name, p, parityShow(v))
			} else {
				add(f.Name, v, parityShow(v))
			}
		}
	}
	return out
}

// parityValues is the pool of values of a field of type elem (its GraphQL type gt).
func parityValues(schema *ast.Schema, gt *ast.Type, field string, elem reflect.Type, stored []reflect.Value, i int, pools parityPool) []reflect.Value {
	var vals []reflect.Value
	seen := map[string]bool{}
	put := func(v reflect.Value) {
		if s := parityShow(v); !seen[s] {
			seen[s] = true
			vals = append(vals, v)
		}
	}
	// The other rows' values of the field.
	for _, r := range stored {
		v := r.Elem().FieldByName(field)
		if !v.IsValid() {
			continue
		}
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				continue
			}
			v = v.Elem()
		}
		if v.Type().ConvertibleTo(elem) && !(strings.HasSuffix(field, "ID") && v.IsZero()) {
			put(v.Convert(elem))
		}
	}
	switch {
	case elem == reflect.TypeOf(time.Time{}):
		// The days around each of the row's own dates, and today and tomorrow.
		today := vocab.SystemClock.Today()
		put(reflect.ValueOf(today))
		put(reflect.ValueOf(today.AddDate(0, 0, 1)))
		for _, d := range pools.dates {
			put(reflect.ValueOf(d))
		}
		row := stored[i].Elem()
		for f := range row.Type().Fields() {
			if !f.IsExported() {
				continue
			}
			v := row.FieldByName(f.Name)
			if v.Kind() == reflect.Pointer && !v.IsNil() {
				v = v.Elem()
			}
			if d, ok := v.Interface().(time.Time); ok && f.Name != "CreatedAt" && f.Name != "UpdatedAt" {
				d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
				for _, k := range []int{-1, 0, 1} {
					put(reflect.ValueOf(d.AddDate(0, 0, k)))
				}
			}
		}
	case elem.Kind() == reflect.Slice:
		// Each enum value alone, the first twice, none.
		if def := schema.Types[gt.Elem.Name()]; def != nil && def.Kind == ast.Enum {
			for _, ev := range def.EnumValues {
				s := reflect.MakeSlice(elem, 1, 1)
				s.Index(0).Set(reflect.ValueOf(ev.Name).Convert(elem.Elem()))
				put(s)
			}
			twice := reflect.MakeSlice(elem, 2, 2)
			twice.Index(0).Set(reflect.ValueOf(def.EnumValues[0].Name).Convert(elem.Elem()))
			twice.Index(1).Set(twice.Index(0))
			put(twice)
		}
		put(reflect.MakeSlice(elem, 0, 0))
	case schema.Types[gt.Name()] != nil && schema.Types[gt.Name()].Kind == ast.Enum:
		for _, ev := range schema.Types[gt.Name()].EnumValues {
			put(reflect.ValueOf(ev.Name).Convert(elem))
		}
	case strings.HasSuffix(field, "ID") && elem.Kind() == reflect.Int:
		for _, id := range pools.ids[field] {
			put(reflect.ValueOf(id))
		}
	case elem.Kind() == reflect.String:
		put(reflect.ValueOf("").Convert(elem))
	case elem.Kind() == reflect.Bool:
		put(reflect.ValueOf(true))
		put(reflect.ValueOf(false))
	case elem.Kind() == reflect.Int, elem.Kind() == reflect.Float64:
		put(reflect.ValueOf(0).Convert(elem))
		put(reflect.ValueOf(-1).Convert(elem))
	case elem == reflect.TypeOf(decimal.Decimal{}):
		put(reflect.ValueOf(decimal.Zero))
		put(reflect.ValueOf(decimal.NewFromInt(-1)))
	}
	return vals
}

// parityShow is a field's value as the test compares it: pointers followed, days and instants
// in UTC, amounts as decimals.
func parityShow(v reflect.Value) string {
	if !v.IsValid() {
		return "<none>"
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "<nil>"
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case decimal.Decimal:
		return x.String()
	}
	return fmt.Sprint(v.Interface())
}

// parityCase updates row id of typ with p in a transaction it rolls back, and reports whether
// the update was accepted and, if so, what a create of the row it left says otherwise.
func parityCase(ctx context.Context, c *gen.Client, typ string, id int, p parityPatch, history map[string]bool) (bool, string) {
	tx, err := c.Tx(ctx)
	if err != nil {
		return false, err.Error()
	}
	defer func() { _ = tx.Rollback() }()
	ctx = gen.NewTxContext(ctx, tx)
	tc := tx.Client()
	res := parityUpdater(tc, typ, id).MethodByName("SetInput").Call([]reflect.Value{p.in})[0].MethodByName("Save").Call([]reflect.Value{reflect.ValueOf(ctx)})
	if !res[1].IsNil() {
		return false, ""
	}
	updated, err := parityLoad(ctx, tc, typ, id)
	if err != nil {
		return true, err.Error()
	}
	if d, err := parityAfresh(ctx, tc); err != nil || len(d) > 0 {
		return true, fmt.Sprintf("accepted, but derived afresh the other rows differ (%v): %s", err, strings.Join(d, "; "))
	}
	made, err := parityRemake(ctx, tc, typ, updated)
	if err != nil {
		return true, "accepted, but a create of the row it leaves is refused: " + err.Error()
	}
	var diffs []string
	for _, d := range parityDiff(updated, made) {
		if !history[d] {
			diffs = append(diffs, fmt.Sprintf("%s is %s, a create of the row derives %s", d,
				parityShow(updated.Elem().FieldByName(d)), parityShow(made.Elem().FieldByName(d))))
		}
	}
	if len(diffs) > 0 {
		return true, strings.Join(diffs, "; ")
	}
	return true, ""
}

// parityBaseline remakes the row as stored, and returns the fields in which the remade row
// differs: the row's history, which a create does not repeat.
func parityBaseline(ctx context.Context, c *gen.Client, typ string, id int) (map[string]bool, error) {
	tx, err := c.Tx(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	ctx = gen.NewTxContext(ctx, tx)
	stored, err := parityLoad(ctx, tx.Client(), typ, id)
	if err != nil {
		return nil, err
	}
	made, err := parityRemake(ctx, tx.Client(), typ, stored)
	if err != nil {
		return nil, fmt.Errorf("a create of the row as stored is refused: %w", err)
	}
	history := map[string]bool{}
	for _, d := range parityDiff(stored, made) {
		history[d] = true
	}
	return history, nil
}

// parityRemake deletes the row and creates it again from its values (parityCreate).
func parityRemake(ctx context.Context, c *gen.Client, typ string, row reflect.Value) (reflect.Value, error) {
	id := int(row.Elem().FieldByName("ID").Int())
	tc := reflect.ValueOf(c).Elem().FieldByName(typ)
	res := tc.MethodByName("DeleteOneID").Call([]reflect.Value{reflect.ValueOf(id)})[0].MethodByName("Exec").Call([]reflect.Value{reflect.ValueOf(ctx)})
	if !res[0].IsNil() {
		return reflect.Value{}, fmt.Errorf("deleting the row first: %w", res[0].Interface().(error))
	}
	return parityCreate(ctx, c, typ, row)
}

// parityCreate creates a row of typ from row's values (those of the create input), returning
// the created row as read back.
func parityCreate(ctx context.Context, c *gen.Client, typ string, row reflect.Value) (reflect.Value, error) {
	create := reflect.ValueOf(c).Elem().FieldByName(typ).MethodByName("Create").Call(nil)[0]
	in, err := parityInput(create, typ, row)
	if err != nil {
		return reflect.Value{}, err
	}
	res := create.MethodByName("SetInput").Call([]reflect.Value{in})[0].MethodByName("Save").Call([]reflect.Value{reflect.ValueOf(ctx)})
	if !res[1].IsNil() {
		return reflect.Value{}, res[1].Interface().(error)
	}
	return parityLoad(ctx, c, typ, int(res[0].Elem().FieldByName("ID").Int()))
}

// parityInput is the create input (of the builder create) of row's values.
func parityInput(create reflect.Value, typ string, row reflect.Value) (reflect.Value, error) {
	in := reflect.New(create.MethodByName("SetInput").Type().In(0)).Elem()
	for f := range in.Type().Fields() {
		v := row.Elem().FieldByName(f.Name)
		if !v.IsValid() {
			return reflect.Value{}, fmt.Errorf("%s has no field %s to create it with", typ, f.Name)
		}
		dst := in.FieldByName(f.Name)
		switch {
		case v.Type() == f.Type:
			dst.Set(v)
		case f.Type.Kind() == reflect.Pointer && v.Type() == f.Type.Elem():
			if strings.HasSuffix(f.Name, "ID") && v.IsZero() {
				continue // no edge
			}
			p := reflect.New(v.Type())
			p.Elem().Set(v)
			dst.Set(p)
		case v.Kind() == reflect.Pointer && v.Type().Elem() == f.Type:
			if !v.IsNil() {
				dst.Set(v.Elem())
			}
		default:
			return reflect.Value{}, fmt.Errorf("%s.%s: a %s cannot set a %s", typ, f.Name, v.Type(), f.Type)
		}
	}
	return in, nil
}

// parityDiff lists the fields (beyond the ID and timestamps) in which two rows of a type differ.
func parityDiff(a, b reflect.Value) []string {
	var out []string
	for f := range a.Elem().Type().Fields() {
		switch {
		case !f.IsExported(), f.Name == "ID", f.Name == "CreatedAt", f.Name == "UpdatedAt", f.Name == "Edges":
			continue
		}
		if parityShow(a.Elem().FieldByName(f.Name)) != parityShow(b.Elem().FieldByName(f.Name)) {
			out = append(out, f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// parityUpdater is the update builder of row id of typ.
func parityUpdater(c *gen.Client, typ string, id int) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByName(typ).MethodByName("UpdateOneID").Call([]reflect.Value{reflect.ValueOf(id)})[0]
}

// parityLoad reads row id of typ.
func parityLoad(ctx context.Context, c *gen.Client, typ string, id int) (reflect.Value, error) {
	res := reflect.ValueOf(c).Elem().FieldByName(typ).MethodByName("Get").Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(id)})
	if !res[1].IsNil() {
		return reflect.Value{}, res[1].Interface().(error)
	}
	return res[0], nil
}

// parityGet is parityLoad outside a transaction, failing the test on an error.
func parityGet(t *testing.T, ctx context.Context, c *gen.Client, typ string, id int) reflect.Value {
	t.Helper()
	v, err := parityLoad(ctx, c, typ, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// parityAfresh derives afresh what the write engine keeps in other rows — each entity's
// evaluation and legal representative, the joint-punishment measure applications — and lists
// what differs from what is stored: a write that left one of them stale.
func parityAfresh(ctx context.Context, c *gen.Client) ([]string, error) {
	stored, err := parityDerived(ctx, c)
	if err != nil {
		return nil, err
	}
	entities, err := c.MarketEntity.Query().IDs(ctx)
	if err != nil {
		return nil, err
	}
	if err := evaluator.Recompute(ctx, c, vocab.SystemClock, entities...); err != nil {
		return nil, err
	}
	listings, err := c.ListEntry.Query().IDs(ctx)
	if err != nil {
		return nil, err
	}
	if err := jointpunishment.Sync(ctx, c, vocab.SystemClock.Today(), listings...); err != nil {
		return nil, err
	}
	derived, err := parityDerived(ctx, c)
	if err != nil {
		return nil, err
	}
	var afresh []string // the stored representatives left out: the oracle's stand instead
	for _, line := range derived {
		if !strings.Contains(line, " legal representative ") {
			afresh = append(afresh, line)
		}
	}
	// The legal representative: the latest appointed of the entity's LEGAL_REPRESENTATIVE roles
	// that have not ended.
	roles, err := c.EntityRole.Query().Where(entityrole.RoleEQ(entityrole.RoleLEGAL_REPRESENTATIVE),
		entityrole.Or(entityrole.EndedOnIsNil(), entityrole.EndedOnGTE(vocab.SystemClock.Today()))).
		Order(gen.Desc(entityrole.FieldStartedOn), gen.Desc(entityrole.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	rep := map[int]int{}
	for _, r := range roles {
		if _, ok := rep[r.EntityID]; !ok {
			rep[r.EntityID] = r.PersonID
		}
	}
	for _, id := range entities {
		afresh = append(afresh, fmt.Sprintf("entity %d legal representative %d", id, rep[id]))
	}
	var diffs []string
	for _, line := range afresh {
		if !slices.Contains(stored, line) {
			diffs = append(diffs, "afresh "+line)
		}
	}
	for _, line := range stored {
		if !slices.Contains(afresh, line) {
			diffs = append(diffs, "stored "+line)
		}
	}
	return diffs, nil
}

// parityDerived is the stored derived state, one line per fact.
func parityDerived(ctx context.Context, c *gen.Client) ([]string, error) {
	var out []string
	for _, q := range []struct{ name, sql string }{
		{"entity %v legal representative %v", "SELECT id, COALESCE(legal_representative_id, 0) FROM market_entities"},
		{"entity %v evaluated %v %v %v due %.10v: %v", "SELECT id, COALESCE(risk_tier, ''), COALESCE(credit_score, 0), COALESCE(credit_grade, ''), " +
			"evaluation_due_on, COALESCE(evaluation, '') FROM market_entities"},
		{"listing %v applies measure %v to entity %v person %v via %v from %.10v to %.10v lifted %.10v %v", "SELECT COALESCE(list_entry_id, 0), " +
			"measure_id, COALESCE(entity_id, 0), COALESCE(person_id, 0), via, from_on, to_on, lifted_on, COALESCE(lifted_reason, '') FROM measure_applications"},
	} {
		rows, err := c.QueryContext(ctx, q.sql)
		if err != nil {
			return nil, err
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			for i, v := range vals {
				switch x := v.(type) {
				case []byte:
					vals[i] = string(x)
				case time.Time:
					vals[i] = x.Format(time.DateOnly)
				case nil:
					vals[i] = "-"
				}
			}
			out = append(out, fmt.Sprintf(q.name, vals...))
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return out, nil
}
