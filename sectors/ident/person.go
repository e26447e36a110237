package ident

import (
	"fmt"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/vocab"
)

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// ResidentIDCheckChar computes the GB 11643 check character of the first 17 digits.
func ResidentIDCheckChar(first17 string) (byte, error) {
	if len(first17) < 17 {
		return 0, fmt.Errorf("needs 17 digits, got %d", len(first17))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		d := first17[i]
		if d < '0' || d > '9' {
			return 0, fmt.Errorf("position %d must be a digit, got %q", i+1, d)
		}
		sum += int(d-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11], nil
}

// PersonFacts are what a resident identity number tells about its holder.
type PersonFacts struct {
	BirthDate    time.Time
	Gender       vocab.Gender
	DivisionCode string // address code at issue time
}

// NormalizeIDNumber trims spaces and upper-cases a trailing x.
func NormalizeIDNumber(s string) string {
	return strings.ToUpper(stripSeparators(s))
}

// ValidateResidentID checks a normalised 18-character resident identity number: digits, an
// existing province prefix, a real birth date not after now, and the check character.
func ValidateResidentID(id string, now time.Time) (PersonFacts, error) {
	if len(id) != 18 {
		return PersonFacts{}, fmt.Errorf("a resident identity number has 18 characters, got %d", len([]rune(id)))
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return PersonFacts{}, fmt.Errorf("position %d must be a digit, got %q", i+1, id[i])
		}
	}
	if c := id[17]; (c < '0' || c > '9') && c != 'X' {
		return PersonFacts{}, fmt.Errorf("the last character must be a digit or X, got %q", c)
	}
	if !residentPrefix(id[:2]) {
		return PersonFacts{}, fmt.Errorf("%q is not a province code", id[:2])
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil {
		return PersonFacts{}, fmt.Errorf("positions 7-14 %q are not a real birth date", id[6:14])
	}
	if birth.After(now) {
		return PersonFacts{}, fmt.Errorf("birth date %s is in the future", birth.Format(time.DateOnly))
	}
	if birth.Year() < 1880 {
		return PersonFacts{}, fmt.Errorf("birth date %s is too early", birth.Format(time.DateOnly))
	}
	want, _ := ResidentIDCheckChar(id[:17])
	if want != id[17] {
		return PersonFacts{}, fmt.Errorf("check character is %q but should be %q: the number is mistyped", id[17], want)
	}
	g := vocab.GenderFemale
	if (id[16]-'0')%2 == 1 {
		g = vocab.GenderMale
	}
	return PersonFacts{BirthDate: birth, Gender: g, DivisionCode: id[:6]}, nil
}

// ValidateIDNumber checks an ID number for its type: resident IDs and residence permits fully,
// other documents for a plausible length and charset.
func ValidateIDNumber(t vocab.IDType, number string, now time.Time) (PersonFacts, error) {
	switch t {
	case vocab.IDResidentCard:
		return ValidateResidentID(number, now)
	case vocab.IDHMTResidencePermit:
		if len(number) != 18 || (number[:2] != "81" && number[:2] != "82" && number[:2] != "83") {
			return PersonFacts{}, fmt.Errorf("a residence permit number has 18 characters and starts with 810000, 820000 or 830000")
		}
		return ValidateResidentID(number, now)
	default:
		if n := len(number); n < 5 || n > 20 {
			return PersonFacts{}, fmt.Errorf("a document number has 5 to 20 characters, got %d", len([]rune(number)))
		}
		for _, r := range number {
			if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r == '(' || r == ')') {
				return PersonFacts{}, fmt.Errorf("character %q is not allowed in a document number", r)
			}
		}
		return PersonFacts{}, nil
	}
}

// residentPrefix reports whether a resident identity number may start with p: a province's
// code (the USCC's central-authority prefix 10 is not one).
func residentPrefix(p string) bool { return p != "10" && provincePrefixes[p] }
