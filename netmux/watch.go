package netmux

import "sync"

// watchers are the functions a transport calls when something changed that
// maintenance should look at at once (OnChange).
type watchers struct {
	mu   sync.Mutex
	next int
	fs   map[int]func(gone string)
}

func (w *watchers) add(f func(gone string)) (stop func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fs == nil {
		w.fs = map[int]func(string){}
	}
	id := w.next
	w.next++
	w.fs[id] = f
	return func() {
		w.mu.Lock()
		delete(w.fs, id)
		w.mu.Unlock()
	}
}

// call runs every watcher, with no lock held.
func (w *watchers) call(gone string) {
	w.mu.Lock()
	fs := make([]func(string), 0, len(w.fs))
	for _, f := range w.fs {
		fs = append(fs, f)
	}
	w.mu.Unlock()
	for _, f := range fs {
		f(gone)
	}
}

// OnChange makes t call f after every change around it that a node's
// maintenance should look at at once, until stop is called: a session
// closed without a go-away from either side (the peer crashed, the
// connection broke: gone is the peer's listen address; not one the peer
// dialled and never called on, see ended) and, when t shares
// a fault table (Config.Faults) with other transports, a transport of the
// table leaving it (killed or closed: gone is its address), one beginning
// to serve (a node came up) or a fault set or cleared (gone is ""). f runs
// on whatever goroutine saw the change and must not block. It implements
// chord.ChangeNotifier.
func (t *Transport) OnChange(f func(gone string)) (stop func()) { return t.watch.add(f) }

// changed tells t's watchers that something changed; gone is the address of
// a peer known to be gone, or "".
func (t *Transport) changed(gone string) { t.watch.call(gone) }
