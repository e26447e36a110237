package pii

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenHash(t *testing.T) {
	key := make([]byte, KeySize)
	key[0] = 7
	c, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := c.Seal("11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	if sealed == "11010519491231002X" {
		t.Fatal("Seal returned the plain text")
	}
	again, _ := c.Seal("11010519491231002X")
	if again == sealed {
		t.Error("two seals of the same value are equal: the nonce is not random")
	}
	if got, err := c.Open(sealed); err != nil || got != "11010519491231002X" {
		t.Errorf("Open = %q, %v", got, err)
	}
	other, _ := New(make([]byte, KeySize))
	if _, err := other.Open(sealed); err == nil {
		t.Error("a different key opened the value")
	}
	if c.Hash("RESIDENT_ID", "1") != c.Hash("RESIDENT_ID", "1") || c.Hash("RESIDENT_ID", "1") == other.Hash("RESIDENT_ID", "1") {
		t.Error("Hash is not deterministic per key, or not keyed")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	k1, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("first load = %d bytes, %v, %v", len(k1), created, err)
	}
	k2, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || string(k1) != string(k2) {
		t.Fatalf("second load = %v, %v; want the same key", created, err)
	}
	if _, err := ParseKey("short"); err == nil {
		t.Error("ParseKey accepted a short key")
	}
}

// domain.md §10: an 18-character number shows its first and last four; a short document (≤ 9
// characters, and anything shorter than 18) shows at most a third of its characters.
func TestMaskIDNumber(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"32050219800101123X", "3205**********123X"},
		{"E12345678", "E******78"},     // a passport: 9 characters, 3 shown
		{"12345678", "1******8"},       // 8: 2 shown
		{"H1234567890", "H********90"}, // 11: 3 shown
		{"AB", "**"},
		{"", ""},
	} {
		if got := MaskIDNumber(tt.in); got != tt.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for n := 0; n <= 17; n++ {
		in := strings.Repeat("9", n)
		if shown := strings.Count(MaskIDNumber(in), "9"); shown > n/3 {
			t.Errorf("a %d-character number shows %d characters, more than a third", n, shown)
		}
	}
}

// Masking a stored mask gives the current mask of the number (or hides more, where the earlier
// rule hid everything), so persons masked under the earlier rule (first and last four characters
// of anything over eight) read as the current rule says without re-sealing anything; and masking
// is idempotent.
func TestMaskingAMaskIsTheCurrentMask(t *testing.T) {
	earlier := func(s string) string {
		if len(s) <= 8 {
			return strings.Repeat("*", len(s))
		}
		return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
	}
	for n := 0; n <= 18; n++ {
		number := "ABCDEFGHJKLMNPQRSTUVWXYZ"[:n]
		want := MaskIDNumber(number)
		if n <= 8 { // the earlier rule hid everything: re-masking keeps it hidden, never shows more
			want = strings.Repeat("*", n)
		}
		if got := MaskIDNumber(earlier(number)); got != want {
			t.Errorf("%d characters: re-masking the earlier mask %q gives %q, want %q", n, earlier(number), got, want)
		}
		if got := MaskIDNumber(MaskIDNumber(number)); got != MaskIDNumber(number) {
			t.Errorf("%d characters: masking is not idempotent: %q → %q", n, MaskIDNumber(number), got)
		}
	}
}
