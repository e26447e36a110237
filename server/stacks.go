package server

import "runtime"

// RaiseGoroutineStacks parks goroutines holding kib KiB of stack each until release is called,
// so the runtime starts new goroutines with stacks of about that size.
//
// The runtime starts a goroutine with the average stack in use among the goroutines its last
// garbage collection found (GODEBUG adaptivestackstart, Go 1.19). A server's goroutines at
// rest (listeners, idle connections, tickers) use little, so that average stays small. gqlgen
// resolves every field with a resolver and every element of a list of objects on a goroutine
// of its own, and each of those went on to grow its stack by copying: 19 % of the server's CPU
// under loadbench's query a at 1 M (runtime.copystack). The runtime has no setting for the
// size (golang/go#18138, #61052). Parked goroutines whose stacks are in use raise the average
// it takes: with 64 of 32 KiB, the profile shows no stack copying and a request of a costs a
// third less CPU (BENCHMARKS.md). They cost kib × 64 KiB of stack in use (up to twice that
// held, as stacks grow by doubling) for each collection to scan. kib <= 0 parks none.
func RaiseGoroutineStacks(kib int) (release func()) {
	if kib <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	for range ballastGoroutines {
		go holdStack(kib*1024/ballastFrame, done)
	}
	return func() { close(done) }
}

// ballastGoroutines is how many goroutines hold stack: enough to outweigh the goroutines at
// rest in the average.
const ballastGoroutines = 64

// ballastFrame is the stack one call of holdStack takes, about.
const ballastFrame = 4096

// holdStack recurses frames deep, each call holding ballastFrame bytes of stack, and waits at
// the bottom until done is closed.
//
//go:noinline
func holdStack(frames int, done <-chan struct{}) byte {
	var pad [ballastFrame - 128]byte // the rest of the frame: arguments, return address, spills
	pad[frames%len(pad)] = byte(frames)
	if frames > 1 {
		pad[0] += holdStack(frames-1, done)
	} else {
		<-done
	}
	runtime.KeepAlive(&pad)
	return pad[len(pad)-1]
}
