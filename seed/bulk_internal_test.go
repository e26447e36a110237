package seed

import (
	"context"
	"testing"

	"github.com/creditgraph/creditgraph/authz"
	"github.com/creditgraph/creditgraph/storage/storagetest"
)

// BenchmarkBulkDraw measures the loader's own work per entity (drawing, sealing, evaluating),
// without the database writes.
//
//	go test ./seed -run '^$' -bench BulkDraw -benchmem
func BenchmarkBulkDraw(b *testing.B) {
	db := storagetest.OpenSQLite(b, storagetest.Options{})
	ctx := authz.SystemContext(context.Background())
	if err := Reference(ctx, db.Client); err != nil {
		b.Fatal(err)
	}
	l, err := newLoader(ctx, db, BulkOptions{Seed: 1, AsOf: DefaultOptions().AsOf, Cipher: storagetest.TestCipher()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.build(i, i+1000)
		i += 1000
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "entities/s")
}
