package ledger

import (
	"context"
	"fmt"
	"math"
	"time"

	"entgo.io/ent"
	"github.com/shopspring/decimal"

	"github.com/creditgraph/creditgraph/derrors"
)

// Bounds every written value keeps, so both engines give the same answer: MySQL refuses what
// its DECIMAL(18,6) and DATE columns cannot hold while SQLite would store it (and +Inf, which
// then breaks every page that includes the row).
var (
	// maxAmount is the largest amount a DECIMAL(18,6) column holds (in 10,000 CNY).
	maxAmount = decimal.RequireFromString("999999999999.999999")
	// amountPlaces is how many decimal places an amount keeps.
	amountPlaces int32 = 6
	// firstYear and lastYear bound every date and instant: nothing the credit system records
	// happened before 1900 or is planned after 2200.
	firstYear, lastYear = 1900, 2200
)

// sane refuses, for every type, a float that is not finite, an amount out of its column's range
// or finer than its places, and a date outside firstYear–lastYear; the error names the field.
func sane(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		for _, name := range m.Fields() {
			v, _ := m.Field(name)
			if problem := saneValue(v); problem != "" {
				// The field's API name only for an error: renaming every field of every row
				// was about 7 % of an import client's CPU.
				return nil, derrors.Field(derrors.GraphQLName(name), "%s", problem)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// saneValue says what is wrong with v, or "".
func saneValue(v any) string {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e15 {
			return fmt.Sprintf("must be a finite number of at most 1e15, got %g", v)
		}
	case decimal.Decimal:
		if v.Abs().GreaterThan(maxAmount) {
			return fmt.Sprintf("must be at most %s, got %s", maxAmount, v)
		}
		if !v.Equal(v.Truncate(amountPlaces)) {
			return fmt.Sprintf("has more than %d decimal places: %s", amountPlaces, v)
		}
	case *decimal.Decimal:
		if v != nil {
			return saneValue(*v)
		}
	case time.Time:
		if y := v.Year(); y < firstYear || y > lastYear {
			return fmt.Sprintf("%s is outside %d–%d", v.Format(time.DateOnly), firstYear, lastYear)
		}
	case *time.Time:
		if v != nil {
			return saneValue(*v)
		}
	}
	return ""
}
