package graph_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// upload posts a GraphQL multipart request (the file as variable f) with the env's token.
func (e *testEnv) upload(query string, vars map[string]any, name string, file []byte) gqlResponse {
	e.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	vars["f"] = nil
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	_ = w.WriteField("operations", string(ops))
	_ = w.WriteField("map", `{"0": ["variables.f"]}`)
	part, _ := w.CreateFormFile("0", name)
	_, _ = part.Write(file)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.secrets[e.token])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		e.t.Fatalf("decoding %s: %v", raw, err)
	}
	r.Status = res.StatusCode
	return r
}

// A department uploads its export through GraphQL: good rows imported, bad ones reported with
// row and column (and as an XLSX), nothing new on a second upload; another sector may not.
func TestImportRecordsUpload(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		var uscc, name string
		if err := env.db.SQL.QueryRow("SELECT uscc, name FROM market_entities ORDER BY id LIMIT 1").Scan(&uscc, &name); err != nil {
			t.Fatal(err)
		}
		const authority = "11320000014000003C"
		csvFile := "行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码\n" +
			fmt.Sprintf("%s,法人及非法人组织,%s,苏市监罚〔2026〕U1号,虚假宣传,发布虚假广告,《广告法》第五十五条,警告;罚款,警告，罚款2万元,2,2026-03-01,江苏省市场监督管理局,%s,江苏省市场监督管理局,%s\n", name, uscc, authority, authority) +
			fmt.Sprintf("%s,法人及非法人组织,%s,苏市监罚〔2026〕U2号,虚假宣传,发布虚假广告,《广告法》第五十五条,罚金,罚款2万元,2,2026-03-01,江苏省市场监督管理局,%s,江苏省市场监督管理局,%s\n", name, uscc, authority, authority)
		const q = `mutation($f: Upload!) { importRecords(department: "market-320000", file: $f, severity: GENERAL) {
			rows imported existing rejected committed problems { row column problem } reportXLSX } }`
		type report struct {
			ImportRecords struct {
				Rows, Imported, Existing, Rejected int
				Committed                          bool
				Problems                           []struct {
					Row             int
					Column, Problem string
				}
				ReportXLSX string
			}
		}
		decode := func(r gqlResponse) report {
			t.Helper()
			if len(r.Errors) > 0 {
				t.Fatalf("upload failed: %+v", r.Errors)
			}
			var out report
			if err := json.Unmarshal(r.Data, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		got := decode(env.as("demo-market-clerk").upload(q, map[string]any{}, "penalties.csv", []byte(csvFile))).ImportRecords
		if got.Rows != 2 || got.Imported != 1 || got.Rejected != 1 || !got.Committed || len(got.Problems) != 1 ||
			got.Problems[0].Row != 3 || !strings.Contains(got.Problems[0].Column, "CF_CFLB") {
			t.Errorf("first upload: %+v", got)
		}
		raw, _ := base64.StdEncoding.DecodeString(got.ReportXLSX)
		wb, err := excelize.OpenReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if rows, _ := wb.GetRows("问题"); len(rows) != 2 || rows[1][0] != "3" {
			t.Errorf("report workbook rows %v", rows)
		}
		again := decode(env.as("demo-market-clerk").upload(q, map[string]any{}, "penalties.csv", []byte(csvFile))).ImportRecords
		if again.Imported != 0 || again.Existing != 1 {
			t.Errorf("second upload: %+v", again)
		}
		if n := env.count("administrative_penalties", "source_system = 'exchange:market-320000'"); n != 1 {
			t.Errorf("%d rows stored, want 1", n)
		}
		// An unknown department is refused naming the field, and nothing is written.
		r0 := env.as("demo-market-clerk").upload(strings.Replace(q, `"market-320000"`, `"market-999999"`, 1), map[string]any{}, "penalties.csv", []byte(csvFile))
		if len(r0.Errors) != 1 || r0.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r0.Errors[0].Extensions["field"] != "department" {
			t.Errorf("unknown department: %+v", r0.Errors)
		}
		// Another sector's token may not import the market department's file.
		r := env.as("demo-environment-clerk").upload(q, map[string]any{}, "penalties.csv", []byte(csvFile))
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
			t.Errorf("environment clerk: %+v", r.Errors)
		}
	})
}
