package ident

import (
	"testing"
	"time"
)

// go test ./sectors/ident -run '^$' -bench . -benchmem
func BenchmarkValidateUSCC(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ValidateUSCC(NormalizeUSCC("91320214745555318W"), false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateResidentID(b *testing.B) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ValidateResidentID("11010519491231002X", now); err != nil {
			b.Fatal(err)
		}
	}
}
