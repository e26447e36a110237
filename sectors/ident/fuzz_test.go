package ident

import (
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/authz/pii"
	"github.com/creditgraph/creditgraph/vocab"
)

// go test ./sectors/ident -run '^$' -fuzz FuzzValidateUSCC -fuzztime 60s
func FuzzValidateUSCC(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91350211M0000XUF46", "00000000000000000X", "9111000060003IOZSV",
		"", "9", "91320214745555318w", "9132-0214 7455 5531 8W", "中文中文中文中文中文中文中文中文中文"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, placeholder bool) {
		code := NormalizeUSCC(raw)
		if NormalizeUSCC(code) != code {
			t.Fatalf("NormalizeUSCC is not idempotent on %q", raw)
		}
		st, err := ValidateUSCC(code, placeholder)
		if err != nil {
			return
		}
		if st == USCCOK {
			c, cerr := USCCCheckChar(code[:17])
			if cerr != nil || c != code[17] {
				t.Fatalf("%q accepted as OK with a wrong check character", code)
			}
			if _, ok := EntityKindOf(code); !ok {
				t.Fatalf("%q accepted with an unknown kind", code)
			}
		}
	})
}

// go test ./sectors/ident -run '^$' -fuzz FuzzValidateIDNumber -fuzztime 60s
func FuzzValidateIDNumber(f *testing.F) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"11010519491231002X", "11010519491231002x", "440524188001010014", "110105194902300021", "", "E12345678"} {
		f.Add(s, string(vocab.IDResidentCard))
		f.Add(s, string(vocab.IDPassport))
	}
	f.Fuzz(func(t *testing.T, raw, typ string) {
		number := NormalizeIDNumber(raw)
		facts, err := ValidateIDNumber(vocab.IDType(typ), number, now)
		if err != nil || vocab.IDType(typ) != vocab.IDResidentCard {
			return
		}
		if facts.BirthDate.After(now) || len(number) != 18 {
			t.Fatalf("%q accepted with birth %v", number, facts.BirthDate)
		}
		if c, _ := ResidentIDCheckChar(number[:17]); c != number[17] {
			t.Fatalf("%q accepted with a wrong check character", number)
		}
		if m := pii.MaskIDNumber(number); strings.Contains(m, number[4:14]) {
			t.Fatalf("mask %q shows the middle of %q", m, number)
		}
	})
}
