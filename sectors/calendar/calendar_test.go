package calendar_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/creditgraph/creditgraph/sectors/calendar"
	"github.com/creditgraph/creditgraph/sectors/exchange"
)

// A notice typed by an office: Chinese headers, 休 and 班, in GB18030 as Excel saves CSV on a
// Chinese Windows, dates in the forms departments write; blank lines skipped. The same file in
// UTF-8 with English headers reads the same.
func TestParseReadsANoticeAsOfficesWriteIt(t *testing.T) {
	zh := "日期,类型,名称\n2027-01-01,休,元旦\n\n2027/2/6,班,春节调休\n2027年2月8日,休,春节\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(zh)
	if err != nil {
		t.Fatal(err)
	}
	en := "name,date,type\n元旦,2027-01-01,holiday\n春节调休,2027-02-06,Workday\n春节,20270208,HOLIDAY\n"
	for name, file := range map[string]string{"GB18030": gb, "UTF-8": en} {
		days, err := calendar.Parse(strings.NewReader(file), exchange.CSV)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, d := range days {
			got = append(got, d.Date.Format(time.DateOnly)+map[bool]string{false: "休", true: "班"}[d.Working]+d.Name)
		}
		if want := "2027-01-01休元旦 2027-02-06班春节调休 2027-02-08休春节"; strings.Join(got, " ") != want {
			t.Errorf("%s: read %v, want %s", name, got, want)
		}
	}
}

// Every problem of a file is reported with its line and column, and a file with any is
// refused whole: one case for each check.
func TestParseNamesEveryProblem(t *testing.T) {
	const header = "日期,类型,名称\n"
	for _, tt := range []struct{ file, want string }{
		{"", "empty"},
		{header, "no days"},
		{"日期,名称\n2027-01-01,元旦\n", "line 1: the header has no column type (类型)"},
		{header + "2027-13-01,休,元旦\n", "line 2, date:"},
		{header + "2027-01-01,放假,元旦\n", `line 2, type: "放假" is neither`},
		{header + "2027-01-01,休,\n", "line 2, name: is empty"},
		{header + "2027-01-01,休," + strings.Repeat("节", 22) + "\n", "line 2, name: is longer than 64 bytes"},
		{header + "2027-01-04,班,元旦调休\n", "line 2, type: 2027-01-04 is a Monday"},
		{header + "2027-01-01,休,元旦\n2027/1/1,休,元旦\n", "line 3, date: 2027-01-01 is on line 2 already"},
		{header + "2027-01-01,休,元旦\n2027-01-02,假,元旦\n2027-01-05,班,调休\n", "line 3, type"},
	} {
		_, err := calendar.Parse(bytes.NewReader([]byte(tt.file)), exchange.CSV)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want one with %q", tt.file, err, tt.want)
		}
	}
	// All of a file's problems at once, not the first only.
	_, err := calendar.Parse(strings.NewReader(header+"2027-01-01,假,元旦\n2027-01-05,班,调休\n"), exchange.CSV)
	if err == nil || !strings.Contains(err.Error(), "line 2, type") || !strings.Contains(err.Error(), "line 3, type") {
		t.Errorf("two bad lines: %v", err)
	}
}
