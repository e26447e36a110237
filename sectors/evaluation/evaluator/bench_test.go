package evaluator_test

import (
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/ent/marketentity"
	"github.com/creditgraph/creditgraph/sectors/evaluation/evaluator"
	"github.com/creditgraph/creditgraph/storage/storagetest"
	"github.com/creditgraph/creditgraph/vocab"
)

// BenchmarkRecompute evaluates and stores 500 of the demo's entities per iteration, as one
// batch of an import or of the daily job does, in a transaction rolled back after; on each
// iteration the clock moves a month on, so records lapse and tiers change as they would.
// entities/s is the figure.
//
//	go test ./sectors/evaluation/evaluator -run '^$' -bench Recompute
func BenchmarkRecompute(b *testing.B) {
	for _, e := range storagetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			db, ctx := demo(b, e, 2000)
			ids, err := db.Client.MarketEntity.Query().Order(marketentity.ByID()).IDs(ctx)
			if err != nil {
				b.Fatal(err)
			}
			const batch = 500
			start := time.Now().UTC()
			i := 0
			for b.Loop() {
				clock := vocab.FixedClock(start.AddDate(0, i%36, 0))
				chunk := ids[(i*batch)%len(ids):][:batch]
				i++
				tx, err := db.Client.Tx(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := evaluator.Recompute(ctx, tx.Client(), clock, chunk...); err != nil {
					b.Fatal(err)
				}
				if err := tx.Rollback(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "entities/s")
		})
	}
}
