package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/creditgraph/creditgraph/sectors/report"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// reportQuery issues a report and returns every part the oracle compares.
const reportQuery = `mutation IssueReport($u: String!, $e: ReportEdition!, $p: Purpose!) {
	creditReport(uscc: $u, edition: $e, purpose: $p) {
		number verificationCode digest edition issuedTo
		subject { uscc name legalRepresentative riskTier }
		evaluation { score tier components { scheme normalisedScore } }
		records { kind sector decisionNo title }
		listings { decisionNo listType }
		commitments { relatedMatter kind }
		restrictions { measureCode decisionNo }
		repairs { state record }
	} }`

// fileQuery reads an entity's file as a caller may: the oracle of a report's content.
const fileQuery = `query File($u: String!) { marketEntities(first: 1, where: {uscc: $u}) { edges { node {
	penalties(first: 100) { edges { node { decisionNo } } }
	licenses(first: 100) { edges { node { decisionNo } } }
	ratings(first: 100) { edges { node { scheme } } }
	spotChecks(first: 100) { edges { node { taskID } } }
	listEntries(first: 100) { edges { node { decisionNo } } }
	commitments(first: 100) { edges { node { relatedMatter } } }
} } } }`

type issuedReport struct {
	Number, VerificationCode, Digest, Edition, IssuedTo string
	Subject                                             struct{ Uscc, Name, LegalRepresentative string }
	Records                                             []struct{ Kind, Sector, DecisionNo, Title string }
	Listings                                            []struct{ DecisionNo string }
	Commitments                                         []struct{ RelatedMatter string }
}

type edges[T any] struct{ Edges []struct{ Node T } }

func keysOf[T any](e edges[T], key func(T) string) []string {
	out := []string{}
	for _, x := range e.Edges {
		out = append(out, key(x.Node))
	}
	slices.Sort(out)
	return out
}

// reportKeys are what a report holds, in the oracle's terms.
func reportKeys(r issuedReport) map[string][]string {
	out := map[string][]string{"PENALTY": {}, "LICENCE": {}, "RATING": {}, "SPOT_CHECK": {}, "LISTING": {}, "COMMITMENT": {}}
	for _, x := range r.Records {
		k := x.DecisionNo
		if x.Kind == "RATING" {
			k = x.Title
		}
		out[x.Kind] = append(out[x.Kind], k)
	}
	for _, x := range r.Listings {
		out["LISTING"] = append(out["LISTING"], x.DecisionNo)
	}
	for _, x := range r.Commitments {
		out["COMMITMENT"] = append(out["COMMITMENT"], x.RelatedMatter)
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// fileKeys are what the caller reads of the entity's file through the API.
func fileKeys(t *testing.T, env *testEnv, uscc string, schemes map[string]string) map[string][]string {
	t.Helper()
	var f struct {
		MarketEntities edges[struct {
			Penalties, Licenses, ListEntries edges[struct{ DecisionNo string }]
			Ratings                          edges[struct{ Scheme string }]
			SpotChecks                       edges[struct{ TaskID string }]
			Commitments                      edges[struct{ RelatedMatter string }]
		}]
	}
	env.mustData(fileQuery, map[string]any{"u": uscc}, &f)
	if len(f.MarketEntities.Edges) != 1 {
		t.Fatalf("entity %s: %d rows", uscc, len(f.MarketEntities.Edges))
	}
	n := f.MarketEntities.Edges[0].Node
	dec := func(x struct{ DecisionNo string }) string { return x.DecisionNo }
	return map[string][]string{
		"PENALTY": keysOf(n.Penalties, dec), "LICENCE": keysOf(n.Licenses, dec), "LISTING": keysOf(n.ListEntries, dec),
		"RATING":     keysOf(n.Ratings, func(x struct{ Scheme string }) string { return schemes[x.Scheme] }),
		"SPOT_CHECK": keysOf(n.SpotChecks, func(x struct{ TaskID string }) string { return x.TaskID }),
		"COMMITMENT": keysOf(n.Commitments, func(x struct{ RelatedMatter string }) string { return x.RelatedMatter }),
	}
}

// Every edition for every role carries exactly what its reader reads of the entity's file: the
// PUBLIC edition what the public reads (whoever asks), the AUTHORITY edition what the caller
// reads. The oracle is the caller's own queries of the same file.
func TestCreditReportCarriesWhatItsReaderReads(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 60)
		// The entities with the most penalties, listings, commitments and ratings.
		var usccs []string
		for _, table := range []string{"administrative_penalties", "list_entries", "credit_commitments", "sector_ratings"} {
			var u string
			err := env.db.SQL.QueryRow(`SELECT e.uscc FROM market_entities e ORDER BY
				(SELECT COUNT(*) FROM ` + table + ` r WHERE r.entity_id = e.id) DESC, e.id LIMIT 1`).Scan(&u)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(usccs, u) {
				usccs = append(usccs, u)
			}
		}
		// A penalty out of publicity (decided ten years ago) and a listing, so the editions
		// differ and the listings are compared.
		var id struct {
			MarketEntities edges[struct{ ID string }]
		}
		env.mustData(`query($u: String!) { marketEntities(first: 1, where: {uscc: $u}) { edges { node { id } } } }`, map[string]any{"u": usccs[0]}, &id)
		authority := validUSCC("11320000", "01400000")
		env.as("demo-market-clerk").mustData(`mutation($in: CreateAdministrativePenaltyInput!) { createAdministrativePenalty(input: $in) { id } }`,
			map[string]any{"in": map[string]any{
				"departmentID": env.departmentID("market-320000"), "entityID": id.MarketEntities.Edges[0].Node.ID,
				"sourceSystem": "js-samr", "sourceRecordID": "OLD-2016-1", "severity": "GENERAL",
				"counterpartyName": "某公司", "counterpartyCategory": "LEGAL_PERSON", "counterpartyUscc": usccs[0],
				"decisionNo": "苏市监罚〔2016〕1号", "violationType": "虚假宣传", "violationFacts": "发布虚假广告",
				"legalBasis": "《广告法》第五十五条", "penaltyCategories": []string{"FINE"},
				"penaltyContent": "罚款2万元", "fineAmount": 2, "decisionDate": "2016-01-04",
				"authorityName": "江苏省市场监督管理局", "authorityUscc": authority,
				"dataSourceUnit": "江苏省市场监督管理局", "dataSourceUnitUscc": authority,
			}}, nil)
		env.as("demo-credit-office").mustData(`mutation($in: CreateListEntryInput!) { createListEntry(input: $in) { id } }`,
			map[string]any{"in": map[string]any{
				"departmentID": env.departmentID("market-320000"), "entityID": id.MarketEntities.Edges[0].Node.ID,
				"sourceSystem": "js-samr", "sourceRecordID": "LIST-1", "severity": "GENERAL", "listType": "MS_ABNORMAL_OPERATION",
				"listedOn": todayMinus(30), "reason": "通过登记的住所无法联系", "basis": "《企业经营异常名录管理暂行办法》第四条",
				"decisionNo": "苏市监异〔2026〕1号",
			}}, nil)
		schemes := map[string]string{"ENV_CREDIT_JS": "江苏省企业环保信用评价", "LABOUR_INTEGRITY": "企业劳动保障守法诚信等级",
			"TRANSPORT_OPERATOR_JS": "道路运输企业质量信誉考核", "TRANSPORT_CONSTRUCTION": "交通运输建设市场信用评价",
			"MARKET_RISK_CLASS": "企业信用风险分类"}
		callers := []string{"", "demo-market-clerk", "demo-environment-supervisor", "demo-labour-clerk", "demo-auditor-market", "demo-credit-office"}
		nonEmpty := map[string]int{}
		for _, u := range usccs {
			for _, c := range callers {
				for _, edition := range []string{"PUBLIC", "AUTHORITY"} {
					as := env.as(c)
					vars := map[string]any{"u": u, "e": edition, "p": "BIDDING"}
					if c == "" && edition == "AUTHORITY" {
						as.wantError(reportQuery, vars, "FORBIDDEN", "")
						continue
					}
					var out struct{ CreditReport issuedReport }
					as.mustData(reportQuery, vars, &out)
					got := reportKeys(out.CreditReport)
					reader := as
					if edition == "PUBLIC" {
						reader = env.as("")
					}
					want := fileKeys(t, reader, u, schemes)
					for k := range want {
						if !slices.Equal(got[k], want[k]) {
							t.Errorf("%s %s edition as %q: %s = %v, the reader reads %v", u, edition, c, k, got[k], want[k])
						}
						nonEmpty[edition+" "+k] += len(got[k])
						nonEmpty[c+" "+edition+" "+k] += len(got[k])
					}
					if out.CreditReport.IssuedTo != map[bool]string{true: "public", false: c}[c == ""] {
						t.Errorf("issuedTo = %q for %q", out.CreditReport.IssuedTo, c)
					}
				}
			}
		}
		// The comparison means something only if the reports held records, and the editions
		// differ somewhere (a department reads more than the public).
		for _, k := range []string{"AUTHORITY PENALTY", "PUBLIC PENALTY", "AUTHORITY LISTING", "AUTHORITY COMMITMENT", "AUTHORITY RATING"} {
			if nonEmpty[k] == 0 {
				t.Errorf("no %s entries in any report: the oracle compared empty lists", k)
			}
		}
		// The credit office reads every record; the public only those in publicity.
		if a, p := nonEmpty["demo-credit-office AUTHORITY PENALTY"], nonEmpty["demo-credit-office PUBLIC PENALTY"]; a <= p {
			t.Errorf("the credit office's authority editions hold %d penalties, its public ones %d: want more", a, p)
		}
	})
}

// The PUBLIC edition names no natural person; the AUTHORITY edition names the legal
// representative to callers who read persons; no edition carries an identity number. Each
// issue is stored and audited.
func TestCreditReportMasksAndAudit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 20)
		var uscc, repName, masked string
		err := env.db.SQL.QueryRow(`SELECT e.uscc, p.name, p.id_number_masked FROM market_entities e
			JOIN natural_persons p ON p.id = e.legal_representative_id ORDER BY e.id LIMIT 1`).Scan(&uscc, &repName, &masked)
		if err != nil {
			t.Fatal(err)
		}
		issue := func(token, edition string) issuedReport {
			var out struct{ CreditReport issuedReport }
			env.as(token).mustData(reportQuery, map[string]any{"u": uscc, "e": edition, "p": "LICENSING"}, &out)
			return out.CreditReport
		}
		pub := issue("", "PUBLIC")
		if pub.Subject.LegalRepresentative != "" {
			t.Errorf("public edition names the legal representative %q", pub.Subject.LegalRepresentative)
		}
		clerkPublic := issue("demo-market-clerk", "PUBLIC")
		if clerkPublic.Subject.LegalRepresentative != "" {
			t.Errorf("a department's PUBLIC edition names the legal representative %q", clerkPublic.Subject.LegalRepresentative)
		}
		auth := issue("demo-market-clerk", "AUTHORITY")
		if auth.Subject.LegalRepresentative != repName {
			t.Errorf("authority edition names %q, want %q", auth.Subject.LegalRepresentative, repName)
		}
		for _, r := range []issuedReport{pub, clerkPublic, auth} {
			var content string
			if err := env.db.SQL.QueryRow("SELECT content FROM credit_report_issues WHERE number = ?", r.Number).Scan(&content); err != nil {
				t.Fatalf("report %s not stored: %v", r.Number, err)
			}
			if strings.Contains(content, masked[len(masked)-4:]+`"`) || strings.Contains(content, masked) {
				t.Errorf("report %s carries an identity number", r.Number)
			}
			if r.Edition == "PUBLIC" && strings.Contains(content, repName) {
				t.Errorf("public report %s carries the legal representative's name", r.Number)
			}
		}
		// Bad input is refused naming the field, and issues nothing.
		env.as("demo-market-clerk").wantError(reportQuery, map[string]any{"u": "91320000MA1XXXXXX", "e": "AUTHORITY", "p": "LICENSING"}, "BAD_USER_INPUT", "uscc")
		if n := env.count("credit_report_issues", "token_name = 'demo-market-clerk' AND uscc = ?", uscc); n != 2 {
			t.Errorf("%d issues stored for the clerk, want 2", n)
		}
		if n := env.count("audit_logs", "operation = 'IssueReport' AND token_name = 'demo-market-clerk' AND outcome = 'OK'"); n != 2 {
			t.Errorf("%d audit entries for the clerk's reports, want 2", n)
		}
		if n := env.count("audit_logs", "operation = 'IssueReport' AND token_name = 'public'"); n != 1 {
			t.Errorf("%d audit entries for the public's report, want 1", n)
		}
	})
}

// A report verifies with its number and code; a wrong code, an unknown number, altered content
// and an altered digest do not.
func TestVerifyCreditReport(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 10)
		uscc := env.firstUSCC()
		var out struct{ CreditReport issuedReport }
		env.as("demo-credit-office").mustData(reportQuery, map[string]any{"u": uscc, "e": "AUTHORITY", "p": "FINANCING"}, &out)
		r := out.CreditReport
		type verification struct {
			Genuine                      bool
			Problem, Uscc, Name, Edition string
			Digest                       string
		}
		verify := func(number, code string) verification {
			var v struct{ VerifyCreditReport verification }
			env.as("").mustData(`query($n: String!, $c: String!) { verifyCreditReport(number: $n, code: $c) {
				genuine problem uscc name edition digest } }`, map[string]any{"n": number, "c": code}, &v)
			return v.VerifyCreditReport
		}
		ok := verify(r.Number, strings.ToLower(r.VerificationCode))
		if !ok.Genuine || ok.Uscc != uscc || ok.Edition != "AUTHORITY" || ok.Digest != r.Digest || ok.Name != r.Subject.Name {
			t.Errorf("genuine report verifies as %+v", ok)
		}
		wrong := []byte(r.VerificationCode)
		wrong[0] = map[bool]byte{true: 'B', false: 'A'}[wrong[0] == 'A']
		for name, v := range map[string]verification{
			"wrong code":     verify(r.Number, string(wrong)),
			"unknown number": verify(r.Number+"X", r.VerificationCode),
		} {
			if v.Genuine || v.Problem == "" || v.Uscc != "" {
				t.Errorf("%s: %+v", name, v)
			}
		}
		// The stored content altered (a record removed from it): its digest no longer holds.
		if _, err := env.db.SQL.Exec("UPDATE credit_report_issues SET content = REPLACE(content, '\"records\"', '\"records_\"') WHERE number = ?", r.Number); err != nil {
			t.Fatal(err)
		}
		if v := verify(r.Number, r.VerificationCode); v.Genuine || !strings.Contains(v.Problem, "digest") {
			t.Errorf("altered content verifies as %+v", v)
		}
		// The digest recomputed for the altered content: the code was made for the old one.
		var content string
		_ = env.db.SQL.QueryRow("SELECT content FROM credit_report_issues WHERE number = ?", r.Number).Scan(&content)
		if _, err := env.db.SQL.Exec("UPDATE credit_report_issues SET digest = ? WHERE number = ?", sha256Hex(content), r.Number); err != nil {
			t.Fatal(err)
		}
		if v := verify(r.Number, r.VerificationCode); v.Genuine || !strings.Contains(v.Problem, "code") {
			t.Errorf("re-digested content verifies as %+v", v)
		}
		env.as("").wantError(`{ verifyCreditReport(number: " ", code: "x") { genuine } }`, nil, "BAD_USER_INPUT", "number")
	})
}

// The PDF is an A4 document whose text holds the report's Chinese content and number, and
// whose first page renders. Needs a CJK font and poppler-utils (.ci/run installs both).
func TestCreditReportPDF(t *testing.T) {
	missing := func(what string) { pdfToolMissing(t, what) }
	needFont(t)
	for _, tool := range []string{"pdftotext", "pdftoppm", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(tool + " missing (apt-get install poppler-utils)")
		}
	}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 30)
		var uscc string
		if err := env.db.SQL.QueryRow(`SELECT uscc FROM market_entities WHERE evaluation IS NOT NULL ORDER BY
			(SELECT COUNT(*) FROM sector_ratings r WHERE r.entity_id = market_entities.id) DESC, id LIMIT 1`).Scan(&uscc); err != nil {
			t.Fatal(err)
		}
		var out struct {
			CreditReport struct {
				issuedReport
				PDF string
			}
		}
		env.as("demo-market-supervisor").mustData(`mutation($u: String!) { creditReport(uscc: $u, edition: AUTHORITY, purpose: LICENSING) {
			number verificationCode subject { name } pdf } }`, map[string]any{"u": uscc}, &out)
		r := out.CreditReport
		raw, err := base64.StdEncoding.DecodeString(r.PDF)
		if err != nil || !bytes.HasPrefix(raw, []byte("%PDF-")) {
			t.Fatalf("pdf is not a PDF (%v): %.20q", err, raw)
		}
		dir := t.TempDir()
		file := filepath.Join(dir, "report.pdf")
		if err := os.WriteFile(file, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		info, err := exec.Command("pdfinfo", file).CombinedOutput()
		if err != nil || !strings.Contains(string(info), "595.28 x 841.89 pts (A4)") {
			t.Errorf("pdfinfo (%v): %s", err, info)
		}
		text, err := exec.Command("pdftotext", "-layout", file, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{r.Subject.Name, "江苏省公共信用报告", "授权查询版", r.Number, r.VerificationCode, "公共信用综合评价", "各行业评价分项", "行政许可"} {
			if !strings.Contains(string(text), want) {
				t.Errorf("the PDF's text lacks %q", want)
			}
		}
		if err := exec.Command("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", file, filepath.Join(dir, "page")).Run(); err != nil {
			t.Fatal(err)
		}
		png, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
		if len(png) != 1 {
			t.Fatalf("rendered %v", png)
		}
		if st, _ := os.Stat(png[0]); st == nil || st.Size() < 5000 {
			t.Errorf("the first page renders to %v", st)
		}
		// CREDITGRAPH_REPORT_PNG=path keeps the first page (the README's picture is made so).
		if keep := os.Getenv("CREDITGRAPH_REPORT_PNG"); keep != "" {
			out, err := exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", file, strings.TrimSuffix(keep, ".png")).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
		}
		// Fetched again by number and code, the report prints the same bytes.
		var again struct{ IssuedCreditReport struct{ PDF string } }
		env.as("").mustData(`query($n: String!, $c: String!) { issuedCreditReport(number: $n, code: $c) { pdf } }`,
			map[string]any{"n": r.Number, "c": r.VerificationCode}, &again)
		if again.IssuedCreditReport.PDF != r.PDF {
			t.Errorf("the re-fetched report prints differently")
		}
	})
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// A licensing review refuses an entity not in business, takes notify-and-commit away from a
// listed one (JP-NCC-01) and passes a clean one; each ground names its basis. The public may
// not review.
func TestCreditReviewForLicensing(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 12)
		var clean, listed, revoked string
		rows, err := env.db.SQL.Query(`SELECT uscc FROM market_entities e WHERE NOT EXISTS
			(SELECT 1 FROM list_entries l WHERE l.entity_id = e.id) AND status IN ('EXISTING', 'OPERATING') ORDER BY id LIMIT 3`)
		if err != nil {
			t.Fatal(err)
		}
		var usccs []string
		for rows.Next() {
			var u string
			_ = rows.Scan(&u)
			usccs = append(usccs, u)
		}
		rows.Close()
		clean, listed, revoked = usccs[0], usccs[1], usccs[2]
		var id struct {
			MarketEntities edges[struct{ ID string }]
		}
		env.mustData(`query($u: String!) { marketEntities(first: 1, where: {uscc: $u}) { edges { node { id } } } }`, map[string]any{"u": listed}, &id)
		env.as("demo-credit-office").mustData(`mutation($in: CreateListEntryInput!) { createListEntry(input: $in) { id } }`,
			map[string]any{"in": map[string]any{
				"departmentID": env.departmentID("market-320000"), "entityID": id.MarketEntities.Edges[0].Node.ID,
				"sourceSystem": "js-samr", "sourceRecordID": "LIST-REVIEW-1", "severity": "GENERAL", "listType": "MS_ABNORMAL_OPERATION",
				"listedOn": todayMinus(10), "reason": "通过登记的住所无法联系", "basis": "《企业经营异常名录管理暂行办法》第四条",
				"decisionNo": "苏市监异〔2026〕7号",
			}}, nil)
		if _, err := env.db.SQL.Exec("UPDATE market_entities SET status = 'REVOKED' WHERE uscc = ?", revoked); err != nil {
			t.Fatal(err)
		}
		type review struct {
			Conclusion string
			Grounds    []struct{ Conclusion, Reason, Basis string }
		}
		ask := func(u string) review {
			var out struct{ CreditReview review }
			env.as("demo-market-clerk").mustData(`query($u: String!) { creditReview(uscc: $u, purpose: LICENSING) {
				conclusion grounds { conclusion reason basis } } }`, map[string]any{"u": u}, &out)
			return out.CreditReview
		}
		if r := ask(clean); r.Conclusion != "PASS" || len(r.Grounds) != 1 {
			t.Errorf("clean entity: %+v", r)
		}
		r := ask(listed)
		if r.Conclusion != "NO_NOTIFY_AND_COMMIT" || len(r.Grounds) != 1 || !strings.Contains(r.Grounds[0].Reason, "苏市监异〔2026〕7号") ||
			!strings.Contains(r.Grounds[0].Basis, "35号") {
			t.Errorf("listed entity: %+v", r)
		}
		if r := ask(revoked); r.Conclusion != "REFUSE" || !strings.Contains(r.Grounds[0].Reason, "吊销") {
			t.Errorf("revoked entity: %+v", r)
		}
		env.as("").wantError(`query($u: String!) { creditReview(uscc: $u, purpose: LICENSING) { conclusion } }`, map[string]any{"u": clean}, "FORBIDDEN", "")
		env.as("demo-market-clerk").wantError(`{ creditReview(uscc: "91320000MA1X", purpose: LICENSING) { conclusion } }`, nil, "BAD_USER_INPUT", "uscc")
	})
}

// The public asks without a token, so its requests must not grow the register one stored report
// each: the same PUBLIC report (subject, purpose, day and content) is the issue already stored,
// with its number and code. Another purpose or a changed file is a new issue; a token holder
// always gets an issue of its own.
func TestPublicReportsAreIssuedOncePerContent(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 10)
		penalty := penaltyInput(env, "market-320000", "REPORT-ONCE")
		uscc := penalty["in"].(map[string]any)["counterpartyUscc"].(string)
		issue := func(token, purpose string) issuedReport {
			t.Helper()
			var out struct{ CreditReport issuedReport }
			env.as(token).mustData(reportQuery, map[string]any{"u": uscc, "e": "PUBLIC", "p": purpose}, &out)
			return out.CreditReport
		}
		stored := func() int { return env.count("credit_report_issues", "uscc = ?", uscc) }

		first, again := issue("", "FINANCING"), issue("", "FINANCING")
		if again.Number != first.Number || again.VerificationCode != first.VerificationCode || again.Digest != first.Digest {
			t.Errorf("the same public report twice: %s/%s, then %s/%s; want the stored issue again",
				first.Number, first.VerificationCode, again.Number, again.VerificationCode)
		}
		if n := stored(); n != 1 {
			t.Errorf("%d issues stored for the same public report, want 1", n)
		}
		var v struct{ VerifyCreditReport struct{ Genuine bool } }
		env.as("").mustData(`query($n: String!, $c: String!) { verifyCreditReport(number: $n, code: $c) { genuine } }`,
			map[string]any{"n": again.Number, "c": again.VerificationCode}, &v)
		if !v.VerifyCreditReport.Genuine {
			t.Error("the public report handed out again does not verify")
		}
		if other := issue("", "BIDDING"); other.Number == first.Number {
			t.Error("another purpose got the same issue")
		}
		if a, b := issue("demo-credit-office", "FINANCING"), issue("demo-credit-office", "FINANCING"); a.Number == b.Number || a.Number == first.Number {
			t.Errorf("a token holder's issues %s, %s (the public's %s): want one each", a.Number, b.Number, first.Number)
		}
		env.as("demo-market-clerk").mustData(createPenaltyQ, penalty, nil)
		changed := issue("", "FINANCING")
		if changed.Number == first.Number || changed.Digest == first.Digest {
			t.Errorf("after a penalty entered publicity the public got issue %s again", first.Number)
		}
		if !slices.ContainsFunc(changed.Records, func(r struct{ Kind, Sector, DecisionNo, Title string }) bool {
			return r.DecisionNo == penalty["in"].(map[string]any)["decisionNo"]
		}) {
			t.Errorf("the new issue lacks the new penalty: %+v", changed.Records)
		}
		if n := stored(); n != 5 {
			t.Errorf("%d issues stored; want 5 (public FINANCING twice, BIDDING, the office's two)", n)
		}
	})
}

// Printing is the dearest thing an operation can ask for (about 20 ms a PDF): the cost gate
// counts each pdf as thousands of rows, so aliases cannot make one request print hundreds —
// refused before anything is issued — and the same report asked for twice is printed once.
func TestPDFsAreBoundedPerOperation(t *testing.T) {
	needFont(t)
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 10)
		uscc := env.firstUSCC()
		aliases := func(n int) string {
			var b strings.Builder
			for i := range n {
				fmt.Fprintf(&b, " p%d: pdf", i)
			}
			return b.String()
		}
		q := func(n int) string {
			return `mutation($u: String!) { creditReport(uscc: $u, edition: PUBLIC, purpose: FINANCING) { number` + aliases(n) + ` } }`
		}
		before := env.count("credit_report_issues", "")
		env.as("").wantError(q(200), map[string]any{"u": uscc}, "QUERY_TOO_COMPLEX", "")
		env.as("demo-credit-office").wantError(q(11), map[string]any{"u": uscc}, "QUERY_TOO_COMPLEX", "")
		if n := env.count("credit_report_issues", ""); n != before {
			t.Errorf("%d reports issued by refused operations", n-before)
		}
		var out struct{ CreditReport map[string]string }
		env.as("").mustData(q(3), map[string]any{"u": uscc}, &out)
		if p := out.CreditReport; p["p0"] == "" || p["p0"] != p["p1"] || p["p1"] != p["p2"] {
			t.Errorf("three prints of one report differ or are empty (%d, %d, %d bytes)", len(p["p0"]), len(p["p1"]), len(p["p2"]))
		}
	})
}

// pdfToolMissing skips a test that needs what is missing, or fails it where
// CREDITGRAPH_REQUIRE_PDF_TOOLS says the machine must have it (.ci/run).
func pdfToolMissing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CREDITGRAPH_REQUIRE_PDF_TOOLS") != "" {
		t.Fatalf("%s; .ci/run installs it", what)
	}
	t.Skipf("%s; .ci/run installs it", what)
}

// needFont stops a test that prints when no CJK font is installed.
func needFont(t *testing.T) {
	t.Helper()
	if font, _, _ := report.FindFont(report.FontPaths...); font == nil {
		pdfToolMissing(t, "no CJK font (apt-get install fonts-arphic-gbsn00lp)")
	}
}

// Fetching an issued report again (issuedCreditReport) reads its stored content — for an
// AUTHORITY edition, records not in publicity — with no token but the number and code, so every
// fetch is in the audit log: who fetched (public for none), which report, the outcome; a fetch
// with a wrong code too. Verifying (which tells no content) is not.
func TestFetchingAnIssuedReportIsAudited(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		env := newEnv(t, e, 5)
		var out struct{ CreditReport issuedReport }
		env.as("demo-credit-office").mustData(reportQuery, map[string]any{"u": env.firstUSCC(), "e": "AUTHORITY", "p": "FINANCING"}, &out)
		r := out.CreditReport
		const fetch = `query($n: String!, $c: String!) { issuedCreditReport(number: $n, code: $c) { number } }`
		rows := func(where string) int {
			return env.count("audit_logs", "kind = 'REPORT_FETCH' AND operation = 'issuedCreditReport "+r.Number+"' AND "+where)
		}
		if n := rows("1 = 1"); n != 0 {
			t.Fatalf("%d fetch rows before any fetch", n)
		}
		env.as("").mustData(fetch, map[string]any{"n": r.Number, "c": r.VerificationCode}, nil)
		env.as("demo-market-clerk").mustData(fetch, map[string]any{"n": r.Number, "c": r.VerificationCode}, nil)
		wrong := []byte(r.VerificationCode)
		wrong[0] = map[bool]byte{true: 'B', false: 'A'}[wrong[0] == 'A']
		env.as("").wantError(fetch, map[string]any{"n": r.Number, "c": string(wrong)}, "NOT_FOUND", "")
		env.as("").mustData(`query($n: String!, $c: String!) { verifyCreditReport(number: $n, code: $c) { genuine } }`,
			map[string]any{"n": r.Number, "c": r.VerificationCode}, nil)
		for where, want := range map[string]int{
			"token_name = 'public' AND role = 'public' AND outcome = 'OK'":                                     1,
			"token_name = 'demo-market-clerk' AND role = 'clerk' AND department = 'market' AND outcome = 'OK'": 1,
			"token_name = 'public' AND outcome = 'NOT_FOUND'":                                                  1,
			"1 = 1": 3,
		} {
			if n := rows(where); n != want {
				t.Errorf("%d audit rows where %s, want %d", n, where, want)
			}
		}
	})
}
