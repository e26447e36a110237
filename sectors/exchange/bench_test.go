package exchange_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/sectors/exchange"
	"github.com/creditgraph/creditgraph/seed"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// BenchmarkImportPenalties imports 5,000 penalties (a UTF-8 CSV in the national layout) per
// iteration into a database of 2,000 entities, with the workers the command line uses for the
// database (storage.Target.Writers); rows/s is the figure.
//
//	go test ./sectors/exchange -run '^$' -bench ImportPenalties -benchtime 3x
func BenchmarkImportPenalties(b *testing.B) {
	for _, e := range storagetest.Engines() {
		b.Run(e.Name, func(b *testing.B) { benchImport(b, e) })
	}
}

func benchImport(b *testing.B, e storagetest.Engine) {
	{
		db := e.Open(b, storagetest.Options{})
		ctx := authz.SystemContext(context.Background())
		o := seed.DefaultOptions()
		o.Entities = 2000
		if _, err := seed.Demo(ctx, db.Client, o); err != nil {
			b.Fatal(err)
		}
		ents, err := db.Client.MarketEntity.Query().Order(marketentity.ByID()).All(ctx)
		if err != nil {
			b.Fatal(err)
		}
		const rows = 5000
		im := &exchange.Importer{Client: db.Client, Ledger: db.Ledger, Workers: db.Target.Writers()}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			var buf bytes.Buffer
			w := csv.NewWriter(&buf)
			_ = w.Write(header)
			for r := 0; r < rows; r++ {
				x := ents[r%len(ents)]
				_ = w.Write([]string{x.Name, "法人及非法人组织", x.Uscc, "张三", fmt.Sprintf("苏市监罚〔2026〕B%d-%d号", i, r), "虚假宣传",
					"发布虚假广告", "《广告法》第五十五条", "警告；罚款", "警告，罚款2万元", "2", "2026/3/1", "江苏省市场监督管理局", "11320000014000003C",
					"江苏省市场监督管理局", "11320000014000003C", "一般"})
			}
			w.Flush()
			b.StartTimer()
			rep, err := im.Import(ctx, "penalties", "market-320000", &buf, exchange.CSV, exchange.GoodRows)
			if err != nil || rep.Imported != rows {
				b.Fatalf("%v %+v", err, rep)
			}
		}
		b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	}
}
