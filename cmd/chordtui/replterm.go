package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/chordtui/chordtui/cmd/chordtui/internal/readline"

	"github.com/chordtui/chordtui/dht/cluster/command"
)

// replPrompt is the interactive REPL's prompt.
const replPrompt = "chordtui> "

// errInterrupted is the error of a command stopped by ctrl-c.
var errInterrupted = errors.New("interrupted (ctrl-c)")

// errShutdown is why a command failed whose session a signal ended
// (SIGTERM, or SIGINT without a terminal).
var errShutdown = errors.New("stopped: chordtui is shutting down")

// onTerminal reports whether f is an *os.File open on a terminal (not
// merely a character device: /dev/null is one too).
func onTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && readline.IsTerminal(int(file.Fd()))
}

// termREPL is "chordtui repl" at a terminal: a line editor (arrows,
// home/end, ctrl-a/e, word moves, ctrl-r), history kept across runs,
// Tab completion, and ctrl-c that cancels the line being typed or the
// command running without ending the session. Ctrl-d or quit ends it.
type termREPL struct {
	exec      func(context.Context, string) command.Result
	in, out   *os.File
	stderr    io.Writer
	completer *replCompleter
	log       *slog.Logger

	// interrupts carries the SIGINTs for the next or running command. A
	// ctrl-c at the prompt is a key, not a signal; leaving the prompt
	// (the editor leaving raw mode) drops any SIGINT sent before then.
	interrupts chan struct{}
}

// run reads and runs commands until ctrl-d, quit, SIGTERM, or ctx ending
// for a reason other than SIGINT, and returns the exit status: 0 after
// ctrl-d or quit (the person saw each command's outcome), 1 otherwise.
//
// Ctrl-c at the prompt reaches the line editor as a key (the terminal is
// in raw mode), but while a command runs the terminal is in its normal
// mode and ctrl-c raises SIGINT. The REPL takes SIGINT and SIGTERM over
// for as long as it runs: SIGINT cancels the running command, SIGTERM
// ends the session. main's signal context, which SIGINT cancels too, is
// therefore not what the commands run under; the session only follows
// it when it ends for another reason.
func (r *termREPL) run(ctx context.Context) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	session, endSession := context.WithCancel(context.WithoutCancel(ctx))
	defer endSession()
	r.interrupts = make(chan struct{}, 1)

	// The editor's own Close waits for its reader of the terminal, which
	// waits for a key: closing stdin (for the editor) first ends that
	// wait. The goroutine under it, in a read(2) of the terminal, stays
	// until a key comes or the process exits, which follows the session.
	stdin := readline.NewCancelableStdin(&keyReader{r: r.in})
	rl, err := readline.NewEx(r.editorConfig(session, stdin))
	if err != nil {
		fmt.Fprintf(r.stderr, "chordtui repl: line editor: %v\n", err)
		return 1
	}
	var closeOnce sync.Once
	closeEditor := func() {
		closeOnce.Do(func() {
			stdin.Close()
			rl.Close()
		})
	}
	defer closeEditor()

	hist := r.openHistory(rl)
	defer hist.Close()

	go func() { // exits when the session ends
		parentDone := ctx.Done()
		for {
			select {
			case s := <-sigs:
				if s != os.Interrupt {
					endSession()
					closeEditor() // Readline returns io.EOF
					return
				}
				select {
				case r.interrupts <- struct{}{}:
				default:
				}
			case <-parentDone:
				parentDone = nil
				if !causedBySIGINT(ctx) {
					endSession()
					closeEditor()
					return
				}
			case <-session.Done():
				return
			}
		}
	}()

	for {
		line, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			if strings.TrimSpace(line) == "" {
				fmt.Fprintln(r.out, "(ctrl-d or quit exits)")
			}
			continue
		case errors.Is(err, io.EOF):
			if session.Err() != nil {
				return 1
			}
			return 0
		case err != nil:
			fmt.Fprintf(r.stderr, "chordtui repl: reading the terminal: %v\n", err)
			return 1
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		hist.Add(trimmed)
		res := r.runOne(session, trimmed)
		r.completer.Observe(res)
		if !res.OK {
			r.log.Warn("command failed", "cmd", res.Cmd, "err", res.Err)
		}
		if res.Text != "" {
			fmt.Fprintln(r.out, res.Text)
		}
		if res.Quit {
			return 0
		}
		if session.Err() != nil {
			return 1
		}
	}
}

// runOne runs line under a context that a SIGINT (ctrl-c) cancels. A
// command that fails after the cancel reports errInterrupted.
func (r *termREPL) runOne(session context.Context, line string) command.Result {
	ctx, cancel := context.WithCancel(session)
	defer cancel()
	var interrupted bool
	finished, watched := make(chan struct{}), make(chan struct{})
	go func() { // exits when the command returns
		defer close(watched)
		select {
		case <-r.interrupts:
			interrupted = true
			cancel()
		case <-finished:
		}
	}()
	res := r.exec(ctx, line)
	close(finished)
	<-watched
	if !interrupted {
		return res
	}
	// The terminal echoed ^C where the cursor was: end that line first.
	fmt.Fprintln(r.out)
	if res.OK { // it finished before the cancel reached it
		return res
	}
	return interruptedResult(res, errInterrupted)
}

// interruptedResult is the result of a command that ctrl-c or a signal
// stopped (why): the command's own error says how far it got, but in the
// words of a context ("context canceled"); this says what happened.
func interruptedResult(res command.Result, why error) command.Result {
	err := fmt.Errorf("%s: %w", res.Cmd, why)
	switch res.Cmd {
	case "set", "del", "add", "revive", "leave", "maintenance":
		err = fmt.Errorf("%w — it may have taken effect in part (%w)", err, res.Err)
	}
	res.Err, res.Text = err, "error: "+err.Error()
	return res
}

// causedBySIGINT reports whether ctx, from signal.NotifyContext, was
// cancelled by SIGINT, which the terminal REPL handles itself. The cause
// of such a context describes the signal.
func causedBySIGINT(ctx context.Context) bool {
	cause := context.Cause(ctx)
	return cause != nil && cause.Error() == os.Interrupt.String()+" signal received"
}

// editorConfig sets the line editor up on r's terminal. Its goroutine
// relaying window-size changes exits when session ends.
func (r *termREPL) editorConfig(session context.Context, stdin io.ReadCloser) *readline.Config {
	inFd, outFd := int(r.in.Fd()), int(r.out.Fd())
	var rawMu sync.Mutex // the editor enters and leaves raw mode from several goroutines
	var raw *readline.State
	var onResize atomic.Pointer[func()]
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() { // exits when the session ends
		defer signal.Stop(winch)
		for {
			select {
			case <-winch:
				if f := onResize.Load(); f != nil {
					(*f)()
				}
			case <-session.Done():
				return
			}
		}
	}()
	return &readline.Config{
		Prompt:            replPrompt,
		HistoryLimit:      historyLimit,
		HistorySearchFold: true,
		AutoComplete:      r.completer,
		Stdin:             stdin,
		Stdout:            r.out,
		Stderr:            r.stderr,
		FuncIsTerminal:    func() bool { return true },
		FuncGetWidth: func() int {
			w, _, err := readline.GetSize(outFd)
			if err != nil {
				return -1
			}
			return w
		},
		FuncMakeRaw: func() error {
			rawMu.Lock()
			defer rawMu.Unlock()
			if raw != nil {
				return nil
			}
			st, err := readline.MakeRaw(inFd)
			if err == nil {
				raw = st
			}
			return err
		},
		FuncExitRaw: func() error {
			rawMu.Lock()
			defer rawMu.Unlock()
			if raw == nil {
				return nil
			}
			st := raw
			raw = nil
			select { // a SIGINT until now was not ctrl-c for a command
			case <-r.interrupts:
			default:
			}
			return readline.Restore(inFd, st)
		},
		FuncOnWidthChanged: func(f func()) { onResize.Store(&f) },
	}
}

// openHistory loads the history of earlier runs into the editor and
// returns the file that keeps this run's lines. Problems with the file
// are a warning on stderr, once each; the session goes on without it.
func (r *termREPL) openHistory(rl *readline.Instance) *historyFile {
	warn := func(err error) { fmt.Fprintf(r.stderr, "chordtui repl: %v\n", err) }
	path, err := historyPath()
	if err != nil {
		warn(fmt.Errorf("history not kept: %w", err))
		return &historyFile{warn: warn}
	}
	lines, h := openHistory(path, historyLimit, warn)
	for _, l := range lines {
		_ = rl.SaveHistory(l) // in memory only: the editor has no history file
	}
	return h
}

// keyAliases maps what terminals send for keys the line editor does not
// know to keys it does: Home and End as tmux, screen and rxvt send them
// (ctrl-a, ctrl-e), and ctrl- or alt-arrows (alt-b, alt-f: a word left,
// right).
var keyAliases = strings.NewReplacer(
	"\x1b[1~", "\x01", "\x1b[7~", "\x01",
	"\x1b[4~", "\x05", "\x1b[8~", "\x05",
	"\x1b[1;5D", "\x1bb", "\x1b[1;3D", "\x1bb", "\x1b[5D", "\x1bb", "\x1bOd", "\x1bb",
	"\x1b[1;5C", "\x1bf", "\x1b[1;3C", "\x1bf", "\x1b[5C", "\x1bf", "\x1bOc", "\x1bf",
)

// keyReader reads the terminal through keyAliases. A terminal writes a
// key's sequence at once, so each read of the terminal is translated on
// its own, whatever the size its caller asks for.
type keyReader struct {
	r       io.Reader
	pending []byte // translated, not yet returned
	err     error  // from the read that filled pending
}

func (k *keyReader) Read(p []byte) (int, error) {
	if len(k.pending) == 0 {
		if k.err != nil {
			err := k.err
			k.err = nil
			return 0, err
		}
		var buf [1024]byte
		n, err := k.r.Read(buf[:])
		k.pending, k.err = []byte(keyAliases.Replace(string(buf[:n]))), err
		if n == 0 {
			k.err = nil
			return 0, err
		}
	}
	n := copy(p, k.pending)
	k.pending = k.pending[n:]
	return n, nil
}
