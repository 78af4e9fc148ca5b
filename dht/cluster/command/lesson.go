package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chordtui/chordtui/dht/cluster"
)

// Scripts and lessons: a file of commands of this language, one a line,
// with the lines starting with # as narration between them. The REPL reads
// one on stdin as it reads anything; "source FILE" runs one from within the
// language; the TUI runs one a keypress at a time (--script), showing the
// narration as captions. docs/lessons holds the lessons chordtui ships.

// Lesson is a parsed script: its commands and the narration between them,
// in order.
type Lesson struct {
	// Name is where it was read from (a file name), for messages.
	Name  string
	Steps []LessonStep
}

// LessonStep is one step of a lesson: a narration caption or a command.
type LessonStep struct {
	// Line is the line of the command, or the first line of the
	// narration (1-based).
	Line int
	// Narration is the text of consecutive # lines, each without its #
	// and one space after it, joined by newlines; "" for a command.
	Narration string
	// Command is the command line; "" for a narration.
	Command string
}

// Commands counts the lesson's commands.
func (l Lesson) Commands() int {
	n := 0
	for _, s := range l.Steps {
		if s.Command != "" {
			n++
		}
	}
	return n
}

// maxLessonLine bounds one line of a script.
const maxLessonLine = 64 << 10

// ParseLesson reads a script from r: every line that is not blank or a
// comment must parse as a command (Parse: a known command with the right
// arguments; node names are checked when it runs). A script cannot source
// another. The error names the line: "lesson.txt:12: kil N8: unknown
// command …", wrapping Parse's sentinel (ErrSyntax, ErrUnknownCommand,
// ErrUsage).
func ParseLesson(r io.Reader, name string) (Lesson, error) {
	l := Lesson{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLessonLine)
	var narration []string
	first := 0
	flush := func() {
		if len(narration) > 0 {
			l.Steps = append(l.Steps, LessonStep{Line: first, Narration: strings.Join(narration, "\n")})
			narration = nil
		}
	}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "#"):
			if len(narration) == 0 {
				first = n
			}
			text := strings.TrimPrefix(line, "#")
			narration = append(narration, strings.TrimPrefix(text, " "))
		default:
			flush()
			cmd, err := Parse(line)
			if err != nil {
				return Lesson{}, lineError(name, n, err)
			}
			if cmd.Name == "source" {
				return Lesson{}, lineError(name, n, errorf(ErrUsage, "source: a script cannot source another"))
			}
			l.Steps = append(l.Steps, LessonStep{Line: n, Command: line})
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Lesson{}, errorf(ErrUsage, "%s: a line is longer than %d bytes", name, maxLessonLine)
		}
		return Lesson{}, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

// maxLessonSize bounds a script file: a lesson of this many bytes would
// take a semester.
const maxLessonSize = 4 << 20

// ReadLesson reads and parses the script in file (ParseLesson), a regular
// file of at most maxLessonSize bytes.
func ReadLesson(file string) (Lesson, error) {
	f, st, err := OpenRegular(file)
	if err != nil {
		return Lesson{}, errorf(ErrUsage, "cannot read the script %s: %v", strconv.Quote(file), err)
	}
	defer f.Close()
	if st.Size() > maxLessonSize {
		return Lesson{}, errorf(ErrUsage, "cannot read the script %s: %d bytes, more than the %d a script may have", strconv.Quote(file), st.Size(), maxLessonSize)
	}
	return ParseLesson(io.LimitReader(f, maxLessonSize), file)
}

// lineError prefixes err with its place in the script, keeping its sentinel.
func lineError(name string, line int, err error) error {
	var le *langError
	if errors.As(err, &le) {
		return &langError{msg: fmt.Sprintf("%s:%d: %s", name, line, le.msg), kind: le.kind}
	}
	return fmt.Errorf("%s:%d: %w", name, line, err)
}

// SourceResult is the data of source: the script's steps that ran, in
// order, up to and including the first command that failed.
type SourceResult struct {
	File  string       `json:"file"`
	Steps []SourceStep `json:"steps"`
	// Quit: the script ran quit.
	Quit bool `json:"-"`
}

// SourceStep is one step of a sourced script that ran: a narration, or a
// command with its result.
type SourceStep struct {
	Line      int     `json:"line"`
	Narration string  `json:"narration,omitempty"`
	Command   string  `json:"command,omitempty"`
	Result    *Result `json:"result,omitempty"`
}

// runSource runs the script named by the command's FILE: it is parsed
// whole first, so a typo on line 30 stops it before line 1 runs; then
// every command runs in order until one fails.
func runSource(ctx context.Context, c *cluster.Cluster, cmd Command) (any, error) {
	l, err := ReadLesson(cmd.Args[0])
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	out := SourceResult{File: l.Name}
	for _, s := range l.Steps {
		if s.Command == "" {
			out.Steps = append(out.Steps, SourceStep{Line: s.Line, Narration: s.Narration})
			continue
		}
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("source %s:%d: stopped before %s: %w", l.Name, s.Line, quote(s.Command), err)
		}
		res := Exec(ctx, c, s.Command)
		out.Steps = append(out.Steps, SourceStep{Line: s.Line, Command: s.Command, Result: &res})
		if !res.OK {
			return out, fmt.Errorf("source %s:%d: %w", l.Name, s.Line, res.Err)
		}
		if res.Quit {
			out.Quit = true
			break
		}
	}
	return out, nil
}

// sourceText is what a sourced script printed: each narration as # lines,
// each command as "> command" followed by its output.
func sourceText(r SourceResult) string {
	var b strings.Builder
	for i, s := range r.Steps {
		if i > 0 {
			b.WriteByte('\n')
		}
		if s.Command == "" {
			for j, line := range strings.Split(s.Narration, "\n") {
				if j > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(strings.TrimRight("# "+line, " "))
			}
			continue
		}
		b.WriteString("> " + s.Command)
		if s.Result != nil && s.Result.OK && s.Result.Text != "" {
			b.WriteString("\n" + s.Result.Text)
		}
	}
	return b.String()
}
