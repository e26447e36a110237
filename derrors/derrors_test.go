package derrors_test

import (
	"context"
	"fmt"
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
