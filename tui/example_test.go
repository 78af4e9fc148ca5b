package tui_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/tui"
)

// Example shows how chordtui N wires the UI: start a cluster, run the UI
// until the user quits, then close the cluster (Run never closes it).
func Example() {
	ctx := context.Background()
	c, err := cluster.Start(ctx, cluster.DefaultConfig())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer c.Close()
	opts := tui.DefaultOptions()
	opts.Logger = slog.New(slog.DiscardHandler) // never the terminal the UI draws on
	if err := tui.Run(ctx, c, opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

func ExampleOptions_Validate() {
	opts := tui.DefaultOptions()
	opts.RefreshInterval = 20 * time.Millisecond
	fmt.Println(opts.Validate())
	// Output: refresh interval 20ms is below 100ms: the screen would refresh more than 10 times a second
}
