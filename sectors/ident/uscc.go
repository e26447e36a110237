// Package ident validates the identifiers that key the credit graph: the Unified Social Credit
// Code of organisations (GB 32100-2015), the resident identity number of natural persons
// (GB 11643-1999) and GB/T 2260 administrative division codes. The algorithms are written from
// the formulas in the standards (see shared/domain.md §1); every function is pure so the rules
// can be table-tested with the standards' own test vectors.
package ident

import (
	"fmt"
	"strings"
	"unicode"
)

// usccCharset is the 31-character alphabet of GB 32100: digits and upper-case letters without
// I, O, S, V and Z. A character's value is its index.
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i-1) mod 31 for positions 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// PlaceholderUSCC is what 双公示 feeds file for an individual business that has no code; the
// registration number is then mandatory. It fails the mod-31 check, so it is special-cased.
const PlaceholderUSCC = "00000000000000000X"

// pilotCodes are legal early pilot codes that fail the checksum (domain.md §1.1). They are
// accepted with status USCCChecksumException.
var pilotCodes = map[string]bool{
	"91350211M0000XUF46": true,
	"91350100M0001TGQXM": true,
	"91350203M0001FUE2P": true,
}

// USCCStatus says how a code passed validation.
type USCCStatus string

const (
	// USCCOK passed every check.
	USCCOK USCCStatus = "OK"
	// USCCChecksumException fails the check character but is an allow-listed legal pilot code.
	USCCChecksumException USCCStatus = "CHECKSUM_EXCEPTION"
	// USCCPlaceholder is the 17-zeros-and-X placeholder of an individual business without a code.
	USCCPlaceholder USCCStatus = "PLACEHOLDER"
)

// stripSeparators removes what clerks type into codes: any white space (full-width spaces and
// line breaks included) and hyphens.
func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// NormalizeUSCC upper-cases a code and removes the spaces and hyphens clerks type into it.
func NormalizeUSCC(s string) string {
	return strings.ToUpper(stripSeparators(s))
}

// USCCCheckChar computes the check character of the first 17 characters of a code.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) < 17 {
		return 0, fmt.Errorf("needs 17 characters, got %d", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccCharset, first17[i])
		if v < 0 {
			return 0, fmt.Errorf("character %q at position %d is not allowed (letters I, O, S, V, Z are never used)", first17[i], i+1)
		}
		sum += v * usccWeights[i]
	}
	return usccCharset[(31-sum%31)%31], nil
}

// ValidateUSCC checks a normalised code: length, charset, registration-authority and
// entity-type codes, the division code's province, and the check character. It returns how the
// code passed, or an error whose message a department clerk can act on. The placeholder is
// refused unless allowPlaceholder is set (only penalty records may carry it).
func ValidateUSCC(code string, allowPlaceholder bool) (USCCStatus, error) {
	if code == PlaceholderUSCC {
		if allowPlaceholder {
			return USCCPlaceholder, nil
		}
		return "", fmt.Errorf("the placeholder %s is accepted only on penalty records of individual businesses with a registration number", PlaceholderUSCC)
	}
	if n := len([]rune(code)); n != 18 {
		return "", fmt.Errorf("a unified social credit code has 18 characters, got %d", n)
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(usccCharset, code[i]) < 0 {
			return "", fmt.Errorf("character %q at position %d is not allowed (letters I, O, S, V, Z are never used)", code[i], i+1)
		}
	}
	if _, ok := EntityKindOf(code); !ok {
		return "", fmt.Errorf("positions 1-2 %q are not a known registration authority and entity type", code[:2])
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", fmt.Errorf("positions 3-8 must be a division code of six digits, got %q", code[2:8])
		}
	}
	if err := ValidateDivisionCode(code[2:8]); err != nil {
		return "", fmt.Errorf("positions 3-8: %w", err)
	}
	want, _ := USCCCheckChar(code[:17])
	if want != code[17] {
		if pilotCodes[code] {
			return USCCChecksumException, nil
		}
		return "", fmt.Errorf("check character is %q but should be %q: the code is mistyped", code[17], want)
	}
	return USCCOK, nil
}

// OrgCode returns the organisation code embedded in a USCC (positions 9-17).
func OrgCode(uscc string) string {
	if len(uscc) != 18 {
		return ""
	}
	return uscc[8:17]
}

// orgWeights are the GB 11714 weights of the organisation-code body.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// OrgCodeCheckChar computes the GB 11714 check character of an 8-character organisation-code
// body (USCC positions 9-16): digits are worth 0-9 and letters A-Z 10-35.
func OrgCodeCheckChar(body string) (byte, error) {
	if len(body) != 8 {
		return 0, fmt.Errorf("an organisation-code body has 8 characters, got %d", len(body))
	}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return 0, fmt.Errorf("character %q at position %d is not allowed", c, i+1)
		}
		sum += v * orgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', nil
	case 11:
		return '0', nil
	default:
		return byte('0' + c), nil
	}
}
