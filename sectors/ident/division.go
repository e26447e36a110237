package ident

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// jiangsuCSV is GB/T 2260 for Jiangsu, every name each code has had: code,year,name where year
// is the first year the name was listed (copied from shared/data).
//
//go:embed gbt2260_jiangsu.csv
var jiangsuCSV string

// currentCSV lists the county-level divisions of Jiangsu today (95: 55 districts, 21 county-level
// cities, 19 counties, after the 2020 changes in Nantong): code,name,year, where year is given
// for a code the history above does not list yet (崇川区 320613 and 海门区 320614, 2020). It is
// our transcription of the Ministry of Civil Affairs' list [R: to confirm against the current
// GB/T 2260 release]; new entities are registered in these, while every code ever listed stays
// valid for existing codes.
//
//go:embed gbt2260_jiangsu_current.csv
var currentCSV string

// Division is one Jiangsu division code with its latest name and the names it had before.
type Division struct {
	Code        string
	Name        string // latest name
	Since       int    // year the latest name was first listed
	FormerNames []string
	Level       DivisionLevel
	CityCode    string // the prefecture-level city it belongs to (itself for a city)
	// Current is true for the province, its 13 cities and today's county-level divisions;
	// false for codes abolished since (白下区 320103, merged in 2013, and the like).
	Current bool
}

// DivisionLevel is the administrative level of a division code.
type DivisionLevel string

const (
	LevelProvince DivisionLevel = "PROVINCE"
	LevelCity     DivisionLevel = "CITY"
	LevelCounty   DivisionLevel = "COUNTY"
)

var loadDivisions = sync.OnceValue(func() []Division {
	rows, err := csv.NewReader(strings.NewReader(jiangsuCSV)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("embedded gbt2260_jiangsu.csv: %v", err)) // a build defect, caught by tests
	}
	type name struct {
		year int
		name string
	}
	byCode := map[string][]name{}
	for _, r := range rows {
		y, err := strconv.Atoi(r[1])
		if err != nil || len(r[0]) != 6 {
			panic(fmt.Sprintf("embedded gbt2260_jiangsu.csv: bad row %v", r))
		}
		byCode[r[0]] = append(byCode[r[0]], name{y, r[2]})
	}
	current, err := csv.NewReader(strings.NewReader(currentCSV)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("embedded gbt2260_jiangsu_current.csv: %v", err))
	}
	isCurrent := map[string]bool{}
	for _, r := range current {
		isCurrent[r[0]] = true
		if _, listed := byCode[r[0]]; listed {
			continue
		}
		y, err := strconv.Atoi(r[2])
		if err != nil || len(r[0]) != 6 {
			panic(fmt.Sprintf("embedded gbt2260_jiangsu_current.csv: a code the history lacks needs its year: %v", r))
		}
		byCode[r[0]] = append(byCode[r[0]], name{y, r[1]})
	}
	out := make([]Division, 0, len(byCode))
	for code, names := range byCode {
		sort.Slice(names, func(i, j int) bool { return names[i].year < names[j].year })
		d := Division{Code: code, Name: names[len(names)-1].name, Since: names[len(names)-1].year}
		for _, n := range names[:len(names)-1] {
			d.FormerNames = append(d.FormerNames, n.name)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	known := map[string]bool{}
	for _, d := range out {
		known[d.Code] = true
	}
	for i := range out {
		c := out[i].Code
		switch {
		case c[2:] == "0000":
			out[i].Level, out[i].CityCode, out[i].Current = LevelProvince, "", true
		case c[4:] == "00":
			out[i].Level, out[i].CityCode, out[i].Current = LevelCity, c, c[2:4] <= "13"
		default:
			out[i].Level, out[i].Current = LevelCounty, isCurrent[c]
			if city := c[:4] + "00"; known[city] {
				out[i].CityCode = city
			} else {
				// Province-administered county-level cities (32 90xx) belong to no city.
				out[i].CityCode = ""
			}
		}
	}
	return out
})

// JiangsuDivisions lists every Jiangsu division code ever issued, sorted by code.
func JiangsuDivisions() []Division { return loadDivisions() }

// JiangsuCities lists today's 13 prefecture-level cities (3201-3213); the 1980s prefectures
// (地区, 3221-3227) stay valid codes but are not cities to filter by.
func JiangsuCities() []Division {
	var out []Division
	for _, d := range JiangsuDivisions() {
		if d.Level == LevelCity && d.Code[2:4] <= "13" {
			out = append(out, d)
		}
	}
	return out
}

// LookupDivision finds a Jiangsu division by code.
func LookupDivision(code string) (Division, bool) {
	ds := JiangsuDivisions()
	i := sort.Search(len(ds), func(i int) bool { return ds[i].Code >= code })
	if i < len(ds) && ds[i].Code == code {
		return ds[i], true
	}
	return Division{}, false
}

// provincePrefixes are the first two digits of GB/T 2260 provincial-level codes; 10 is used by
// central registration authorities.
var provincePrefixes = map[string]bool{
	"10": true,
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true, "83": true,
}

// ValidateDivisionCode accepts a six-digit code of any province; a Jiangsu code (32xxxx) must be
// one that GB/T 2260 has listed at some time, since a code keeps the division of issue time.
func ValidateDivisionCode(code string) error {
	if len(code) != 6 {
		return fmt.Errorf("a division code has 6 digits, got %q", code)
	}
	for i := 0; i < 6; i++ {
		if code[i] < '0' || code[i] > '9' {
			return fmt.Errorf("a division code has 6 digits, got %q", code)
		}
	}
	if !provincePrefixes[code[:2]] {
		return fmt.Errorf("%q does not start with a province code", code)
	}
	if code[:2] == "32" {
		if _, ok := LookupDivision(code); !ok {
			return fmt.Errorf("%q is not a Jiangsu division code (GB/T 2260)", code)
		}
	}
	return nil
}
