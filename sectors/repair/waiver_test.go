package repair

import (
	"testing"

	"github.com/creditgraph/creditgraph/vocab"
)

// A waiver needs every circumstance of one of its sets (domain.md §5.1; the sets are the
// REPAIR_WAIVERS rows, data with dates).
func TestWaivedNeedsAWholeSet(t *testing.T) {
	scale := vocab.ScaleParams{Waivers: [][]string{{"EPIDEMIC"}, {"FIRST_OFFENCE", "NO_SUBJECTIVE_INTENT"}}}
	tests := []struct {
		flags []vocab.MitigationFlag
		want  bool
	}{
		{nil, false},
		{[]vocab.MitigationFlag{vocab.Epidemic}, true},
		{[]vocab.MitigationFlag{vocab.FirstOffence}, false},
		{[]vocab.MitigationFlag{vocab.NoSubjectiveIntent, vocab.FirstOffence}, true},
		{[]vocab.MitigationFlag{vocab.BankruptcyRestructuring}, false}, // not a waiver in this version
	}
	for _, tt := range tests {
		if got := waived(scale, tt.flags); got != tt.want {
			t.Errorf("waived(%v) = %v, want %v", tt.flags, got, tt.want)
		}
	}
	if waived(vocab.ScaleParams{Waivers: [][]string{{}}}, nil) {
		t.Error("an empty set waives nothing")
	}
}
