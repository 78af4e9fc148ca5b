package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/chordtui/chordtui/dht/cluster"
	"github.com/chordtui/chordtui/dht/cluster/command"
	"github.com/chordtui/chordtui/dht/dfs"
)

// After ":where PATH" the ring marks the nodes that hold the file's keys
// (cluster.FileWhere): ◈ a live node holding the inode, ■ a live node
// holding only blocks (or index blocks), ⊗ a holder that is not alive now.
// A holder's state is read from every new snapshot, so a killed holder
// shows ⊗ at once; when the ring turns stable again the where is run
// again, so copies that repair made elsewhere show too. esc clears it, a
// lookup or another where replaces it.

// whereView is the file whose holders the ring marks.
type whereView struct {
	line   string // the where command, run again to refresh
	res    cluster.FileWhere
	stable bool   // the ring was stable at the last snapshot judged
	busy   bool   // a refresh is running
	seq    int    // the view's number: a refresh of an older one is stale
	err    string // the last refresh failed: why (the marks are older)
	runs   int    // how many times where has answered for this view
}

// whereMsg is the answer of a refresh of the where shown.
type whereMsg struct {
	seq int
	res command.Result
}

// holdKind is what a node holds of the file the ring marks.
type holdKind uint8

const (
	holdNone   holdKind = iota
	holdBlocks          // blocks or index blocks, not the inode
	holdInode           // the inode (and maybe blocks)
)

// whereGlyph is the marker of a holder in state s, and its style.
func whereGlyph(k holdKind, s cluster.State) (rune, styleID) {
	switch {
	case s != cluster.StateAlive:
		return '⊗', stDown
	case k == holdInode:
		return '◈', stWhereInode
	}
	return '■', stWhere
}

// setWhere shows the holders of a where's answer on the ring; the lookup
// shown gives way to it.
func (m *Model) setWhere(line string, d cluster.FileWhere) {
	m.whereSeq++
	m.where = &whereView{line: line, res: d, stable: m.snap.Health.Stable, seq: m.whereSeq, runs: 1}
	m.lookup = nil
}

// holders is what each node holds of the file shown, by name; nil when no
// where is shown.
func (m *Model) holders() map[string]holdKind {
	if m.where == nil {
		return nil
	}
	out := make(map[string]holdKind, len(m.where.res.Nodes))
	for _, s := range m.where.res.Nodes {
		k := holdBlocks
		if s.Inode {
			k = holdInode
		}
		out[s.Node] = k
	}
	return out
}

// refreshWhere runs the where shown again when the ring has just turned
// stable (after a kill, say, once repair has put every key in place), so
// the marks follow the copies; it is called with every snapshot.
func (m *Model) refreshWhere() tea.Cmd {
	w := m.where
	if w == nil || m.c == nil || m.quitting {
		return nil
	}
	turned := m.snap.Health.Stable && !w.stable
	w.stable = m.snap.Health.Stable
	if !turned || w.busy {
		return nil
	}
	w.busy = true
	c, line, seq, closing, timeout := m.c, w.line, w.seq, m.closing, m.commandTimeout(w.line)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		finished := make(chan struct{})
		defer close(finished)
		go func() { // exits when the refresh finishes or the UI closes
			select {
			case <-closing:
				cancel()
			case <-finished:
			}
		}()
		return whereMsg{seq: seq, res: c.Exec(ctx, line)}
	}
}

// onWhere takes a refresh's answer: new holders, or why there are none.
func (m *Model) onWhere(msg whereMsg) {
	w := m.where
	if w == nil || msg.seq != w.seq {
		return
	}
	w.busy = false
	d, ok := msg.res.Data.(cluster.FileWhere)
	if errors.Is(msg.res.Err, dfs.ErrNotFound) {
		// The file is gone (rm): its old holders would be a false picture.
		m.where = nil
		m.setMessage(fmt.Sprintf("%s: %s no longer exists — its marks are cleared", w.line, w.res.Path), stWarn)
		return
	}
	if !msg.res.OK || !ok {
		w.err = "failed"
		if msg.res.Err != nil {
			w.err = firstLine(msg.res.Err.Error())
		}
		return
	}
	w.res, w.err = d, ""
	w.runs++
	if o := m.output; o != nil && o.line == w.line {
		// o shows the answer the ring marks, not an older one.
		o.text = strings.Split(strings.TrimRight(msg.res.Text, "\n"), "\n")
	}
}

// whereCaption is the ring's caption for the file shown: the symbols, then
// where its inode and blocks are, judged against the snapshot (a holder
// not alive now is counted down, a key whose every holder is down
// missing).
func (m *Model) whereCaption(w int) []string {
	v := m.where
	if v == nil {
		return nil
	}
	t := m.theme
	d := &v.res
	alive := map[string]bool{}
	for i := range m.snap.Nodes {
		if n := &m.snap.Nodes[i]; n.State == cluster.StateAlive {
			alive[n.Name] = true
		}
	}
	var inode, down []string
	for _, s := range d.Nodes {
		if !alive[s.Node] {
			down = append(down, s.Node)
		}
	}
	for _, h := range d.Inode.Holders {
		if alive[h] {
			inode = append(inode, h)
		}
	}
	lost := func(p cluster.KeyPlace) bool {
		for _, h := range p.Holders {
			if alive[h] {
				return false
			}
		}
		return true
	}
	missing := 0
	if lost(d.Inode) {
		missing++
	}
	blockNodes := map[string]bool{}
	for _, ps := range [][]cluster.KeyPlace{d.Index, d.Blocks} {
		for _, p := range ps {
			if lost(p) {
				missing++
			}
			for _, h := range p.Holders {
				if alive[h] {
					blockNodes[h] = true
				}
			}
		}
	}
	st := stText
	if missing > 0 {
		st = stDown
	}
	// Phrases, each kept on one line, the symbol first that marks on the
	// ring what it counts.
	phrases := [][]seg{{{d.Path + ":", stBold}}, {{"◈", stWhereInode}, {" inode on " + nameListOr(inode, "no live node") + ",", stText}}}
	if d.Kind != "dir" {
		phrases = append(phrases, []seg{{"■", stWhere}, {fmt.Sprintf(" %s on %s,", command.Plural(len(d.Blocks), "block"), command.Plural(len(blockNodes), "live node")), stText}})
	}
	phrases = append(phrases, []seg{{fmt.Sprintf("%d missing", missing), st}})
	if len(down) > 0 {
		phrases[len(phrases)-1][0].s += ";"
		phrases = append(phrases, []seg{{"⊗ " + strings.Join(down, " ") + " down", stDown}})
	}
	switch {
	case v.err != "":
		phrases = append(phrases, []seg{{"(re-read failed: " + v.err + ")", stWarn}})
	case v.busy:
		phrases = append(phrases, []seg{{"(re-reading…)", stDim}})
	case v.runs > 1 && m.height >= smallHeight:
		phrases = append(phrases, []seg{{fmt.Sprintf("(re-read when stable ×%d)", v.runs-1), stDim}})
	}
	var out []string
	line, n := "", 0
	for _, ph := range phrases {
		ww := labelText(ph).width()
		if n > 0 && n+1+ww > w {
			out = append(out, fit(line, w))
			line, n = "", 0
		}
		if n > 0 {
			line += " "
			n++
		}
		for _, sg := range ph {
			line += t.render(sg.st, sg.s)
		}
		n += ww
	}
	out = append(out, fit(line, w))
	if len(out) > whereCaptionLines {
		out = out[:whereCaptionLines] // cut: the output view (o) has the whole answer
	}
	return out
}

// whereCaptionLines is the most lines the caption takes under the ring;
// below smallHeight rows it leaves out the count of re-reads, to spare
// the ring a row.
const (
	whereCaptionLines = 3
	smallHeight       = 30
)

// nameListOr joins names with blanks, or says none.
func nameListOr(names []string, none string) string {
	if len(names) == 0 {
		return none
	}
	return strings.Join(names, " ")
}
