package derrors_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/creditgraph/creditgraph/derrors"
)

func TestWriteClash(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}, true},
		{&mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"}, true},
		{fmt.Errorf("input[3]: %w", &mysql.MySQLError{Number: 1062, Message: "Duplicate entry '60129542163' for key 'PRIMARY'"}), true},
		{&mysql.MySQLError{Number: 1062, Message: "Duplicate entry 'x-1' for key 'administrativepenalty_source_system_source_record_id'"}, false},
		{&mysql.MySQLError{Number: 1452, Message: "Cannot add or update a child row: a foreign key constraint fails"}, false},
		{fmt.Errorf("input[3]: %v", &mysql.MySQLError{Number: 1213, Message: "Deadlock"}), false}, // its cause lost
	}
	for _, tt := range tests {
		if got := derrors.WriteClash(tt.err); got != tt.want {
			t.Errorf("WriteClash(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// AfterClash waits and answers true, or answers false as soon as the context ends, however
// long the wait would have been.
func TestAfterClash(t *testing.T) {
	if !derrors.AfterClash(context.Background(), 1) {
		t.Error("a live context's wait answered false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- derrors.AfterClash(ctx, 1000) }() // a wait of almost three hours
	cancel()
	select {
	case ok := <-done:
		if ok {
			t.Error("an ended context's wait answered true")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end with its context")
	}
}

// Clip cuts every quoted value to 40 characters, escapes and all, and any message to 500,
// whatever the quotes in the input do.
func TestClip(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`decisionDate: "2026-13-01" is not a date`, `decisionDate: "2026-13-01" is not a date`},
		{fmt.Sprintf("name: %q is too long", strings.Repeat("长", 100)), `name: "` + strings.Repeat("长", 40) + `…" is too long`},
		{fmt.Sprintf("x: %q", strings.Repeat(`a\`, 50)), `x: "` + strings.Repeat(`a\\`, 20) + `…"`}, // an escape is one character
	} {
		if got := derrors.Clip(tt.in); got != tt.want {
			t.Errorf("Clip(%.60q…) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{
		fmt.Sprintf("name: %q", strings.Repeat(`a"`, 2000)), // escaped quotes all the way
		strings.Repeat(`"a" `, 2000),                        // many short quoted values
		strings.Repeat("长", 3000),                           // nothing quoted at all
	} {
		if got := []rune(derrors.Clip(in)); len(got) > 501 {
			t.Errorf("Clip(%.40q…) keeps %d characters", in, len(got))
		}
	}
}
