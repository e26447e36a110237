package exchange

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Format is a file's format.
type Format string

// The formats departments export.
const (
	XLSX Format = "XLSX"
	CSV  Format = "CSV"
)

// FormatOf tells the format from a file name: .xlsx, or .csv/.txt.
func FormatOf(name string) (Format, error) {
	switch n := strings.ToLower(name); {
	case strings.HasSuffix(n, ".xlsx"):
		return XLSX, nil
	case strings.HasSuffix(n, ".csv"), strings.HasSuffix(n, ".txt"):
		return CSV, nil
	}
	return "", fmt.Errorf("%q: import reads .xlsx and .csv files", name)
}

// rows reads a file's rows one at a time: the header first. It streams, so a large file is never
// held in memory whole.
type rows interface {
	Next() ([]string, error) // io.EOF after the last row
	Close() error
}

// openRows opens r as format. A CSV file may be UTF-8 (with or without a byte-order mark) or
// GB18030, which many government systems still write: the encoding is told from the first
// 64 KiB (GB18030 Chinese is practically never valid UTF-8).
func openRows(r io.Reader, format Format) (rows, error) {
	switch format {
	case XLSX:
		b, err := io.ReadAll(r) // a workbook is a zip, read from its end: not a stream
		if err != nil {
			return nil, err
		}
		if err := checkParts(b); err != nil {
			return nil, err
		}
		f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: maxUnzipped})
		if err != nil {
			return nil, fmt.Errorf("the file is not a readable XLSX workbook: %w", err)
		}
		sheet := f.GetSheetName(0)
		it, err := f.Rows(sheet)
		if err != nil {
			f.Close()
			return nil, err
		}
		return &xlsxRows{f: f, it: it}, nil
	case CSV:
		br := bufio.NewReaderSize(r, 64<<10)
		head, _ := br.Peek(64 << 10)
		var src io.Reader = br
		if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
			_, _ = br.Discard(3)
		} else if !validUTF8Prefix(head) {
			src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
		}
		cr := csv.NewReader(src)
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		return csvRows{cr}, nil
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// What a workbook may unpack to. excelize unpacks its sheets and shared strings to temporary
// files past 16 MiB, and every other part into memory, up to 16 GiB in all unless told: a few
// megabytes of zipped zeros under any part name would take the server's memory. A sheet of
// Excel's 1,048,576 rows by the national layouts' columns is well under the total.
const (
	maxUnzipped = 2 << 30  // all parts
	maxPart     = 16 << 20 // a part other than a sheet or the shared strings
)

// checkParts refuses a workbook whose parts unpack to more than the limits, from the sizes its
// zip directory declares (archive/zip fails a part that unpacks to more than it declared).
func checkParts(b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return fmt.Errorf("the file is not a readable XLSX workbook: %w", err)
	}
	var total uint64
	for _, p := range zr.File {
		total += p.UncompressedSize64
		name := strings.ToLower(p.Name)
		bulky := strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml"
		if !bulky && p.UncompressedSize64 > maxPart {
			return fmt.Errorf("the workbook's part %.60q unpacks to %d MiB, more than a workbook's part other than a sheet has (%d MiB)", p.Name, p.UncompressedSize64>>20, maxPart>>20)
		}
		if total > maxUnzipped {
			return fmt.Errorf("the workbook unpacks to more than %d GiB; split the file", maxUnzipped>>30)
		}
	}
	return nil
}

// validUTF8Prefix reports whether b is UTF-8, allowing a character cut at its end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

type csvRows struct{ r *csv.Reader }

func (c csvRows) Next() ([]string, error) {
	rec, err := c.r.Read()
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("line %d: %w", pe.Line, pe.Err)
	}
	// A file whose first 64 KiB were plain ASCII was taken for UTF-8; a later GB18030 field
	// is not valid UTF-8, and is decoded as what it is.
	for i, f := range rec {
		if !utf8.ValidString(f) {
			if d, err := simplifiedchinese.GB18030.NewDecoder().String(f); err == nil {
				rec[i] = d
			}
		}
	}
	return rec, err
}

func (csvRows) Close() error { return nil }

type xlsxRows struct {
	f  *excelize.File
	it *excelize.Rows
}

func (x *xlsxRows) Next() ([]string, error) {
	if !x.it.Next() {
		if err := x.it.Error(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	// Raw values: a date cell is its serial day number (ParseDate reads it), not the text its
	// display format happens to give (3/1/26).
	return x.it.Columns(excelize.Options{RawCellValue: true})
}

func (x *xlsxRows) Close() error {
	_ = x.it.Close()
	return x.f.Close()
}

// ReadAll reads every row of a file, the header first: for tools and tests; imports stream.
func ReadAll(r io.Reader, format Format) ([][]string, error) {
	rs, err := openRows(r, format)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out [][]string
	for {
		row, err := rs.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
}
