package cluster

import (
	"fmt"
	"strings"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// The captions of step mode: what a round did, in plain words that name
// nodes, built from the round's calls (chord.RoundReport) and the pointer
// and key changes measured around it. Sentences are joined into one
// paragraph; a caption never names an address or Go internals.

// captionLocked words round r. cr is chord's report of it (zero for
// repair); before and after are the node's status around it. Caller
// holds mu.
func (c *Cluster) captionLocked(r StepRound, cr chord.RoundReport, before, after chord.Status) string {
	var s string
	switch r.Task {
	case TaskStabilize:
		s = stabilizeCaption(r, cr, before, after, c.refLocked)
	case TaskFixFingers:
		s = fingersCaption(r, cr, before, c.refLocked)
	case TaskCheckPredecessor:
		s = checkPredCaption(r, before)
	case TaskRepair:
		s = repairCaption(r)
	}
	if r.Err != "" {
		s += " The round failed: " + r.Err + "."
	}
	return s
}

// listText writes a successor list: "[N14, N21, N32, N38]".
func listText(ps []Peer) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// predChange is the predecessor change of the node named in changes.
func predChange(changes []PointerChange, node string) (PointerChange, bool) {
	for _, ch := range changes {
		if ch.Node.Name == node && ch.Kind == PointerPredecessor {
			return ch, true
		}
	}
	return PointerChange{}, false
}

// notifyEffect says what a notified node did with its predecessor:
// "N14 takes N8 as its predecessor (it had none)".
func notifyEffect(r StepRound, call StepCall) string {
	to, n := call.To.Name, r.Node.Name
	if ch, ok := predChange(r.Changes, to); ok && ch.New.Name == n {
		if ch.Old.IsZero() {
			return fmt.Sprintf("%s had no predecessor and takes %s", to, n)
		}
		return fmt.Sprintf("%s takes %s as its predecessor instead of %s", to, n, ch.Old)
	}
	if call.Pred.Name == n {
		return fmt.Sprintf("%s already has %s as its predecessor", to, n)
	}
	return fmt.Sprintf("%s keeps %s as its predecessor", to, call.Pred)
}

// failure says why a call failed and what came of it.
func failure(r StepRound, call StepCall, what string) string {
	why := "refused"
	if call.Timeout {
		why = "timed out"
	}
	switch {
	case !call.Timeout && call.Dropped:
		return fmt.Sprintf("%s does not answer (%s): it has failed, so %s drops %s", call.To, why, r.Node.Name, what)
	case call.Dropped:
		return fmt.Sprintf("%s does not answer (%s %d times in a row): it counts as failed, so %s drops %s",
			call.To, why, call.TimeoutsInRow, r.Node.Name, what)
	case call.Timeout && call.TimeoutsInRow > 0:
		return fmt.Sprintf("%s does not answer (%s, %d in a row): it may only be slow, so %s keeps it for now",
			call.To, why, call.TimeoutsInRow, r.Node.Name)
	}
	return fmt.Sprintf("%s does not answer (%s)", call.To, why)
}

// stabilizeCaption words a stabilize round (Zave's stabilize: ask the
// first live successor for its state, notifying it; adopt its predecessor
// if that lies in between and answers; copy its list).
func stabilizeCaption(r StepRound, cr chord.RoundReport, before, after chord.Status, ref func(chord.NodeRef) Peer) string {
	n := r.Node.Name
	var out []string
	for _, call := range r.Calls {
		switch call.Role {
		case chord.RoleSuccessor, chord.RoleFallback:
			who := "its successor " + call.To.Name
			switch {
			case call.Role == chord.RoleFallback:
				who = call.To.Name + " (every entry of its successor list failed: it tries a finger or its predecessor)"
			case call.Index > 0:
				who = fmt.Sprintf("the next entry of its successor list, %s,", call.To)
			}
			if !call.Answered {
				out = append(out, fmt.Sprintf("%s asks %s for its predecessor and successor list: %s.", n, who, failure(r, call, "it")))
				if !call.Dropped && call.Role == chord.RoleSuccessor {
					out = append(out, "The round ends here.")
				}
				continue
			}
			out = append(out, fmt.Sprintf("%s asks %s for its predecessor and successor list, notifying it: %s. %s answers predecessor %s, successor list %s.",
				n, who, notifyEffect(r, call), call.To, call.Pred, listText(call.Succ)))
			if call.Pred.Name == n {
				out = append(out, fmt.Sprintf("%s itself is that predecessor: nothing lies between them.", n))
			}
		case chord.RoleCloser:
			head := ref(cr.Head).Name
			if call.Answered {
				out = append(out, fmt.Sprintf("%s lies between %s and %s, so %s asks it too, notifying it: %s. It answers → %s takes %s as its successor.",
					call.To, n, head, n, notifyEffect(r, call), n, call.To))
			} else {
				out = append(out, fmt.Sprintf("%s lies between %s and %s, so %s asks it too: %s, so %s keeps %s.",
					call.To, n, head, n, failure(r, call, "nothing"), n, head))
			}
		case chord.RoleProbe:
			switch {
			case !call.Answered:
				out = append(out, fmt.Sprintf("Ring unification: %s asks %s, a former neighbour, to look %s up: no answer.", n, call.To, n))
			case call.Found.Name == n:
				out = append(out, fmt.Sprintf("Ring unification: %s asks %s, a former neighbour, to look %s up: the answer is %s itself, so they are on one ring.", n, call.To, n, n))
			default:
				out = append(out, fmt.Sprintf("Ring unification: %s asks %s, a former neighbour, to look %s up: %s answers, from another ring.", n, call.To, n, call.Found))
			}
		case chord.RoleProbeFound:
			if call.Answered {
				out = append(out, fmt.Sprintf("%s asks %s for its state, notifying it: %s.", n, call.To, notifyEffect(r, call)))
			} else {
				out = append(out, fmt.Sprintf("%s asks %s for its state: %s.", n, call.To, failure(r, call, "nothing")))
			}
		}
	}
	if cr.Alone {
		out = append(out, fmt.Sprintf("No other node answers: %s is alone in its ring, its own successor.", n))
	}
	var succ []Peer
	for _, s := range after.Successors {
		succ = append(succ, ref(s))
	}
	how := ""
	if len(succ) > 1 && !cr.Alone {
		how = fmt.Sprintf(" (%s, then %s's list without its last entry)", succ[0], succ[0])
	}
	switch {
	case len(before.Successors) == 0 || len(after.Successors) == 0:
	case before.Successors[0] != after.Successors[0]:
		out = append(out, fmt.Sprintf("%s's successor: %s → %s; its successor list is now %s%s.", n, ref(before.Successors[0]), succ[0], listText(succ), how))
	case !equalRefs(before.Successors, after.Successors):
		out = append(out, fmt.Sprintf("%s keeps successor %s; its successor list is now %s%s.", n, succ[0], listText(succ), how))
	default:
		out = append(out, fmt.Sprintf("%s keeps successor %s and its list %s.", n, succ[0], listText(succ)))
	}
	if before.Predecessor != after.Predecessor && after.Predecessor == after.Self {
		out = append(out, fmt.Sprintf("Alone, %s is its own predecessor too.", n))
	}
	return strings.Join(out, " ")
}

func equalRefs(a, b []chord.NodeRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fingersCaption words a fix_fingers round: finger k's start, how its
// successor was found (one call to verify it, or a lookup), and which
// fingers it set.
func fingersCaption(r StepRound, cr chord.RoundReport, before chord.Status, ref func(chord.NodeRef) Peer) string {
	n := r.Node.Name
	if cr.Finger == 0 {
		return n + " could not start a fix_fingers round."
	}
	bits := before.Bits
	self := RingID{ID: before.Self.ID, Bits: bits}
	start := RingID{ID: cr.Start, Bits: bits}
	var out []string
	sum := fmt.Sprintf("%s + 2^%d", self.Label(), cr.Finger-1)
	if cr.Start.Cmp(before.Self.ID) < 0 { // past zero
		sum = fmt.Sprintf("(%s) mod 2^%d", sum, bits)
	}
	out = append(out, fmt.Sprintf("%s refreshes finger[%d], whose start is %s = %s.", n, cr.Finger, sum, start.Label()))
	var prev Peer
	for _, call := range r.Calls {
		if call.Role != chord.RoleVerify {
			continue
		}
		who := call.To.Name + ", the current finger,"
		if !prev.IsZero() {
			who = fmt.Sprintf("%s, which lies between %s and %s,", call.To, start.Label(), prev)
		}
		prev = call.To
		if !call.Answered {
			out = append(out, fmt.Sprintf("It asks %s for its predecessor: %s.", who, failure(r, call, "nothing")))
			continue
		}
		out = append(out, fmt.Sprintf("It asks %s for its predecessor: %s.", who, call.Pred))
	}
	if !cr.Unconnected.IsZero() {
		who := ref(cr.Unconnected).String() + ", the current finger"
		if !prev.IsZero() {
			who = ref(cr.Unconnected).String()
		}
		out = append(out, fmt.Sprintf("%s has no connection open to %s, so it does not open one to check it.", n, who))
	}
	owner := r.Node
	for _, ch := range r.Changes {
		if ch.Kind == PointerFinger && ch.Index == cr.Finger {
			owner = ch.New
		}
	}
	switch {
	case cr.Verified:
		owner = r.Calls[len(r.Calls)-1].To
		pred := r.Calls[len(r.Calls)-1].Pred
		still := "still "
		if len(r.Calls) > 1 {
			still = ""
		}
		out = append(out, fmt.Sprintf("%s lies between %s and %s, so %s is %sthe first node at or after it: no lookup needed.",
			start.Label(), pred, owner, owner, still))
	case r.Lookup != nil && r.Lookup.Owner.IsZero():
		out = append(out, fmt.Sprintf("It looks %s up, but the lookup fails.", start.Label()))
	case r.Lookup != nil && len(r.Lookup.Path) == 0:
		owner = r.Lookup.Owner
		out = append(out, fmt.Sprintf("%s lies between %s and the end of its successor list: %s is the first node at or after it (no call needed).",
			start.Label(), n, owner))
	case r.Lookup != nil:
		owner = r.Lookup.Owner
		var asked []string
		for _, h := range r.Lookup.Path {
			mark := ""
			if !h.Answered() {
				mark = " (no answer)"
			}
			asked = append(asked, h.Node+mark)
		}
		if r.Lookup.Recursive {
			out = append(out, fmt.Sprintf("It looks %s up recursively, each node calling the next (%s): the first node at or after it is %s.", start.Label(), strings.Join(asked, " → "), owner))
		} else {
			out = append(out, fmt.Sprintf("It looks %s up, asking %s: the first node at or after it is %s.", start.Label(), strings.Join(asked, ", "), owner))
		}
	}
	if cr.Owner.IsZero() {
		return strings.Join(out, " ")
	}
	span := fmt.Sprintf("finger[%d]", cr.Finger)
	if cr.LastSet > cr.Finger {
		starts := make([]string, 0, cr.LastSet-cr.Finger+1)
		for k := cr.Finger; k <= cr.LastSet; k++ {
			starts = append(starts, RingID{ID: before.Self.ID.AddPow2(bits, k-1), Bits: bits}.Label())
		}
		span = fmt.Sprintf("fingers %d–%d (starts %s, none past %s)", cr.Finger, cr.LastSet, strings.Join(starts, ", "), owner)
	}
	var changed []string
	for _, ch := range r.Changes {
		if ch.Kind == PointerFinger {
			changed = append(changed, fmt.Sprintf("finger[%d] %s → %s", ch.Index, ch.Old, ch.New))
		}
	}
	if len(changed) == 0 {
		out = append(out, fmt.Sprintf("%s → %s, unchanged.", span, owner))
	} else {
		out = append(out, fmt.Sprintf("%s → %s: %s.", span, owner, strings.Join(changed, ", ")))
	}
	return strings.Join(out, " ")
}

// checkPredCaption words a check_predecessor round.
func checkPredCaption(r StepRound, before chord.Status) string {
	n := r.Node.Name
	if len(r.Calls) == 0 {
		if before.Predecessor.IsZero() {
			return n + " has no predecessor: nothing to check (the next node to notify it becomes its predecessor)."
		}
		return n + " is its own predecessor (alone in its ring): nothing to check."
	}
	call := r.Calls[0]
	if call.Answered {
		return fmt.Sprintf("%s pings its predecessor %s: it answers, so %s keeps it.", n, call.To, n)
	}
	s := fmt.Sprintf("%s pings its predecessor %s: %s.", n, call.To, failure(r, call, "it"))
	if call.Dropped {
		s += fmt.Sprintf(" %s's predecessor is nil until a node notifies it.", n)
	}
	return s
}

// SparesNote says, when the step's repair rounds left copies their nodes
// no longer need, that they wait out a time and not a number of rounds:
// "; 2 spare copies wait out 4 RPC timeouts before a repair round drops
// them (the first from 0.8 s on)". "" when there are none.
func (d StepReport) SparesNote() string {
	n, first := 0, time.Duration(-1)
	for _, r := range d.Rounds {
		if r.Spares > 0 {
			n += r.Spares
			if first < 0 || r.SparesDropIn < first {
				first = r.SparesDropIn
			}
		}
	}
	if n == 0 {
		return ""
	}
	copies, them := fmt.Sprintf("%d spare copies wait", n), "them"
	if n == 1 {
		copies, them = "1 spare copy waits", "it"
	}
	return fmt.Sprintf("; %s out 4 RPC timeouts before a repair round drops %s (the first %s)", copies, them, dropWhen(first))
}

// dropWhen says when a repair round may drop a spare copy: "at the next
// repair round", or "after 0.8 s more".
func dropWhen(in time.Duration) string {
	if in <= 0 {
		return "at the next repair round"
	}
	return fmt.Sprintf("after %.1f s more", in.Seconds())
}

// repairCaption words a key repair round by the key copies it moved.
func repairCaption(r StepRound) string {
	n := r.Node.Name
	switch {
	case len(r.Keys) == 0 && r.Err != "":
		return n + " runs key repair: no copy is stored or removed."
	case len(r.Keys) == 0 && r.Spares > 0:
		copies, them := fmt.Sprintf("%d copies", r.Spares), "them"
		if r.Spares == 1 {
			copies, them = "1 copy", "it"
		}
		return fmt.Sprintf("%s runs key repair: no copy is stored or removed. It holds %s it no longer needs (e.g. %s), kept until spare for 4 RPC timeouts, as a read may have chosen %s: a repair round drops the first %s.",
			n, copies, QuoteKey(r.SpareKey), them, dropWhen(r.SparesDropIn))
	case len(r.Keys) == 0:
		return n + " runs key repair: every key it holds is already on the right nodes, so no copy is stored or removed."
	}
	const show = 6
	var parts []string
	for i, k := range r.Keys {
		if i == show {
			parts = append(parts, fmt.Sprintf("and %d more", len(r.Keys)-show))
			break
		}
		switch k.Change {
		case "stored":
			parts = append(parts, fmt.Sprintf("%s (%s) copied to %s", QuoteKey(k.Key), k.ID.Label(), k.Node))
		case "removed":
			parts = append(parts, fmt.Sprintf("%s (%s) removed from %s", QuoteKey(k.Key), k.ID.Label(), k.Node))
		default:
			parts = append(parts, fmt.Sprintf("%s (%s) updated at %s", QuoteKey(k.Key), k.ID.Label(), k.Node))
		}
	}
	return fmt.Sprintf("%s runs key repair: %s.", n, strings.Join(parts, "; "))
}
