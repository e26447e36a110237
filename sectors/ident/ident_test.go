package ident

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/vocab"
)

var now = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

func TestValidateUSCC(t *testing.T) {
	tests := []struct {
		in          string
		placeholder bool
		want        USCCStatus
		errHas      string
	}{
		{in: "91350100M000100Y43", want: USCCOK},
		{in: "91110000600037341L", want: USCCOK},
		{in: "91320214745555318W", want: USCCOK},
		{in: "913205056082348768", want: USCCOK},
		{in: "121200004013590816", want: USCCOK},
		{in: "91152201078391769Y", want: USCCOK},
		{in: "91620105L015101280", want: USCCOK},
		{in: "914403001922038216", want: USCCOK},
		{in: "91350211M0000XUF46", want: USCCChecksumException},
		{in: "91350100M0001TGQXM", want: USCCChecksumException},
		{in: "91350203M0001FUE2P", want: USCCChecksumException},
		{in: PlaceholderUSCC, placeholder: true, want: USCCPlaceholder},
		{in: PlaceholderUSCC, errHas: "placeholder"},
		{in: "91350100M000100Y4Z", errHas: "not allowed"},
		{in: "91350100M000100Y42", errHas: "should be '3'"},
		{in: "91110000600037341N", errHas: "should be 'L'"},
		{in: "A1110000600037341L", errHas: "should be 'K'"},
		{in: "94110000600037341L", errHas: "positions 1-2"},
		{in: "9111000060003IOZSV", errHas: "not allowed"},
		{in: "9111000060003734", errHas: "18 characters"},
		{in: "91329999600037341L", errHas: "not a Jiangsu division"},
		{in: "91990000600037341L", errHas: "province code"},
	}
	for _, tt := range tests {
		got, err := ValidateUSCC(tt.in, tt.placeholder)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("ValidateUSCC(%q) error = %v, want one containing %q", tt.in, err, tt.errHas)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ValidateUSCC(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestUSCCCheckCharWorkedExample(t *testing.T) {
	// GB 32100's worked example: S = 1640, 1640 mod 31 = 28, 31-28 = 3.
	c, err := USCCCheckChar("91350100M000100Y4")
	if err != nil || c != '3' {
		t.Fatalf("USCCCheckChar = %q, %v; want '3'", c, err)
	}
}

func TestNormalizeUSCC(t *testing.T) {
	if got := NormalizeUSCC(" 9132-0214 7455 5531 8w "); got != "91320214745555318W" {
		t.Errorf("NormalizeUSCC = %q", got)
	}
}

func TestEntityKindOf(t *testing.T) {
	tests := map[string]vocab.EntityKind{
		"91320214745555318W": vocab.KindEnterprise, "92320214745555318W": vocab.KindIndividualBusiness,
		"121200004013590816": vocab.KindPublicInstitution, "N3": vocab.KindCollectiveEconomicTown, "Y1": vocab.KindOther,
	}
	for in, want := range tests {
		if got, ok := EntityKindOf(in); !ok || got != want {
			t.Errorf("EntityKindOf(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := EntityKindOf("94"); ok {
		t.Error("EntityKindOf(94) accepted an unknown type")
	}
}

func TestValidateResidentID(t *testing.T) {
	tests := []struct {
		in     string
		gender vocab.Gender
		birth  string
		errHas string
	}{
		{in: "11010519491231002X", gender: vocab.GenderFemale, birth: "1949-12-31"},
		{in: "440524188001010014", gender: vocab.GenderMale, birth: "1880-01-01"},
		{in: "34052419800101001X", gender: vocab.GenderMale, birth: "1980-01-01"},
		{in: "360426199101010071", gender: vocab.GenderMale, birth: "1991-01-01"},
		{in: "110105194912310021", errHas: "should be 'X'"},
		{in: "110105194913310020", errHas: "not a real birth date"},
		{in: "110105202712310020", errHas: "in the future"},
		{in: "990105194912310021", errHas: "province code"},
		{in: "11010519491231002", errHas: "18 characters"},
		{in: "1101051949123100AX", errHas: "must be a digit"},
	}
	for _, tt := range tests {
		got, err := ValidateResidentID(tt.in, now)
		if tt.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("ValidateResidentID(%q) error = %v, want one containing %q", tt.in, err, tt.errHas)
			}
			continue
		}
		if err != nil || got.Gender != tt.gender || got.BirthDate.Format(time.DateOnly) != tt.birth {
			t.Errorf("ValidateResidentID(%q) = %+v, %v; want %s %s", tt.in, got, err, tt.gender, tt.birth)
		}
	}
}

func TestValidateIDNumberOtherTypes(t *testing.T) {
	if _, err := ValidateIDNumber(vocab.IDPassport, "E12345678", now); err != nil {
		t.Errorf("passport: %v", err)
	}
	if _, err := ValidateIDNumber(vocab.IDPassport, "E1", now); err == nil {
		t.Error("short passport number accepted")
	}
	if _, err := ValidateIDNumber(vocab.IDHMTResidencePermit, "11010519491231002X", now); err == nil {
		t.Error("residence permit without 81/82/83 prefix accepted")
	}
}

func TestDivisions(t *testing.T) {
	if n := len(JiangsuCities()); n != 13 {
		t.Errorf("Jiangsu has 13 prefecture-level cities, got %d", n)
	}
	d, ok := LookupDivision("320800")
	if !ok || d.Name != "淮安市" || len(d.FormerNames) != 1 || d.FormerNames[0] != "淮阴市" {
		t.Errorf("LookupDivision(320800) = %+v, %v", d, ok)
	}
	d, ok = LookupDivision("320114")
	if !ok || d.Name != "雨花台区" || d.CityCode != "320100" || d.Level != LevelCounty {
		t.Errorf("LookupDivision(320114) = %+v, %v", d, ok)
	}
	if err := ValidateDivisionCode("320103"); err != nil { // abolished in 2013, still valid on old codes
		t.Errorf("320103: %v", err)
	}
}

// Today's county-level divisions (domain.md §1.3): 95 in the 13 cities — 55 districts, 21
// county-level cities, 19 counties — each current code known, named as its latest name in the
// history except the two the history predates (Nantong, 2020); abolished codes are valid but
// not current.
func TestCurrentDivisions(t *testing.T) {
	kinds := map[string]int{}
	perCity := map[string]int{}
	for _, d := range JiangsuDivisions() {
		if d.Level != LevelCounty || !d.Current {
			continue
		}
		perCity[d.CityCode]++
		switch r := []rune(d.Name); r[len(r)-1] {
		case '区':
			kinds["district"]++
		case '市':
			kinds["city"]++
		case '县':
			kinds["county"]++
		}
	}
	if kinds["district"] != 55 || kinds["city"] != 21 || kinds["county"] != 19 {
		t.Errorf("current county-level divisions %v, want 55 districts, 21 county-level cities, 19 counties", kinds)
	}
	for _, c := range JiangsuCities() {
		if perCity[c.Code] < 5 || !c.Current {
			t.Errorf("city %s %s: %d current county-level divisions", c.Code, c.Name, perCity[c.Code])
		}
	}
	for code, want := range map[string]struct {
		name    string
		current bool
	}{
		"320103": {"白下区", false}, "320104": {"秦淮区", true}, "320602": {"崇川区", false}, "320613": {"崇川区", true},
		"320614": {"海门区", true}, "320684": {"海门市", false}, "320584": {"吴江市", false}, "320509": {"吴江区", true},
		"322700": {"", false},
	} {
		d, ok := LookupDivision(code)
		if want.name == "" {
			if ok && d.Current {
				t.Errorf("%s (a 1980s prefecture) is current", code)
			}
			continue
		}
		if !ok || d.Name != want.name || d.Current != want.current {
			t.Errorf("%s = %+v, want %s current=%v", code, d, want.name, want.current)
		}
	}
}

func TestOrgCodeCheckChar(t *testing.T) {
	// Every valid vector of domain.md §1.1 also passes the inner GB 11714 check.
	for _, code := range []string{"91350100M000100Y43", "91110000600037341L", "91320214745555318W", "913205056082348768",
		"121200004013590816", "91152201078391769Y", "91620105L015101280", "914403001922038216"} {
		c, err := OrgCodeCheckChar(code[8:16])
		if err != nil || c != code[16] {
			t.Errorf("OrgCodeCheckChar(%q) = %q, %v; want %q", code[8:16], c, err, code[16])
		}
	}
}

// The vocabulary's list of kinds is GB 32100's, in the order of its codes: every kind the
// code table knows is in it once, and nothing else.
func TestEntityKindValuesFollowTheCodeTable(t *testing.T) {
	var want []string
	seen := map[vocab.EntityKind]bool{}
	for _, code := range []string{"11", "12", "13", "21", "31", "32", "33", "34", "35", "41", "51", "52", "53",
		"61", "62", "71", "72", "81", "91", "92", "93", "A1", "N1", "N2", "N3", "Y1"} {
		k, ok := EntityKindOf(code)
		if !ok {
			t.Fatalf("code %s has no kind", code)
		}
		if !seen[k] {
			seen[k] = true
			want = append(want, string(k))
		}
	}
	if got := vocab.EntityKind("").Values(); !slices.Equal(got, want) {
		t.Errorf("vocab.EntityKind.Values() = %v, want %v", got, want)
	}
}
