package derrors

import (
	"errors"
	"fmt"
)

// Row names the row of a batch an error belongs to: a FieldError's field becomes
// input[3].decisionDate, anything else is prefixed with input[3], keeping its category.
func Row(batch string, i int, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: fmt.Sprintf("%s[%d].%s", batch, i, fe.Field), Msg: fe.Msg}
	}
	return fmt.Errorf("%s[%d]: %w", batch, i, err)
}
