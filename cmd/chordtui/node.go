package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/cli"
	"github.com/chordtui/chordtui/dht/cluster"
)

// nodeLine is what "chordtui node" prints on stdout: one line when the
// node has started (Event "listening") and one when it has left (Event
// "left"), as text or, with --json, as this object.
type nodeLine struct {
	Event string         `json:"event"`
	Name  string         `json:"name"`
	Addr  string         `json:"addr"`
	ID    cluster.RingID `json:"id"`
	Bits  int            `json:"bits"`
	// Join is the address it joined through ("" : it started a ring).
	Join  string `json:"join,omitempty"`
	Admin bool   `json:"admin"`
	// Err says why a leave did not finish ("" when it did).
	Err string `json:"error,omitempty"`
}

func (l nodeLine) String() string {
	switch l.Event {
	case "left":
		if l.Err != "" {
			return fmt.Sprintf("node %s left without a full hand-off: %s", l.Name, l.Err)
		}
		return fmt.Sprintf("node %s left the ring: its keys are handed on", l.Name)
	}
	how := "new ring"
	if l.Join != "" {
		how = "joined via " + l.Join
	}
	admin := ""
	if l.Admin {
		admin = ", admin on"
	}
	return fmt.Sprintf("node %s listening on %s id 0x%s (%d-bit, %s%s)", l.Name, l.Addr, l.ID.Hex(), l.Bits, how, admin)
}

// killStatus is the exit status of a node killed by an admin operation,
// the shell's for a process killed by SIGKILL.
const killStatus = 137

// runNode implements "chordtui node [flags]": one node (chord and dht) in
// this process, on netmux over TCP, the protocol of every chordtui node.
// SIGTERM or SIGINT (ctx ends) make it leave gracefully, handing its keys
// on; it then exits 0 (1 if the hand-off did not finish, or no member was
// left to take its keys).
func runNode(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	cmd := cli.New("chordtui node", "chordtui node [flags]",
		"Runs one Chord node in this process, listening on --listen: it starts a new ring, or joins\n"+
			"the ring of any chordtui node or cluster with --join. It prints one line with its address\n"+
			"and identifier when it has joined. SIGTERM or ctrl-c makes it leave gracefully (its keys\n"+
			"are handed on) and exit; kill -9 is a crash. Attach to the ring with chordtui repl --attach.\n"+
			"Exit status: 0 after a graceful leave, 1 the node did not start or its leave did not finish,\n"+
			"2 bad flags, 137 killed by an admin kill.", stderr)
	cmd.AddNodeFlags()
	if err := cmd.ParseNoN(args); err != nil {
		return cmd.ExitStatus(err)
	}
	cfg, logFile, err := cmd.StandaloneConfig(ctx, stderr)
	if cli.IsUsage(err) {
		return cmd.ExitStatus(err)
	}
	if err != nil {
		fmt.Fprintf(stderr, "chordtui node: %v\n", err)
		return 1
	}
	defer logFile.Close()
	cfg.OnKill = func() { os.Exit(killStatus) }
	n, err := cluster.StartStandalone(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "chordtui node: %v\n", err)
		return 1
	}
	defer n.Close()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	say := func(l nodeLine) {
		if cmd.JSON() {
			_ = enc.Encode(l)
			return
		}
		fmt.Fprintln(stdout, l)
	}
	line := nodeLine{Event: "listening", Name: n.Name(), Addr: n.Addr(), ID: n.ID(), Bits: cfg.Chord.Bits, Join: cfg.Join, Admin: cfg.Admin}
	say(line)
	select {
	case <-ctx.Done():
	case <-n.Done(): // an admin kill without OnKill: not in this program
		return killStatus
	}
	cfg.Logger.Info("leaving", "reason", "signal")
	lctx, cancel := context.WithTimeout(context.Background(), cfg.OpTimeout+time.Second)
	defer cancel()
	line.Event = "left"
	status := 0
	if err := n.Leave(lctx); err != nil {
		line.Err, status = err.Error(), 1
	}
	say(line)
	return status
}

// runAttach implements "chordtui attach ADDR [flags]": the terminal UI
// (runUI) with --attach ADDR, over a ring started elsewhere.
func runAttach(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		fmt.Fprintln(stderr, "chordtui attach: missing ADDR, the host:port of a node of the ring (for example: chordtui attach 127.0.0.1:40123)")
		return cli.StatusUsage
	}
	if isHelp(args[0]) {
		return runUI(ctx, args, stdin, stdout, stderr)
	}
	return runUI(ctx, append([]string{"--attach", args[0]}, args[1:]...), stdin, stdout, stderr)
}
