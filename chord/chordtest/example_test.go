package chordtest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chordtui/chordtui/chord/chordtest"
)

// Two endpoints on an in-memory network; faults are switched on and off.
func ExampleNetwork() {
	nw := chordtest.NewNetwork(1)
	a, _ := nw.Endpoint("a")
	b, _ := nw.Endpoint("b")
	b.Serve(func(_ context.Context, method string, req []byte) ([]byte, error) {
		return []byte(method + " " + string(req)), nil
	})
	ctx := context.Background()

	rep, err := a.Call(ctx, "b", "echo", []byte("hi"))
	fmt.Println(string(rep), err)

	nw.Cut("a", "b")
	_, err = a.Call(ctx, "b", "echo", nil)
	fmt.Println("cut:", errors.Is(err, chordtest.ErrUnreachable))
	nw.Heal()

	nw.Pause("b")
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	_, err = a.Call(short, "b", "echo", nil)
	cancel()
	fmt.Println("paused:", errors.Is(err, context.DeadlineExceeded))
	nw.Resume("b")

	nw.Crash("b")
	_, err = a.Call(ctx, "b", "echo", nil)
	fmt.Println("crashed:", errors.Is(err, chordtest.ErrUnreachable), "calls so far:", nw.Calls())
	// Output:
	// echo hi <nil>
	// cut: true
	// paused: true
	// crashed: true calls so far: 4
}
