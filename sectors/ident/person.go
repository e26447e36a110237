package ident

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/creditgraph/creditgraph/sectors"
)

// IDType is the kind of identity document (证件类型) a natural person is recorded with. Only
// resident identity numbers and residence permits carry a checksum.
type IDType string

const (
	IDResidentCard         IDType = "RESIDENT_ID"                 // 居民身份证
	IDHMTResidencePermit   IDType = "HMT_RESIDENCE_PERMIT"        // 港澳台居民居住证 (81/82/83 prefix, same checksum)
	IDPassport             IDType = "PASSPORT"                    // 护照
	IDHKMacaoPermit        IDType = "HK_MACAO_TRAVEL_PERMIT"      // 港澳居民来往内地通行证
	IDTaiwanPermit         IDType = "TAIWAN_TRAVEL_PERMIT"        // 台湾居民来往大陆通行证
	IDForeignPermanentCard IDType = "FOREIGN_PERMANENT_RESIDENCE" // 外国人永久居留身份证
	IDOther                IDType = "OTHER"                       // 其他
)

// Values lists every ID type; ent uses it to declare the enum column.
func (IDType) Values() []string {
	return []string{string(IDResidentCard), string(IDHMTResidencePermit), string(IDPassport),
		string(IDHKMacaoPermit), string(IDTaiwanPermit), string(IDForeignPermanentCard), string(IDOther)}
}

// MarshalGQL writes the type as a GraphQL enum value.
func (t IDType) MarshalGQL(w io.Writer) { sectors.MarshalEnum(w, string(t)) }

// UnmarshalGQL reads a GraphQL enum value.
func (t *IDType) UnmarshalGQL(v any) error { return sectors.UnmarshalEnum(v, t, "ID type") }

// Gender as encoded in the sequence digits of a resident identity number.
type Gender string

const (
	GenderMale   Gender = "MALE"
	GenderFemale Gender = "FEMALE"
)

// Values lists the genders; ent uses it to declare the enum column.
func (Gender) Values() []string { return []string{string(GenderMale), string(GenderFemale)} }

// MarshalGQL writes the gender as a GraphQL enum value.
func (g Gender) MarshalGQL(w io.Writer) { sectors.MarshalEnum(w, string(g)) }

// UnmarshalGQL reads a GraphQL enum value.
func (g *Gender) UnmarshalGQL(v any) error { return sectors.UnmarshalEnum(v, g, "gender") }

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
	Gender       Gender
	DivisionCode string // address code at issue time
}

// residentPrefixes are the provincial codes a resident identity number may start with.
var residentPrefixes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
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
	if !residentPrefixes[id[:2]] {
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
	g := GenderFemale
	if (id[16]-'0')%2 == 1 {
		g = GenderMale
	}
	return PersonFacts{BirthDate: birth, Gender: g, DivisionCode: id[:6]}, nil
}

// ValidateIDNumber checks an ID number for its type: resident IDs and residence permits fully,
// other documents for a plausible length and charset.
func ValidateIDNumber(t IDType, number string, now time.Time) (PersonFacts, error) {
	switch t {
	case IDResidentCard:
		return ValidateResidentID(number, now)
	case IDHMTResidencePermit:
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

// MaskIDNumber keeps the first 4 and last 4 characters (3205**********123X).
func MaskIDNumber(s string) string {
	if len(s) <= 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + strings.Repeat("*", len(s)-8) + s[len(s)-4:]
}

// MaskName keeps a person's surname (the first character) and stars the rest: 张三丰 → 张**.
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", max(len(r)-1, 1))
}
