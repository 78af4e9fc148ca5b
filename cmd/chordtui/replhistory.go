package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// historyLimit bounds the interactive REPL's history: the lines Up can
// recall, and the lines its file keeps from one run to the next.
const historyLimit = 1000

// historyPath returns the file that keeps the interactive REPL's history:
// $XDG_STATE_HOME/chordtui/history, or ~/.local/state/chordtui/history
// when XDG_STATE_HOME is unset or not absolute (as the XDG spec says).
func historyPath() (string, error) {
	if dir := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "chordtui", "history"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "chordtui", "history"), nil
}

// historyFile is the interactive REPL's history on disk: the lines of
// earlier runs, and each new line appended as it is entered.
type historyFile struct {
	path string
	f    *os.File // nil: lines are no longer written (warned once)
	warn func(error)
}

// openHistory reads the last limit lines of the history file at path and
// opens it for appending, creating it and its directory (private to the
// user: commands may hold values) when missing. A file longer than limit
// is cut to its last limit lines first, so it stays bounded from one run
// to the next. Failing to read, cut or open the file is reported through
// warn; the history that could be read is returned all the same, and
// Add then writes nothing. The REPL never fails because of its history.
func openHistory(path string, limit int, warn func(error)) (lines []string, h *historyFile) {
	h = &historyFile{path: path, warn: warn}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		warn(fmt.Errorf("history not kept: %w", err))
		return nil, h
	}
	lines, total, err := readLastLines(path, limit)
	if err != nil {
		warn(fmt.Errorf("history of earlier runs not read: %w", err))
	}
	if total > limit {
		if err := rewriteHistory(path, lines); err != nil {
			warn(fmt.Errorf("history not cut to its last %d lines: %w", limit, err))
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		warn(fmt.Errorf("history not saved: %w", err))
		return lines, h
	}
	h.f = f
	return lines, h
}

// readLastLines returns the last limit non-blank lines of the file at
// path (none if it does not exist) and how many it has in all.
func readLastLines(path string, limit int) (lines []string, total int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); strings.TrimSpace(line) != "" {
			total++
			lines = append(lines, line)
			if len(lines) > 2*limit { // keep memory bounded on a huge file
				lines = append(lines[:0], lines[len(lines)-limit:]...)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return tail(lines, limit), total, err
		}
	}
	return tail(lines, limit), total, nil
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

// rewriteHistory replaces the file at path with lines, through a
// temporary file renamed over it so that a crash leaves one or the other.
func rewriteHistory(path string, lines []string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".history-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	w := bufio.NewWriter(tmp)
	for _, l := range lines {
		_, _ = w.WriteString(l + "\n") // a failed write fails Flush
	}
	err = w.Flush()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Add appends line to the file; after a failed write it warns once and
// writes no more.
func (h *historyFile) Add(line string) {
	if h.f == nil || strings.TrimSpace(line) == "" {
		return
	}
	if _, err := h.f.WriteString(line + "\n"); err != nil {
		h.warn(fmt.Errorf("history not saved: %w", err))
		h.f.Close()
		h.f = nil
	}
}

// Close closes the file.
func (h *historyFile) Close() error {
	if h.f == nil {
		return nil
	}
	err := h.f.Close()
	h.f = nil
	return err
}
