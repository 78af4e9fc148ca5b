package netmux

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRequestCtx checks the handler context against what
// context.WithDeadline promises: Err and Done at the deadline, the
// transport's end reaching it, and contexts derived from it ending with it.
func TestRequestCtx(t *testing.T) {
	t.Run("deadline passed, Done never asked", func(t *testing.T) {
		c := newRequestCtx(context.Background(), time.Now().Add(-time.Millisecond))
		defer c.finish()
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Fatalf("Err %v, want DeadlineExceeded", c.Err())
		}
	})
	t.Run("Done closes at the deadline", func(t *testing.T) {
		c := newRequestCtx(context.Background(), time.Now().Add(20*time.Millisecond))
		defer c.finish()
		if c.Err() != nil {
			t.Fatalf("Err %v before the deadline", c.Err())
		}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done still open long after the deadline")
		}
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Fatalf("Err %v, want DeadlineExceeded", c.Err())
		}
	})
	t.Run("the transport's end reaches it and what derives from it", func(t *testing.T) {
		life, kill := context.WithCancel(context.Background())
		c := newRequestCtx(life, time.Now().Add(time.Hour))
		defer c.finish()
		child, cancel := context.WithCancel(c)
		defer cancel()
		kill()
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a context derived from the handler's did not end with the transport")
		}
		if !errors.Is(c.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) {
			t.Fatalf("Err %v and %v, want Canceled", c.Err(), child.Err())
		}
	})
	t.Run("the handler's return ends it", func(t *testing.T) {
		for _, askFirst := range []bool{false, true} {
			c := newRequestCtx(context.Background(), time.Now().Add(time.Hour))
			if askFirst {
				_ = c.Done()
			}
			c.finish() // what handle's defer does
			if !errors.Is(c.Err(), context.Canceled) {
				t.Fatalf("Done asked before the return %v: Err %v, want Canceled", askFirst, c.Err())
			}
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				t.Fatalf("Done asked before the return %v: Done still open after the handler returned", askFirst)
			}
		}
	})
	t.Run("values come from the transport's context", func(t *testing.T) {
		type key struct{}
		life := context.WithValue(context.Background(), key{}, "v")
		c := newRequestCtx(life, time.Now().Add(time.Hour))
		defer c.finish()
		if c.Value(key{}) != "v" {
			t.Fatal("value lost before Done")
		}
		_ = c.Done()
		if c.Value(key{}) != "v" {
			t.Fatal("value lost after Done")
		}
	})
}
