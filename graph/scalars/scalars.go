// Package scalars marshals the custom GraphQL scalars of the credit graph: Date (a calendar
// date, "2006-01-02") and Decimal (an exact amount, as a string, e.g. "12.5").
package scalars

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/shopspring/decimal"
)

// MarshalDate writes a date as "2006-01-02".
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.Format(time.DateOnly)))
	})
}

// UnmarshalDate reads "2006-01-02" (or an RFC 3339 time, whose calendar date is kept) as
// midnight UTC, so a date means the same day on every database.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("a date must be a string like 2024-05-31, got %T", v)
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date like 2024-05-31", s)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

// MarshalDecimal writes an exact amount as a string, so no client rounds it through a float.
func MarshalDecimal(d decimal.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(d.String()))
	})
}

// UnmarshalDecimal reads an amount given as a string or a number.
func UnmarshalDecimal(v any) (decimal.Decimal, error) {
	switch v := v.(type) {
	case string:
		d, err := decimal.NewFromString(v)
		if err != nil {
			return decimal.Decimal{}, fmt.Errorf("%q is not a decimal number", v)
		}
		return d, nil
	case json.Number:
		return decimal.NewFromString(v.String())
	case int:
		return decimal.NewFromInt(int64(v)), nil
	case int64:
		return decimal.NewFromInt(v), nil
	case float64:
		return decimal.NewFromFloat(v), nil
	default:
		return decimal.Decimal{}, fmt.Errorf("a decimal must be a string or a number, got %T", v)
	}
}
