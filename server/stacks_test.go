package server_test

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/creditgraph/creditgraph/server"
)

// startingStack is the stack the runtime gives a new goroutine, as of the last collection
// after a fresh one.
func startingStack() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// The parked goroutines raise the stack new goroutines start with to what they hold, and
// releasing them lets it fall back.
func TestRaisedGoroutineStacks(t *testing.T) {
	before := startingStack()
	if before >= 32<<10 {
		t.Fatalf("goroutines already start with %d bytes of stack", before)
	}
	release := server.RaiseGoroutineStacks(32)
	raised := before
	for deadline := time.Now().Add(5 * time.Second); raised < 32<<10 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // the parked goroutines reach their depth
		raised = startingStack()
	}
	if raised < 32<<10 {
		t.Fatalf("with 32 KiB held, goroutines start with %d bytes of stack (%d before)", raised, before)
	}
	release()
	after := raised
	for deadline := time.Now().Add(5 * time.Second); after > before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		after = startingStack()
	}
	if after > before {
		t.Fatalf("released, goroutines still start with %d bytes of stack (%d before)", after, before)
	}
	t.Logf("starting stack: %d bytes, %d with the goroutines parked, %d after", before, raised, after)
	if off := server.RaiseGoroutineStacks(0); off == nil {
		t.Fatal("no release for none parked")
	}
}
