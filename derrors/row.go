package derrors

import (
	"errors"
	"fmt"
)

// Row names the row of a batch an error belongs to: a FieldError's field becomes
// input[3].decisionDate; anything else becomes a RowError, printed with the prefix input[3] and
// keeping its category.
func Row(batch string, i int, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: fmt.Sprintf("%s[%d].%s", batch, i, fe.Field), Msg: fe.Msg}
	}
	return &RowError{Batch: batch, Index: i, Err: err}
}

// RowError is the error of row Index of the batch argument Batch.
type RowError struct {
	Batch string
	Index int
	Err   error
}

func (e *RowError) Error() string { return fmt.Sprintf("%s[%d]: %v", e.Batch, e.Index, e.Err) }

func (e *RowError) Unwrap() error { return e.Err }

// Field names field of the row: input[3].decisionNo.
func (e *RowError) Field(field string) string {
	return fmt.Sprintf("%s[%d].%s", e.Batch, e.Index, field)
}
