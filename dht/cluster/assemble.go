package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chordtui/chordtui/chord"
	"github.com/chordtui/chordtui/dht"
)

// The assembly of one node, shared by the members of a Cluster (boot) and
// by a node alone in its process (StartStandalone): the chord node, its
// store, the observer and admin commands, the join and the maintenance
// rounds its driver runs.

// assembleNode makes the chord node and its store on tr (which must be
// listening) and registers the observer and admin commands (observe.go);
// the caller creates or joins the ring and starts the driver.
func assembleNode(nc chord.Config, dc dht.Config, tr chord.Transport, obs func() Observation, adm adminFunc) (*chord.Node, *dht.Store, error) {
	node, err := chord.NewNode(nc, tr)
	if err != nil {
		return nil, nil, err
	}
	store, err := dht.New(node, dc)
	if err != nil {
		node.Stop()
		return nil, nil, err
	}
	err = registerObserver(node, store, obs, adm)
	if err == nil {
		err = registerOp(node, store)
	}
	if err != nil {
		node.Stop()
		return nil, nil, err
	}
	return node, store, nil
}

// joinRing enters the ring through the first contact that works, retrying
// with a short backoff (a contact may be busy joining itself) until
// timeout, ctx or stop ends it. nameOf names a contact in messages.
func joinRing(ctx context.Context, node *chord.Node, contacts []string, timeout time.Duration, stop <-chan struct{}, nameOf func(string) string) (attempts int, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	backoff := 10 * time.Millisecond
	var last error
	for attempt := 0; ; attempt++ {
		contact := contacts[attempt%len(contacts)]
		err := node.Join(ctx, contact)
		if err == nil {
			return attempt + 1, nil
		}
		last = err
		if errors.Is(err, chord.ErrIDCollision) {
			return attempt + 1, fmt.Errorf("join via %s: %w", nameOf(contact), err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt + 1, fmt.Errorf("join gave up after %d attempts: %w", attempt+1, last)
		case <-stop:
			t.Stop()
			return attempt + 1, ErrClosed
		case <-t.C:
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// maintenanceTasks are the rounds a node's driver runs: chord's
// maintenance at the periods of nc, then the store's repair every repair.
func maintenanceTasks(node *chord.Node, store *dht.Store, nc chord.Config, repair time.Duration, log *slog.Logger) []chord.Task {
	ts := append(chord.NodeTasks(node), store.Tasks()...)
	for i := range ts {
		switch ts[i].Name {
		case "stabilize":
			ts[i].Every = nc.StabilizeInterval
		case "fix_fingers":
			ts[i].Every = nc.FixFingersInterval
		case "check_predecessor":
			ts[i].Every = nc.CheckPredecessorInterval
		case "dht repair":
			ts[i].Every = repair
			// A repair that could not reach a holder keeps the node's
			// driver at its base periods (chord.Task.Round).
			ts[i].Round = func(ctx context.Context) error {
				err := store.Repair(ctx)
				if err != nil {
					log.Debug("repair round", "err", err)
				}
				return err
			}
		}
	}
	return ts
}
