package exchange_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/derrors"
	"github.com/creditgraph/creditgraph/ent/administrativepenalty"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/ledger"
	"github.com/creditgraph/creditgraph/sectors/exchange"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/seed/seedtest"
	"github.com/creditgraph/creditgraph/storage"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// header is the national layout's Chinese headers, as a department exports them.
var header = []string{"行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "行政处罚决定书文号", "违法行为类型",
	"违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额（万元）", "处罚决定日期", "处罚机关", "处罚机关统一社会信用代码",
	"数据来源单位", "数据来源单位统一社会信用代码", "严重程度"}

// rows are good rows for the entities' USCCs, with decision numbers prefixed by tag, and two bad
// ones: a date that is not one, and a USCC the registry does not have.
func rows(usccs []string, names []string, tag string) [][]string {
	const authority = "11320000014000003C"
	var out [][]string
	for i, u := range usccs {
		out = append(out, []string{names[i], "法人及非法人组织", u, "张三", fmt.Sprintf("苏市监罚〔2026〕%s%d号", tag, i), "虚假宣传",
			"发布虚假广告", "《广告法》第五十五条", "警告；罚款", "警告，罚款2万元", "2", "2026/3/1", "江苏省市场监督管理局", authority,
			"江苏省市场监督管理局", authority, "一般"})
	}
	bad := append([]string(nil), out[0]...)
	bad[4], bad[11] = "苏市监罚〔2026〕"+tag+"坏日期号", "2026年13月1日"
	unknown := append([]string(nil), out[0]...)
	unknown[4], unknown[2] = "苏市监罚〔2026〕"+tag+"无主体号", "91320000MA1XXXXXX7"
	return append(out[:1], append([][]string{bad}, append(out[1:], unknown)...)...)
}

func xlsxOf(t *testing.T, rs [][]string) []byte {
	f := excelize.NewFile()
	all := append([][]string{header}, rs...)
	for i, r := range all {
		row := make([]any, len(r))
		for j, c := range r {
			row[j] = c
			// Dates as spreadsheets hold them: date cells, shown in a display format.
			if d, err := time.Parse("2006/1/2", c); err == nil && i > 0 {
				row[j] = d
			}
		}
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gb18030CSV(t *testing.T, rs [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(simplifiedchinese.GB18030.NewEncoder().Writer(&b))
	if err := w.WriteAll(append([][]string{header}, rs...)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// registry seeds six demo entities into db and returns the first three's USCCs and names, for
// the rows of a file.
func registry(t *testing.T, ctx context.Context, db *storage.DB) (usccs, names []string) {
	t.Helper()
	usccs, names = manyEntities(t, ctx, db, 6)
	return usccs[:3], names[:3]
}

// An XLSX and a GB18030 CSV with good and bad rows: the good rows are imported through the
// engine (publicity computed), the bad ones reported with row and column; importing again
// writes nothing new; ALL_OR_NOTHING writes nothing when a row is bad; the report is an XLSX.
func TestImportPenalties(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := registry(t, ctx, db)
		im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 2}
		imported := func() int {
			n, err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.SourceSystem("exchange:market-320000")).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		for _, tc := range []struct {
			name   string
			file   []byte
			format exchange.Format
			tag    string
		}{
			{"xlsx", xlsxOf(t, rows(usccs, names, "X")), exchange.XLSX, "X"},
			{"gb18030", gb18030CSV(t, rows(usccs, names, "G")), exchange.CSV, "G"},
		} {
			before := imported()
			rep, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(tc.file), tc.format, exchange.GoodRows)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if rep.Rows != 5 || rep.Imported != 3 || rep.Rejected != 2 || !rep.Committed || imported()-before != 3 {
				t.Errorf("%s: %+v, %d stored", tc.name, rep, imported()-before)
			}
			want := map[int]string{3: "处罚决定日期 (CF_JDRQ)", 6: "统一社会信用代码 (CF_XDR_SHXYM)"}
			for _, p := range rep.Problems {
				if want[p.Row] != p.Column {
					t.Errorf("%s: problem %+v, want rows 3 and 6 named by column", tc.name, p)
				}
			}
			// The Chinese text arrived intact and the engine computed the publicity window.
			p, err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.DecisionNo("苏市监罚〔2026〕" + tc.tag + "0号")).Only(ctx)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if p.CounterpartyName != names[0] || p.PublicityDeadline == nil || p.EntityID != db.Client.MarketEntity.Query().Where(marketentity.Uscc(usccs[0])).OnlyIDX(ctx) || len(p.PenaltyCategories) != 2 {
				t.Errorf("%s: stored %q, deadline %v, entity %d, categories %v", tc.name, p.CounterpartyName, p.PublicityDeadline, p.EntityID, p.PenaltyCategories)
			}
			// Again: nothing new.
			again, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(tc.file), tc.format, exchange.GoodRows)
			if err != nil {
				t.Fatal(err)
			}
			if again.Rows != 5 || again.Imported != 0 || again.Existing != 3 || again.Rejected != 2 || imported()-before != 3 {
				t.Errorf("%s again: %+v, %d stored", tc.name, again, imported()-before)
			}
			// The report as a workbook: its problems sheet lists the rows.
			var b bytes.Buffer
			if err := exchange.WriteXLSX(&b, rep); err != nil {
				t.Fatal(err)
			}
			wb, err := excelize.OpenReader(&b)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := wb.GetRows("问题")
			if len(got) != 3 || got[1][0] != "3" || !strings.Contains(got[2][1], "CF_XDR_SHXYM") {
				t.Errorf("%s: report rows %v", tc.name, got)
			}
		}

		// All or nothing: a file with a bad row writes none; a clean one writes all.
		before := imported()
		bad := xlsxOf(t, rows(usccs, names, "A"))
		rep, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(bad), exchange.XLSX, exchange.AllOrNothing)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Committed || rep.Rejected != 2 || imported() != before {
			t.Errorf("all or nothing with bad rows: %+v, %d written", rep, imported()-before)
		}
		clean := rows(usccs, names, "C")
		clean = append(clean[:1], clean[2:4]...)
		rep, err = im.Import(ctx, "penalties", "market-320000", bytes.NewReader(xlsxOf(t, clean)), exchange.XLSX, exchange.AllOrNothing)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Committed || rep.Imported != 3 || imported()-before != 3 {
			t.Errorf("all or nothing, clean: %+v, %d written", rep, imported()-before)
		}
		// A header without a required column is refused before any row, naming the columns.
		_, err = im.Import(ctx, "penalties", "market-320000", strings.NewReader("行政相对人名称,处罚内容\n某公司,警告\n"), exchange.CSV, exchange.GoodRows)
		if err == nil || !strings.Contains(err.Error(), "CF_WSH") {
			t.Errorf("a header without the decision number: %v", err)
		}
	})
}

// kindFile is a three-row file of a kind other than penalties; one row is bad.
type kindFile struct {
	kind, table, file string
	badRow            int
	badColumn         string
}

// otherKinds are files of licences, list entries and ratings for the entities a and b.
func otherKinds(a, b string) []kindFile {
	const auth = "11320000014000003C"
	return []kindFile{
		{"licences", "administrative_licenses", "行政相对人名称,统一社会信用代码,行政许可决定文书名称,行政许可决定文书号,许可类别,许可证书名称,许可编号,许可内容,许可决定日期,有效期自,有效期至,许可机关,许可机关统一社会信用代码,当前状态\n" +
			"甲公司," + a + ",准予行政许可决定书,苏许1号,普通,食品经营许可证,JY1,预包装食品销售,2026-01-05,2026-01-05,2031-01-04,江苏省市场监督管理局," + auth + ",有效\n" +
			"乙公司," + b + ",准予行政许可决定书,苏许2号,特别,食品经营许可证,JY2,预包装食品销售,2026-01-05,2026-01-05,2031-01-04,江苏省市场监督管理局," + auth + ",有效\n" +
			"乙公司," + b + ",准予行政许可决定书,苏许3号,登记,,,预包装食品销售,2026/2/1,2026/2/1,,江苏省市场监督管理局," + auth + ",\n",
			3, "XK_XKLB"},
		{"list_entries", "list_entries", "名称,统一社会信用代码,名单类型,列入日期,列入事由,列入依据,列入决定书文号,严重程度\n" +
			"甲公司," + a + ",经营异常名录,2026-10-08,通过登记的住所无法联系,《企业经营异常名录管理暂行办法》第四条,苏异1号,一般\n" +
			"乙公司," + b + ",经营异常名录,2099-10-08,通过登记的住所无法联系,《企业经营异常名录管理暂行办法》第四条,苏异2号,一般\n" +
			"乙公司," + b + ",MS_ABNORMAL_OPERATION,2026-10-09,未按期公示年报,《企业经营异常名录管理暂行办法》第八条,苏异3号,一般\n",
			3, "LRRQ"},
		{"ratings", "sector_ratings", "名称,统一社会信用代码,评价体系,信用等级,评价周期,有效期自,评价文号\n" +
			"甲公司," + a + ",企业信用风险分类,B,2026,2026-06-01,苏评1号\n" +
			"乙公司," + b + ",企业信用风险分类,E,2026,2026-06-01,苏评1号\n" +
			"乙公司," + b + ",MARKET_RISK_CLASS,C,2025,2025-06-01,苏评0号\n",
			3, "XYDJ"},
	}
}

// Licences (the national XK_ layout), list entries and ratings import like penalties: good rows
// through the engine, bad ones reported by row and column, nothing new the second time.
func TestImportOtherKinds(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		o := seed.DefaultOptions()
		o.Entities = 4
		if _, err := seed.Demo(ctx, db.Client, o); err != nil {
			t.Fatal(err)
		}
		ents, err := db.Client.MarketEntity.Query().Order(marketentity.ByID()).Limit(2).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range otherKinds(ents[0].Uscc, ents[1].Uscc) {
			im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger}
			rep, err := im.Import(ctx, tc.kind, "market-320000", strings.NewReader(tc.file), exchange.CSV, exchange.GoodRows)
			if err != nil {
				t.Fatalf("%s: %v", tc.kind, err)
			}
			if rep.Rows != 3 || rep.Imported != 2 || rep.Rejected != 1 || len(rep.Problems) != 1 ||
				rep.Problems[0].Row != tc.badRow || !strings.Contains(rep.Problems[0].Column, tc.badColumn) {
				t.Errorf("%s: %+v", tc.kind, rep)
			}
			again, err := im.Import(ctx, tc.kind, "market-320000", strings.NewReader(tc.file), exchange.CSV, exchange.GoodRows)
			if err != nil {
				t.Fatal(err)
			}
			if again.Imported != 0 || again.Existing != 2 {
				t.Errorf("%s again: %+v", tc.kind, again)
			}
		}
	})
}

func TestParseDateForms(t *testing.T) {
	for in, want := range map[string]string{"2026-03-01": "2026-03-01", "2026/3/1": "2026-03-01", "20260301": "2026-03-01",
		"2026年3月1日": "2026-03-01", "46082": "2026-03-01", "46082.75": "2026-03-01", "2026-03-01 10:30:00": "2026-03-01"} {
		got, err := exchange.ParseDate(in)
		if err != nil || got.Format("2006-01-02") != want {
			t.Errorf("%q: %v %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "2026-13-01", "Mar-26", "3/1/26", "123"} {
		if _, err := exchange.ParseDate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// A GB18030 file whose first 64 KiB are plain ASCII (a header of field codes, then padding
// rows) still reads its Chinese rows as Chinese.
func TestGB18030AfterAnASCIIStart(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("CF_XDR_MC,CF_WSH\n")
	for b.Len() < 70<<10 {
		b.WriteString("ascii,padding\n")
	}
	w := simplifiedchinese.GB18030.NewEncoder().Writer(&b)
	_, _ = w.Write([]byte("南京某某科技有限公司,苏罚1号\n"))
	got, err := exchange.ReadAll(bytes.NewReader(b.Bytes()), exchange.CSV)
	if err != nil {
		t.Fatal(err)
	}
	if last := got[len(got)-1]; last[0] != "南京某某科技有限公司" || last[1] != "苏罚1号" {
		t.Errorf("last row %q", last)
	}
}

// A batch whose transaction clashes (a deadlock; on a Galera cluster a certification failure)
// is written again: the file imports as if nothing had happened, each row once.
func TestImportWritesAClashedBatchAgain(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		faults := new(storagetest.Faults)
		db := e.Open(t, storagetest.Options{Options: storage.Options{Wrap: faults.Wrap}})
		ctx := authz.SystemContext(context.Background())
		usccs, names := registry(t, ctx, db)
		im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 2}
		faults.FailMatching("INSERT INTO `administrative_penalties`", 3, &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"})
		rep, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(gb18030CSV(t, rows(usccs, names, "C"))), exchange.CSV, exchange.GoodRows)
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.DecisionNoHasPrefix("苏市监罚〔2026〕C")).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Imported != 3 || rep.Rejected != 2 || !rep.Committed || n != 3 {
			t.Errorf("after three clashes: %+v, %d stored; want 3 imported, 2 rejected, 3 stored", rep, n)
		}
	})
}

// fileOf is n rows over the entities' USCCs, decision numbers prefixed by tag; every seventh
// row has a date that is not one and every eleventh a USCC the registry lacks.
func fileOf(usccs, names []string, tag string, n int) (rs [][]string, good []string) {
	const authority = "11320000014000003C"
	for i := range n {
		u, name, date, no := usccs[i%len(usccs)], names[i%len(names)], "2026/3/1", fmt.Sprintf("苏市监罚〔2026〕%s%d号", tag, i)
		switch {
		case i%7 == 6:
			date = "2026年13月1日"
		case i%11 == 10:
			u = "91320000MA1XXXXXX7"
		default:
			good = append(good, no)
		}
		rs = append(rs, []string{name, "法人及非法人组织", u, "张三", no, "虚假宣传", "发布虚假广告", "《广告法》第五十五条", "警告；罚款",
			"警告，罚款2万元", "2", date, "江苏省市场监督管理局", authority, "江苏省市场监督管理局", authority, "一般"})
	}
	return rs, good
}

// manyEntities seeds n demo entities and returns their USCCs and names.
func manyEntities(t *testing.T, ctx context.Context, db *storage.DB, n int) (usccs, names []string) {
	t.Helper()
	o := seed.DefaultOptions()
	o.Entities = n
	if _, err := seed.Demo(ctx, db.Client, o); err != nil {
		t.Fatal(err)
	}
	ents, err := db.Client.MarketEntity.Query().Order(marketentity.ByID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ents {
		usccs, names = append(usccs, x.Uscc), append(names, x.Name)
	}
	return usccs, names
}

// Batches written by several workers at once make the same report, and the same progress
// counts in the same order, as one worker writing them in turn; the file imported again
// writes nothing.
func TestImportWithWorkersReportsAsOne(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 40)
		run := func(workers int, tag string) (*exchange.Report, [][2]int) {
			var progress [][2]int
			im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 3, Workers: workers,
				Progress: func(n, line int) { progress = append(progress, [2]int{n, line}) }}
			rs, _ := fileOf(usccs, names, tag, 90)
			rep, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(gb18030CSV(t, rs)), exchange.CSV, exchange.GoodRows)
			if err != nil {
				t.Fatalf("%d workers: %v", workers, err)
			}
			return rep, progress
		}
		one, oneProgress := run(1, "S")
		three, threeProgress := run(3, "P")
		if one.Imported == 0 || one.Rejected == 0 {
			t.Fatalf("one worker: %+v", one)
		}
		if fmt.Sprint(one) != fmt.Sprint(three) {
			t.Errorf("three workers reported\n%+v\none reported\n%+v", three, one)
		}
		if fmt.Sprint(oneProgress) != fmt.Sprint(threeProgress) {
			t.Errorf("three workers' progress %v, one's %v", threeProgress, oneProgress)
		}
		again, _ := run(3, "P")
		if again.Imported != 0 || again.Existing != one.Imported {
			t.Errorf("the file again: %+v, want nothing imported and %d existing", again, one.Imported)
		}
	})
}

// Two imports of the same file at once report each good row imported by exactly one of them and
// found stored by the other: a row is counted as imported only by the transaction that wrote it.
func TestConcurrentImportsReportEachRowOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 40)
		rs, good := fileOf(usccs, names, "R", 120)
		file := gb18030CSV(t, rs)
		reps := make([]*exchange.Report, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range reps {
			wg.Go(func() {
				im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 2, Workers: db.Target.Writers()}
				reps[i], errs[i] = im.Import(ctx, "penalties", "market-320000", bytes.NewReader(file), exchange.CSV, exchange.GoodRows)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("import %d: %v", i, err)
			}
		}
		stored, err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.DecisionNoHasPrefix("苏市监罚〔2026〕R")).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a, b := reps[0], reps[1]
		if stored != len(good) || a.Imported+b.Imported != len(good) || a.Existing+b.Existing != len(good) {
			t.Errorf("%d good rows, %d stored; the imports reported %d+%d imported and %d+%d stored before",
				len(good), stored, a.Imported, b.Imported, a.Existing, b.Existing)
		}
		for i, rep := range reps {
			if bad := len(rs) - len(good); rep.Rejected != bad {
				t.Errorf("import %d rejected %d rows, want the %d bad ones; first problems: %+v", i, rep.Rejected, bad, rep.Problems[:min(3, len(rep.Problems))])
			}
		}
		// The other kinds, a row a batch: two good rows and a bad one each.
		for _, tc := range otherKinds(usccs[0], usccs[1]) {
			var wg sync.WaitGroup
			for i := range reps {
				wg.Go(func() {
					im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 1}
					reps[i], errs[i] = im.Import(ctx, tc.kind, "market-320000", strings.NewReader(tc.file), exchange.CSV, exchange.GoodRows)
				})
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("%s: %v, %v", tc.kind, errs[0], errs[1])
			}
			a, b := reps[0], reps[1]
			if a.Imported+b.Imported != 2 || a.Existing+b.Existing != 2 || a.Rejected != 1 || b.Rejected != 1 {
				t.Errorf("%s: two imports at once reported\n%+v\n%+v", tc.kind, a, b)
			}
		}
	})
}

// All-or-nothing imports at once all commit: two of one clean file (one writes every row, the
// other finds them stored) and one of another file about the same entities in the opposite
// order, whose batches lock the entities the others' later batches need. The one transaction
// of such an import that clashes with another writer (a deadlock, or a source key the other
// committed first) wrote nothing, so it is run again whole, as a batch is in GOOD_ROWS mode.
func TestConcurrentAllOrNothingImportsAllCommit(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 40)
		clean := func(tag string) [][]string {
			all, _ := fileOf(usccs, names, tag, 140)
			var rs [][]string
			for _, r := range all {
				if r[2] != "91320000MA1XXXXXX7" && !strings.Contains(r[11], "13月") {
					rs = append(rs, r)
				}
			}
			return rs
		}
		same, other := clean("W"), clean("X")
		slices.Reverse(other)
		files := [][]byte{gb18030CSV(t, same), gb18030CSV(t, same), gb18030CSV(t, other)}
		reps := make([]*exchange.Report, len(files))
		errs := make([]error, len(files))
		var wg sync.WaitGroup
		for i := range files {
			wg.Go(func() {
				im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 3, Workers: db.Target.Writers()}
				reps[i], errs[i] = im.Import(ctx, "penalties", "market-320000", bytes.NewReader(files[i]), exchange.CSV, exchange.AllOrNothing)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("import %d: %v", i, err)
			}
		}
		for _, tag := range []string{"W", "X"} {
			n, err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.DecisionNoHasPrefix("苏市监罚〔2026〕" + tag)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(same) {
				t.Errorf("file %s: %d of its %d rows stored", tag, n, len(same))
			}
		}
		a, b, c := reps[0], reps[1], reps[2]
		if !a.Committed || !b.Committed || !c.Committed || a.Rejected+b.Rejected+c.Rejected != 0 ||
			[2]int{min(a.Imported, b.Imported), max(a.Imported, b.Imported)} != [2]int{0, len(same)} ||
			a.Imported+a.Existing != len(same) || b.Imported+b.Existing != len(same) || c.Imported != len(other) {
			t.Errorf("the imports reported %d+%d+%d imported, %d+%d+%d stored before, %d+%d+%d rejected, committed %v %v %v",
				a.Imported, b.Imported, c.Imported, a.Existing, b.Existing, c.Existing, a.Rejected, b.Rejected, c.Rejected,
				a.Committed, b.Committed, c.Committed)
		}
	})
}

// What an import does with each row does not depend on how the file is cut into batches or
// spread over writers: a file with bad rows and rows that repeat an earlier row's decision
// number (some with other content) makes the same report, and stores the same rows, in
// batches of 1 to 7 rows with one writer or two as in one batch. A repeat is reported
// against the row it repeats.
func TestImportReportDoesNotDependOnBatches(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 12)
		file := func(tag string) [][]string {
			rs, _ := fileOf(usccs, names, tag, 40)
			for i := 4; i < len(rs); i += 5 { // every fifth row takes the decision number of the row three before
				rs[i][4], rs[i][10] = rs[i-3][4], "9"
			}
			return rs
		}
		run := func(batch, workers int, tag string) (*exchange.Report, int) {
			im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: batch, Workers: workers}
			rep, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(gb18030CSV(t, file(tag))), exchange.CSV, exchange.GoodRows)
			if err != nil {
				t.Fatalf("batches of %d, %d writers: %v", batch, workers, err)
			}
			n, err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.DecisionNoHasPrefix("苏市监罚〔2026〕" + tag)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return rep, n
		}
		want, stored := run(ledger.MaxBatch, 1, "W")
		repeats := 0
		for _, p := range want.Problems {
			if strings.HasPrefix(p.Problem, "repeats row ") && strings.Contains(p.Column, "CF_WSH") {
				repeats++
			}
		}
		if repeats < 5 || stored != want.Imported || want.Imported+want.Rejected != want.Rows {
			t.Fatalf("one batch: %d repeats reported, %d stored: %+v", repeats, stored, want)
		}
		// Resumed at a later row (--from-row), the same file reports the rows from there as the
		// whole import did: a row repeating one before the resume point is still a repeat, not
		// a row "stored before".
		for _, from := range []int{3, 6, 11, 20} {
			im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, From: from}
			got, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(gb18030CSV(t, file("W"))), exchange.CSV, exchange.GoodRows)
			if err != nil {
				t.Fatal(err)
			}
			var later []exchange.Problem
			for _, p := range want.Problems {
				if p.Row >= from {
					later = append(later, p)
				}
			}
			if fmt.Sprint(got.Problems) != fmt.Sprint(later) || got.Imported != 0 || got.Existing+got.Rejected != got.Rows {
				t.Errorf("resumed at row %d: %+v; the whole import reported from there %+v", from, got, later)
			}
		}
		for _, workers := range []int{1, 2} {
			for _, batch := range []int{1, 2, 3, 7} {
				tag := fmt.Sprintf("B%dW%d", batch, workers)
				got, n := run(batch, workers, tag)
				if fmt.Sprint(got) != fmt.Sprint(want) || n != stored {
					t.Errorf("batches of %d, %d writers: %d stored, reported\n%+v\nin one batch: %d stored,\n%+v", batch, workers, n, got, stored, want)
				}
			}
		}
	})
}

// A value too long for its field, in any column of any kind's layout, is refused in that
// column with words a clerk can act on — never as the database's or the ORM's message, never
// as the failure of the whole import. The rows are a good row of each kind with one column
// made 3,000 characters long.
func TestOverlongValuesAreReportedInTheirColumn(t *testing.T) {
	internals := []string{"ent:", "input[", "validator", "Error 1", "SQL", "sql", "AdministrativePenalty", "AdministrativeLicense", "ListEntry", "SectorRating"}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 4)
		penalties, _ := fileOf(usccs, names, "O", 1)
		var b strings.Builder
		w := csv.NewWriter(&b)
		_ = w.WriteAll(append([][]string{header}, penalties[0]))
		files := []kindFile{{kind: "penalties", file: b.String()}}
		files = append(files, otherKinds(usccs[0], usccs[1])...)
		for _, kf := range files {
			rows, err := csv.NewReader(strings.NewReader(kf.file)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			head, good := rows[0], rows[1]
			layout := map[string][]exchange.Column{"penalties": exchange.PenaltyColumns, "licences": exchange.LicenceColumns,
				"list_entries": exchange.ListColumns, "ratings": exchange.RatingColumns}[kf.kind]
			decision := -1
			for j, h := range head {
				for _, c := range layout {
					if c.Header == h && c.Field == "decisionNo" {
						decision = j
					}
				}
			}
			for j, h := range head {
				row := slices.Clone(good)
				if decision >= 0 {
					row[decision] = fmt.Sprintf("%s-长%d号", row[decision], j) // a key of its own
				}
				row[j] = strings.Repeat("长", 3000)
				var f strings.Builder
				cw := csv.NewWriter(&f)
				_ = cw.WriteAll([][]string{head, row})
				im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger}
				rep, err := im.Import(ctx, kf.kind, "market-320000", strings.NewReader(f.String()), exchange.CSV, exchange.GoodRows)
				if err != nil {
					t.Errorf("%s, %s too long: the import failed: %v", kf.kind, h, err)
					continue
				}
				if rep.Imported == 1 {
					continue // a column without a limit
				}
				if rep.Rejected != 1 || len(rep.Problems) != 1 || !strings.HasPrefix(rep.Problems[0].Column, h) {
					t.Errorf("%s, %s too long: %+v", kf.kind, h, rep)
					continue
				}
				if n := utf8.RuneCountInString(rep.Problems[0].Problem); n > 200 {
					t.Errorf("%s, %s too long: a problem of %d characters", kf.kind, h, n)
				}
				for _, bad := range internals {
					if strings.Contains(rep.Problems[0].Problem, bad) {
						t.Errorf("%s, %s too long: the problem %q says %q", kf.kind, h, rep.Problems[0].Problem, bad)
						break
					}
				}
			}
		}
	})
}

// When a batch fails, the workers stop, and every row up to the last progress count is
// written or reported: resuming from the row after it imports the rest, each row once.
func TestImportWithWorkersResumesAfterAFailure(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		faults := new(storagetest.Faults)
		db := e.Open(t, storagetest.Options{Options: storage.Options{Wrap: faults.Wrap}})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 40)
		rs, good := fileOf(usccs, names, "R", 120)
		// Blank rows (every field empty) are skipped and not counted, so lines and the row
		// count part: resuming goes by the line.
		for i := 9; i < len(rs); i += 10 {
			rs = slices.Insert(rs, i, make([]string, len(header)))
		}
		file := gb18030CSV(t, rs)
		stored := func() map[string]int {
			var nos []string
			err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.DecisionNoHasPrefix("苏市监罚〔2026〕R")).
				Select(administrativepenalty.FieldDecisionNo).Scan(ctx, &nos)
			if err != nil {
				t.Fatal(err)
			}
			n := map[string]int{}
			for _, no := range nos {
				n[no]++
			}
			return n
		}
		last := 0
		im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 4, Workers: 3, Progress: func(_, line int) { last = line }}
		// The disk fills up after five batches' INSERTs, whichever workers run them.
		faults.FailMatchingAfter("INSERT INTO `administrative_penalties`", 5, 1000, errors.New("injected: no space left on device"))
		_, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(file), exchange.CSV, exchange.GoodRows)
		if err == nil || !strings.Contains(err.Error(), "no space left") {
			t.Fatalf("the import with a failing batch: %v", err)
		}
		now := stored()
		for _, no := range good {
			if line := goodRow(rs, no) + 2; line <= last && now[no] != 1 {
				t.Errorf("line %d (%s), up to the last progress line %d, stored %d times", line, no, last, now[no])
			}
		}
		if last >= len(rs)+1 {
			t.Fatalf("progress reached line %d of %d before the failure", last, len(rs)+1)
		}
		faults.FailMatching("", 0, nil) // space freed
		im = &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 4, Workers: 3, From: last + 1}
		if _, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(file), exchange.CSV, exchange.GoodRows); err != nil {
			t.Fatal(err)
		}
		now = stored()
		for _, no := range good {
			if now[no] != 1 {
				t.Errorf("%s stored %d times after resuming from line %d", no, now[no], last+1)
			}
		}
		if len(now) != len(good) {
			t.Errorf("%d rows stored, want the %d good ones", len(now), len(good))
		}
	})
}

// goodRow is the index in rs of the row with decision number no.
func goodRow(rs [][]string, no string) int {
	for i, r := range rs {
		if r[4] == no {
			return i
		}
	}
	return -1
}

// A database that fails while a file is imported fails the import: no row is reported bad for
// it (a row blamed for the database's failure would be skipped for good, also when the file is
// imported again), nothing is written, and the same file imports whole once the database
// works. Every kind, written by one worker and by several; penalties go through the batch
// create, whose rows are retried one by one to find a bad one.
func TestADatabaseFailureIsNoRowsFault(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		faults := new(storagetest.Faults)
		db := e.Open(t, storagetest.Options{Options: storage.Options{Wrap: faults.Wrap}})
		ctx := authz.SystemContext(context.Background())
		usccs, names := registry(t, ctx, db)
		files := append(otherKinds(usccs[0], usccs[1]), kindFile{kind: "penalties", table: "administrative_penalties",
			file: string(gb18030CSV(t, rows(usccs, names, "F"))), badRow: 3})
		for _, workers := range []int{1, 2} {
			for _, f := range files {
				name := fmt.Sprintf("%s, %d workers", f.kind, workers)
				im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 1, Workers: workers}
				faults.FailMatching("INSERT INTO `"+f.table+"`", 1000, errors.New("injected: no space left on device"))
				rep, err := im.Import(ctx, f.kind, "market-320000", strings.NewReader(f.file), exchange.CSV, exchange.GoodRows)
				faults.FailMatching("", 0, nil)
				if err == nil || !strings.Contains(err.Error(), "no space left") {
					t.Errorf("%s, the database failing: %+v, %v; want the database's error", name, rep, err)
				}
				rep, err = im.Import(ctx, f.kind, "market-320000", strings.NewReader(f.file), exchange.CSV, exchange.GoodRows)
				if err != nil || rep.Existing != 0 || rep.Imported == 0 || rep.Imported+rep.Rejected != rep.Rows {
					t.Errorf("%s, the database working again: %+v, %v; want every good row imported now", name, rep, err)
				}
				// Gone again for the next round.
				if _, err := db.Client.ExecContext(ctx, "DELETE FROM "+f.table+" WHERE source_system = ?", "exchange:market-320000"); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// A workbook that unpacks to far more than a spreadsheet holds — zipped zeros under a part
// name, or a sheet whose zip directory declares gigabytes — is refused before it is unpacked,
// naming what is wrong, and nothing is written.
func TestAWorkbookThatUnpacksTooFarIsRefused(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := registry(t, ctx, db)
		good := xlsxOf(t, rows(usccs, names, "Z"))
		// with is the good workbook with one more part: size bytes of zeros, really zipped, or
		// (declared) a zip directory entry claiming size with a few bytes of data.
		with := func(name string, size uint64, declared bool) []byte {
			zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			for _, f := range zr.File {
				if err := zw.Copy(f); err != nil {
					t.Fatal(err)
				}
			}
			if declared {
				w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, UncompressedSize64: size, CompressedSize64: 4})
				if err != nil {
					t.Fatal(err)
				}
				_, _ = w.Write([]byte("<a/>"))
			} else {
				w, err := zw.Create(name)
				if err != nil {
					t.Fatal(err)
				}
				zero := make([]byte, 1<<20)
				for range size >> 20 {
					_, _ = w.Write(zero)
				}
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}
		im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger}
		before := storagetest.Count(t, db, "administrative_penalties", "")
		for _, tc := range []struct {
			name, want string
			file       []byte
		}{
			{"64 MiB of zeros as an image", `"xl/media/image1.png" unpacks to 64 MiB`, with("xl/media/image1.png", 64<<20, false)},
			{"a sheet declaring 3 GiB", "unpacks to more than 2 GiB", with("xl/worksheets/sheet2.xml", 3<<30, true)},
		} {
			if len(tc.file) > 1<<20 {
				t.Fatalf("%s: the test's file is %d bytes; it should zip small", tc.name, len(tc.file))
			}
			_, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(tc.file), exchange.XLSX, exchange.GoodRows)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want an error saying %s", tc.name, err, tc.want)
			}
		}
		if n := storagetest.Count(t, db, "administrative_penalties", ""); n != before {
			t.Errorf("%d penalties written", n-before)
		}
		// The good workbook itself still imports.
		if rep, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(good), exchange.XLSX, exchange.GoodRows); err != nil || rep.Imported == 0 {
			t.Errorf("the good workbook: %+v, %v", rep, err)
		}
	})
}

// An individual business filed with the placeholder code (17 zeros and X) is found in the
// registry by its registration number (CF_XDR_GSZC), as the engine accepts it; a number no
// entity has, or two have, is reported in that column; a legal person's code must still be
// registered.
func TestPlaceholderRowsAreFoundByRegistrationNumber(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 4)
		for i, reg := range []string{"320500600000001", "320500600000002", "320500600000002"} {
			if err := db.Client.MarketEntity.Update().Where(marketentity.Uscc(usccs[i])).SetRegistrationNo(reg).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		const authority = "11320000014000003C"
		head := "行政相对人名称,行政相对人类别,统一社会信用代码,工商注册号,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,处罚决定日期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码,严重程度\n"
		row := func(name, category, code, reg, no string) string {
			return fmt.Sprintf("%s,%s,%s,%s,苏市监罚〔2026〕%s号,无照经营,未办理登记,《条例》第四十三条,警告,警告,2026-03-01,江苏省市场监督管理局,%s,江苏省市场监督管理局,%s,一般\n",
				name, category, code, reg, no, authority, authority)
		}
		file := head + row(names[0], "个体工商户", "00000000000000000X", "320500600000001", "P1") + // found
			row(names[0], "个体工商户", "00000000000000000X", "320500699999999", "P2") + // no such number
			row(names[1], "个体工商户", "00000000000000000X", "320500600000002", "P3") + // two entities have it
			row(names[3], "法人及非法人组织", usccs[3], "", "P4") + // a legal person by code
			row(names[3], "法人及非法人组织", "00000000000000000X", "320500600000001", "P5") // the placeholder is not a legal person's
		rep, got := importCSV(t, ctx, &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 10}, "penalties", "market-320000", file)
		want := map[int]string{3: "工商注册号 (CF_XDR_GSZC)", 4: "工商注册号 (CF_XDR_GSZC)", 6: "统一社会信用代码 (CF_XDR_SHXYM)"}
		if rep.Imported != 2 || len(got) != len(want) {
			t.Errorf("imported %d, problems %+v; want 2 imported and rows 3, 4, 6 reported", rep.Imported, rep.Problems)
		}
		for row, col := range want {
			if got[row] != col {
				t.Errorf("row %d reported in %q, want %q (%+v)", row, got[row], col, rep.Problems)
			}
		}
		p, err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.DecisionNo("苏市监罚〔2026〕P1号")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e, err := p.QueryEntity().Only(ctx); err != nil || e.Uscc != usccs[0] {
			t.Errorf("the placeholder row was recorded against %v (%v), want the entity registered as 320500600000001", e, err)
		}
	})
}

// A file may give each penalty the day it was first published (公示日期, ours): a market
// penalty's Order 45 window counts from it, another sector's from the decision whatever it
// says, and a row without it from the decision. A publication date before the decision or in
// the future is that row's problem in that column, and the row is not written.
func TestImportedPublicationDatesStartOrder45Windows(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 6)
		const authority = "11320000014000003C"
		head := "行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码,严重程度,公示日期\n"
		row := func(i int, published string) string {
			return fmt.Sprintf("%s,法人及非法人组织,%s,苏罚〔2026〕G%d号,超范围经营,超范围经营,《条例》第四十三条,罚款,罚款五万元,5,2026-03-02,江苏省某厅,%s,江苏省某厅,%s,一般,%s\n",
				names[i], usccs[i], i, authority, authority, published)
		}
		tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)
		im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 10}
		imports := []struct {
			dep, file string
			imported  int
			problems  map[int]string
		}{
			{"market-320000", head + row(0, "2026-03-20") + row(1, "") + row(2, "2026-03-01") + row(3, tomorrow) + row(4, "2026-03-31"),
				3, map[int]string{4: "公示日期 (GSRQ)", 5: "公示日期 (GSRQ)"}},
			{"environment-320000", head + row(5, "2026-03-20"), 1, map[int]string{}},
		}
		for _, im2 := range imports {
			rep, got := importCSV(t, ctx, im, "penalties", im2.dep, im2.file)
			if rep.Imported != im2.imported || fmt.Sprint(got) != fmt.Sprint(im2.problems) {
				t.Errorf("%s: imported %d, problems %+v; want %d imported and %v", im2.dep, rep.Imported, rep.Problems, im2.imported, im2.problems)
			}
		}
		want := map[string]string{"苏罚〔2026〕G0号": "2026-09-20 2029-03-20", "苏罚〔2026〕G1号": "2026-09-02 2029-03-02",
			"苏罚〔2026〕G4号": "2026-09-30 2029-03-31", "苏罚〔2026〕G5号": "2026-06-02 2029-03-02"} // G5: Order 58's 3 years from the decision
		ps, err := db.Client.AdministrativePenalty.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, p := range ps {
			if strings.HasPrefix(p.DecisionNo, "苏罚〔2026〕G") && p.PublicityMinEnd != nil && p.PublicityDeadline != nil {
				got[p.DecisionNo] = p.PublicityMinEnd.Format(time.DateOnly) + " " + p.PublicityDeadline.Format(time.DateOnly)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("windows %v, want %v", got, want)
		}
	})
}

// A wage-arrears listing follows an order to pay by a deadline (人社部令第45号 art. 5): a list
// file names that deadline in a 责令限期期限 column. A row without it is reported in that
// column, one dated on or before it in 列入日期, and neither is written.
func TestImportedWageArrearsListingsNameTheirOrder(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 3)
		const basis = "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条"
		file := "名称,统一社会信用代码,名单类型,列入日期,列入事由,列入依据,列入决定书文号,严重程度,责令限期期限\n" +
			names[0] + "," + usccs[0] + ",拖欠农民工工资失信联合惩戒对象名单,2026-10-08,拖欠工资," + basis + ",苏欠1号,严重,2026-09-30\n" +
			names[1] + "," + usccs[1] + ",拖欠农民工工资失信联合惩戒对象名单,2026-10-08,拖欠工资," + basis + ",苏欠2号,严重,\n" +
			names[2] + "," + usccs[2] + ",HR_WAGE_ARREARS,2026-10-08,拖欠工资," + basis + ",苏欠3号,严重,2026-10-08\n"
		rep, got := importCSV(t, ctx, &exchange.Importer{Client: db.Client, Ledger: db.Ledger}, "list_entries", "labour-320000", file)
		if want := map[int]string{3: "责令限期期限 (ZLQX)", 4: "列入日期 (LRRQ)"}; rep.Imported != 1 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("imported %d, problems %+v; want 1 imported and %v", rep.Imported, rep.Problems, want)
		}
		if n := storagetest.Count(t, db, "list_entries", "decision_no IN ('苏欠2号', '苏欠3号')"); n != 0 {
			t.Errorf("%d refused rows were written", n)
		}
	})
}

// A file may mark a fine set by the aggravated principle (从重处罚, ours: 是/否), which SAMR
// Order 44 counts a heavier penalty: 是 on a fine is stored, 否 and an empty cell are not
// aggravated; a value that is neither, and 是 on a penalty without a fine, are that row's
// problem in that column, and the row is not written.
func TestImportedAggravatedFines(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, ctx, db, 5)
		const authority = "11320000014000003C"
		head := "行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码,严重程度,从重处罚\n"
		row := func(i int, cats, fine, aggravated string) string {
			return fmt.Sprintf("%s,法人及非法人组织,%s,苏罚〔2026〕Z%d号,超范围经营,超范围经营,《条例》第四十三条,%s,处罚,%s,2026-03-02,江苏省某厅,%s,江苏省某厅,%s,一般,%s\n",
				names[i], usccs[i], i, cats, fine, authority, authority, aggravated)
		}
		file := head + row(0, "罚款", "5", "是") + row(1, "罚款", "5", "否") + row(2, "警告；罚款", "5", "") + row(3, "罚款", "5", "也许") + row(4, "警告", "", "是")
		rep, got := importCSV(t, ctx, &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 10}, "penalties", "market-320000", file)
		if want := map[int]string{5: "从重处罚 (CZCF)", 6: "从重处罚 (CZCF)"}; rep.Imported != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("imported %d, problems %+v; want 3 imported and %v", rep.Imported, rep.Problems, want)
		}
		ps, err := db.Client.AdministrativePenalty.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]bool{}
		for _, p := range ps {
			if strings.HasPrefix(p.DecisionNo, "苏罚〔2026〕Z") {
				stored[p.DecisionNo] = p.AggravatedFine
			}
		}
		if want := map[string]bool{"苏罚〔2026〕Z0号": true, "苏罚〔2026〕Z1号": false, "苏罚〔2026〕Z2号": false}; fmt.Sprint(stored) != fmt.Sprint(want) {
			t.Errorf("stored %v, want %v", stored, want)
		}
	})
}

// importCSV imports a CSV file of kind for dep, good rows kept, and returns the report with
// the column of each reported row.
func importCSV(t *testing.T, ctx context.Context, im *exchange.Importer, kind, dep, file string) (*exchange.Report, map[int]string) {
	t.Helper()
	rep, err := im.Import(ctx, kind, dep, strings.NewReader(file), exchange.CSV, exchange.GoodRows)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for _, p := range rep.Problems {
		got[p.Row] = p.Column
	}
	return rep, got
}

// An import writes each batch with the rights its token has at that batch, not the rights it
// started with: a revocation, an expiry or a change of the token's rights stops it before the
// next batch (the batches committed before stay in a GOOD_ROWS import), whether one writer or
// several write; an ALL_OR_NOTHING import is checked again before its one commit and then
// writes nothing; another token's change stops nothing.
func TestAnImportWritesWithTheRightsItsTokenHasNow(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		db := e.Open(t, storagetest.Options{})
		acc := seedtest.DemoAccess(t, db)
		var late atomic.Int64 // how far the tokens' clock is ahead
		tokens := acc.Tokens
		tokens.Now = func() time.Time { return time.Now().Add(time.Duration(late.Load())) }
		sys := authz.SystemContext(context.Background())
		usccs, names := manyEntities(t, sys, db, 20)
		stored := func(tag string) int {
			t.Helper()
			n, err := db.Client.AdministrativePenalty.Query().Where(administrativepenalty.DecisionNoHasPrefix("苏市监罚〔2026〕" + tag)).Count(sys)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		changes := []struct {
			name string
			do   func(t *testing.T, token string)
			want error // nil: the import completes
			// writes: the change is written to the database, which SQLite's one writer does
			// not allow while the ALL_OR_NOTHING transaction is open; it comes between the
			// dry run and the write, and an expiry shows the check before the commit.
			writes bool
		}{
			{"nothing changes", func(*testing.T, string) {}, nil, false},
			{"another token's rights change", func(t *testing.T, _ string) {
				seedtest.ChangeRule(t, acc.Authorizer, true, seedtest.ClerkOf("imp-someone-else", "labour"))
			}, nil, true},
			{"the token is revoked", func(t *testing.T, token string) {
				if err := tokens.Revoke(sys, token); err != nil {
					t.Fatal(err)
				}
			}, derrors.Unauthenticated, true},
			{"the token expires", func(*testing.T, string) { late.Store(int64(2 * time.Hour)) }, derrors.Unauthenticated, false},
			{"the token's rights grow", func(t *testing.T, token string) {
				seedtest.ChangeRule(t, acc.Authorizer, true, seedtest.ClerkOf(token, "labour"))
			}, authz.ErrRightsChanged, true},
		}
		n := 0
		for _, run := range []struct {
			mode    exchange.Mode
			workers int
		}{{exchange.GoodRows, 1}, {exchange.GoodRows, 3}, {exchange.AllOrNothing, 1}} {
			mode, workers := run.mode, run.workers
			for _, c := range changes {
				t.Run(fmt.Sprintf("%s, %d workers: %s", mode, workers, c.name), func(t *testing.T) {
					n++
					late.Store(0)
					token, tag := fmt.Sprintf("imp-%d", n), fmt.Sprintf("R%dx", n)
					secret, err := tokens.Issue(sys, authz.IssueRequest{Name: token, Department: "market", Role: authz.RoleClerk, Expires: time.Hour})
					if err != nil {
						t.Fatal(err)
					}
					v, err := tokens.Authenticate(sys, "Bearer "+secret)
					if err != nil {
						t.Fatal(err)
					}
					ctx := authz.NewContext(context.Background(), v)
					rs, good := fileOf(usccs, names, tag, 60)
					if mode == exchange.AllOrNothing {
						rs = rs[:6] // the first bad row is the seventh
						good = good[:6]
					}
					// GOOD_ROWS: the change comes after the first batch with one writer.
					// Several writers finish batches in any order (progress is told in
					// order), so the change comes before the first batch: none may be
					// written. ALL_OR_NOTHING reads the file twice in batches of three (a dry
					// run, then the write): the change comes after the last batch, where
					// only the check before the commit stands, or between the two runs.
					calls, at := 0, 1
					switch {
					case mode == exchange.AllOrNothing && c.writes:
						at = 2
					case mode == exchange.AllOrNothing:
						at = 4
					case workers > 1:
						at = 0
						c.do(t, token)
					}
					im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Batch: 3, Workers: workers,
						Progress: func(int, int) {
							if calls++; calls == at {
								c.do(t, token)
							}
						}}
					rep, err := im.Import(ctx, "penalties", "market-320000", bytes.NewReader(gb18030CSV(t, rs)), exchange.CSV, mode)
					if calls < at {
						t.Fatalf("the import made %d progress calls; the change waits for call %d", calls, at)
					}
					got := stored(tag)
					if c.want == nil {
						if err != nil || rep.Imported != len(good) || got != len(good) {
							t.Fatalf("the import did not complete: %v, %+v, %d of %d stored", err, rep, got, len(good))
						}
						return
					}
					if !errors.Is(err, c.want) {
						t.Fatalf("the import went on after the change: %v, %+v, %d of %d stored; want %v", err, rep, got, len(good), c.want)
					}
					if at != 1 && got != 0 || at == 1 && (got == 0 || got >= len(good)) {
						t.Errorf("%d of %d rows stored after the import stopped", got, len(good))
					}
				})
			}
		}
	})
}
