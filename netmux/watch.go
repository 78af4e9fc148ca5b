package netmux

import "sync"

// watchers are the functions a transport calls when something changed that
// maintenance should look at at once (OnChange).
type watchers struct {
	mu   sync.Mutex
	next int
	fs   map[int]func()
}

func (w *watchers) add(f func()) (stop func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fs == nil {
		w.fs = map[int]func(){}
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
func (w *watchers) call() {
	w.mu.Lock()
	fs := make([]func(), 0, len(w.fs))
	for _, f := range w.fs {
		fs = append(fs, f)
	}
	w.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// OnChange makes t call f after every change around it that a node's
// maintenance should look at at once, until stop is called: a session
// closed without a go-away from either side (the peer crashed, the
// connection broke) and, when t shares a fault table (Config.Faults) with
// other transports, a transport of the table beginning to serve (a node
// came up) or leaving it (killed or closed), or a fault set or cleared. f runs on
// whatever goroutine saw the change and must not block. It implements
// chord.ChangeNotifier.
func (t *Transport) OnChange(f func()) (stop func()) { return t.watch.add(f) }

// changed tells t's watchers that something changed.
func (t *Transport) changed() { t.watch.call() }
