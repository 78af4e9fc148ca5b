package dht

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/chordtui/chordtui/chord"
)

// The wire format of the dht commands: a flat sequence of uvarints,
// length-prefixed byte strings, 20-byte identifiers and one-byte booleans.
// Every decoder checks lengths against what is left, so a malformed or
// hostile message is an error, never a panic or a huge allocation.

// errMalformed wraps every decoding failure.
var errMalformed = errors.New("malformed dht message")

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) bytes(p []byte)   { e.uvarint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) id(id chord.ID)   { e.b = append(e.b, id[:]...) }
func (e *encoder) boolean(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) version(v Version) {
	e.uvarint(uint64(v.Wall)) // a negative Wall round-trips through the conversion
	e.uvarint(uint64(v.Logical))
	e.id(v.Writer)
}

// blobs writes a count and then each byte string.
func (e *encoder) blobs(l [][]byte) {
	e.uvarint(uint64(len(l)))
	for _, p := range l {
		e.bytes(p)
	}
}

func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}
func (e *encoder) ref(r chord.NodeRef) {
	e.id(r.ID)
	e.str(r.Addr)
}
func (e *encoder) record(r record) {
	e.str(r.Key)
	e.bytes(r.Value)
	e.boolean(r.Deleted)
	e.version(r.Ver)
	e.version(r.Prev)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a list length; each element takes at least minSize bytes,
// which bounds the length by what is left of the message.
func (d *decoder) count(minSize int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > uint64(len(d.b)/minSize) {
		d.fail("list of %d entries in %d bytes", n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) raw(limit int) []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("string of %d bytes in %d", n, len(d.b))
		return nil
	}
	if n > uint64(limit) {
		d.fail("string of %d bytes exceeds %d", n, limit)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) bytes(limit int) []byte {
	p := d.raw(limit)
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

func (d *decoder) str(limit int) string { return string(d.raw(limit)) }

func (d *decoder) id() chord.ID {
	var id chord.ID
	if d.err != nil {
		return id
	}
	if len(d.b) < len(id) {
		d.fail("short identifier")
		return id
	}
	copy(id[:], d.b)
	d.b = d.b[len(id):]
	return id
}

func (d *decoder) boolean() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) < 1 {
		d.fail("short boolean")
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	if v > 1 {
		d.fail("bad boolean %d", v)
	}
	return v == 1
}

func (d *decoder) version() Version {
	wall := int64(d.uvarint())
	logical := d.uvarint()
	if logical > math.MaxUint32 {
		d.fail("logical clock %d out of range", logical)
	}
	return Version{Wall: wall, Logical: uint32(logical), Writer: d.id()}
}

// maxAddr bounds node addresses on the wire.
const maxAddr = 1024

// strs decodes a list of node addresses.
func (d *decoder) strs() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str(maxAddr))
	}
	return out
}

func (d *decoder) ref() chord.NodeRef { return chord.NodeRef{ID: d.id(), Addr: d.str(maxAddr)} }

// record decodes a record; its ID is left for the receiver to compute.
func (d *decoder) record(lim limits) record {
	var r record
	r.Key = d.str(lim.key)
	r.Value = d.bytes(lim.value)
	r.Deleted = d.boolean()
	r.Ver = d.version()
	r.Prev = d.version()
	return r
}

// finish reports the first error, or trailing bytes.
func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}

// limits are the key and value sizes a decoder accepts.
type limits struct{ key, value int }

// Minimum encoded sizes, used to bound list lengths.
const (
	minVersion = 1 + 1 + 20                          // wall, logical, writer
	minRecord  = 1 + 1 + 1 + minVersion + minVersion // key len, value len, deleted, version, prev
	minDigest  = 1 + minVersion
	minRef     = 20 + 1
	minCopy    = 1 + 1 + minVersion // address, found, version
)

// status is the outcome carried in every reply of a dht command. Handlers
// never return Go errors for these: a transport error always means the
// peer could not be reached.
type status byte

const (
	statusOK          status = iota
	statusNotOwner           // the node does not own the key; Hint is its predecessor
	statusInvalid            // the request broke a limit (key or value size)
	statusUnavailable        // too few holders answered
	statusNotMember          // the node has left or not joined the ring
	statusNotReady           // the node has not taken over its keys yet (treated as down)
)

// reply header: status, message, hint.
type replyHead struct {
	Status status
	Msg    string
	Hint   chord.NodeRef
}

func (e *encoder) head(h replyHead) {
	e.b = append(e.b, byte(h.Status))
	e.str(h.Msg)
	e.ref(h.Hint)
}

func (d *decoder) head() replyHead {
	var h replyHead
	if d.err != nil {
		return h
	}
	if len(d.b) < 1 {
		d.fail("short reply")
		return h
	}
	h.Status = status(d.b[0])
	d.b = d.b[1:]
	if h.Status > statusNotReady {
		d.fail("unknown status %d", h.Status)
	}
	h.Msg = d.str(4096)
	h.Hint = d.ref()
	return h
}

// --- messages ---

// getReq asks the owner for a key (dht.get), or any holder for its local
// copy (dht.read). Force makes a non-owner answer as if it owned the key:
// the client uses it when the owner is down. Cover names the nodes whose
// copies the client reads itself, at the same time: the owner does not
// read them again (a covered node counts as read). Skip names nodes the
// client found unreachable: the owner goes on to the next live ones
// without calling them. Hints asks the owner to name the replicas it
// reads when they are not exactly Cover (getResp.Replicas).
type getReq struct {
	Key   string
	Force bool
	Hints bool
	Cover []string
	Skip  []string
	// Lease asks the owner for a read lease for From (cache.go).
	Lease bool
	From  string
}

func (m getReq) encode() []byte {
	var e encoder
	e.str(m.Key)
	e.boolean(m.Force)
	e.boolean(m.Hints)
	e.strs(m.Cover)
	e.strs(m.Skip)
	e.boolean(m.Lease)
	e.str(m.From)
	return e.b
}

func decodeGetReq(b []byte, lim limits) (getReq, error) {
	d := decoder{b: b}
	m := getReq{Key: d.str(lim.key), Force: d.boolean(), Hints: d.boolean(), Cover: d.strs(), Skip: d.strs(), Lease: d.boolean(), From: d.str(maxAddr)}
	return m, d.finish()
}

// getResp is the answer to dht.get and dht.read: the newest copy found.
// Replicas, in a dht.get reply to a request with Hints, are the owner's
// next r-1 live successors when they differ from the request's Cover.
// Copies, in a dht.get reply, names every copy the answering node read
// (its own included) with its version, so that the client can write the
// newest back to those that are behind.
type getResp struct {
	Head     replyHead
	Found    bool // a record (value or tombstone) exists
	Rec      record
	Replicas []chord.NodeRef
	Copies   []copyVer
	// Lease is the read lease granted to the request's From (0: none).
	Lease time.Duration
	// Pred, in a dht.get reply from a ready owner that was not forced, is
	// its predecessor: it serves (Pred, itself] (GetDirect remembers it).
	Pred chord.NodeRef
	// Fenced, in a dht.read reply, says a stand-in's write of the key may
	// be under way: no lease may be kept from the read (fence.go).
	Fenced bool
}

// copyVer is one holder's version of a key, as read by dht.get.
type copyVer struct {
	Addr  string
	Found bool
	Ver   Version
}

func (m getResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.boolean(m.Found)
	if m.Found {
		e.record(m.Rec)
	}
	e.uvarint(uint64(len(m.Replicas)))
	for _, r := range m.Replicas {
		e.ref(r)
	}
	e.uvarint(uint64(len(m.Copies)))
	for _, c := range m.Copies {
		e.str(c.Addr)
		e.boolean(c.Found)
		e.version(c.Ver)
	}
	e.uvarint(uint64(m.Lease / time.Millisecond))
	e.boolean(!m.Pred.IsZero())
	if !m.Pred.IsZero() {
		e.ref(m.Pred)
	}
	e.boolean(m.Fenced)
	return e.b
}

func decodeGetResp(b []byte, lim limits) (getResp, error) {
	d := decoder{b: b}
	m := getResp{Head: d.head(), Found: d.boolean()}
	if m.Found {
		m.Rec = d.record(lim)
	}
	n := d.count(minRef)
	for i := 0; i < n && d.err == nil; i++ {
		m.Replicas = append(m.Replicas, d.ref())
	}
	n = d.count(minCopy)
	for i := 0; i < n && d.err == nil; i++ {
		m.Copies = append(m.Copies, copyVer{Addr: d.str(maxAddr), Found: d.boolean(), Ver: d.version()})
	}
	m.Lease = time.Duration(min(d.uvarint(), uint64(time.Hour/time.Millisecond))) * time.Millisecond
	if d.boolean() {
		m.Pred = d.ref()
	}
	m.Fenced = d.boolean()
	return m, d.finish()
}

// setReq is a write (value or tombstone) sent to the owner. Force makes
// the node accept it although its (stale) predecessor would own the key:
// the client sets it when the lookup named this node and the predecessor
// it redirected to is down.
type setReq struct {
	Key     string
	Value   []byte
	Deleted bool
	Force   bool
}

func (m setReq) encode() []byte {
	var e encoder
	e.str(m.Key)
	e.bytes(m.Value)
	e.boolean(m.Deleted)
	e.boolean(m.Force)
	return e.b
}

func decodeSetReq(b []byte, lim limits) (setReq, error) {
	d := decoder{b: b}
	m := setReq{Key: d.str(lim.key), Value: d.bytes(lim.value), Deleted: d.boolean(), Force: d.boolean()}
	return m, d.finish()
}

type setResp struct {
	Head   replyHead
	Ver    Version
	Copies int
}

func (m setResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.version(m.Ver)
	e.uvarint(uint64(m.Copies))
	return e.b
}

func decodeSetResp(b []byte) (setResp, error) {
	d := decoder{b: b}
	m := setResp{Head: d.head(), Ver: d.version(), Copies: int(d.uvarint())}
	return m, d.finish()
}

// storeReq pushes records to a holder (dht.store), which applies each one
// that is newer than its own copy. Kind says why they come.
type storeReq struct {
	Kind storeKind
	Recs []record
}

// storeKind is why records are pushed; it decides what the receiver does
// besides applying them.
type storeKind byte

const (
	// storeWrite: an owner replicates a write it is acknowledging. The
	// receiver forwards it to the nodes taking over its keys (handoffs)
	// before it answers.
	storeWrite storeKind = iota
	// storeWriteBack: a read found this holder behind and writes the newest
	// copy back before it returns. Forwarded like a write; a copy it
	// replaces that its writer had not seen is reported as a merge.
	storeWriteBack
	// storeRepair: a repair round, a join handoff or a graceful leave moves
	// copies. Replaced copies that the writer had not seen are merges.
	storeRepair
	// storeHandoff: a node forwards a write to a node taking over its keys,
	// which takes it even before it has finished taking over.
	storeHandoff
)

func (m storeReq) encode() []byte {
	var e encoder
	e.b = append(e.b, byte(m.Kind))
	e.uvarint(uint64(len(m.Recs)))
	for _, r := range m.Recs {
		e.record(r)
	}
	return e.b
}

func decodeStoreReq(b []byte, lim limits) (storeReq, error) {
	d := decoder{b: b}
	var m storeReq
	if len(b) < 1 {
		d.fail("short store request")
		return m, d.err
	}
	m.Kind = storeKind(b[0])
	d.b = b[1:]
	if m.Kind > storeHandoff {
		d.fail("unknown store kind %d", m.Kind)
	}
	n := d.count(minRecord)
	for i := 0; i < n && d.err == nil; i++ {
		m.Recs = append(m.Recs, d.record(lim))
	}
	return m, d.finish()
}

// storeResp says, per record, whether the holder now holds it (applied,
// or held already), and the version the holder has now (equal to the
// pushed one when accepted).
type storeResp struct {
	Head     replyHead
	Accepted []bool
	Current  []Version
}

func (m storeResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.uvarint(uint64(len(m.Accepted)))
	for i := range m.Accepted {
		e.boolean(m.Accepted[i])
		e.version(m.Current[i])
	}
	return e.b
}

func decodeStoreResp(b []byte) (storeResp, error) {
	d := decoder{b: b}
	m := storeResp{Head: d.head()}
	n := d.count(1 + minVersion)
	for i := 0; i < n && d.err == nil; i++ {
		m.Accepted = append(m.Accepted, d.boolean())
		m.Current = append(m.Current, d.version())
	}
	return m, d.finish()
}

// digestEntry names a key and the version the sender holds.
type digestEntry struct {
	Key string
	Ver Version
}

type digestReq struct{ Entries []digestEntry }

func (m digestReq) encode() []byte {
	var e encoder
	e.uvarint(uint64(len(m.Entries)))
	for _, x := range m.Entries {
		e.str(x.Key)
		e.version(x.Ver)
	}
	return e.b
}

func decodeDigestReq(b []byte, lim limits) (digestReq, error) {
	d := decoder{b: b}
	var m digestReq
	n := d.count(minDigest)
	for i := 0; i < n && d.err == nil; i++ {
		m.Entries = append(m.Entries, digestEntry{Key: d.str(lim.key), Ver: d.version()})
	}
	return m, d.finish()
}

// digest answers, per entry.
const (
	digestNeed  byte = iota // the receiver holds nothing or an older version
	digestSame              // the receiver holds exactly this version
	digestNewer             // the receiver holds a newer version
)

type digestResp struct {
	Head  replyHead
	State []byte
}

func (m digestResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.bytes(m.State)
	return e.b
}

func decodeDigestResp(b []byte) (digestResp, error) {
	d := decoder{b: b}
	m := digestResp{Head: d.head(), State: d.bytes(len(b))}
	for _, s := range m.State {
		if s > digestNewer {
			d.fail("bad digest state %d", s)
		}
	}
	return m, d.finish()
}

// transferReq asks for the records in (From, To], in pages (dht.transfer).
// Handoff, set by a node taking over its keys (By, whose ID is To), makes
// the sender forward it every write in (From, To] it takes from now on,
// for a while (see Store.forward), so that nothing acknowledged while the
// pages travel is missed.
type transferReq struct {
	From, To chord.ID
	After    cursor
	MaxBytes int
	Handoff  bool
	By       chord.NodeRef
}

func (m transferReq) encode() []byte {
	var e encoder
	e.id(m.From)
	e.id(m.To)
	e.boolean(m.Handoff)
	if m.Handoff {
		e.ref(m.By)
	}
	e.boolean(m.After.set)
	if m.After.set {
		e.id(m.After.ID)
		e.str(m.After.Key)
	}
	e.uvarint(uint64(m.MaxBytes))
	return e.b
}

func decodeTransferReq(b []byte, lim limits) (transferReq, error) {
	d := decoder{b: b}
	m := transferReq{From: d.id(), To: d.id(), Handoff: d.boolean()}
	if m.Handoff {
		m.By = d.ref()
	}
	m.After.set = d.boolean()
	if m.After.set {
		m.After.ID = d.id()
		m.After.Key = d.str(lim.key)
	}
	m.MaxBytes = int(min(d.uvarint(), 1<<30))
	return m, d.finish()
}

type transferResp struct {
	Head replyHead
	Recs []record
	More bool
}

func (m transferResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.uvarint(uint64(len(m.Recs)))
	for _, r := range m.Recs {
		e.record(r)
	}
	e.boolean(m.More)
	return e.b
}

func decodeTransferResp(b []byte, lim limits) (transferResp, error) {
	d := decoder{b: b}
	m := transferResp{Head: d.head()}
	n := d.count(minRecord)
	for i := 0; i < n && d.err == nil; i++ {
		m.Recs = append(m.Recs, d.record(lim))
	}
	m.More = d.boolean()
	return m, d.finish()
}

// succsResp is a node's view of its neighbourhood (dht.succs).
type succsResp struct {
	Head  replyHead
	Self  chord.NodeRef
	Pred  chord.NodeRef
	Succs []chord.NodeRef
	Ready bool // the node has taken over its keys
}

func (m succsResp) encode() []byte {
	var e encoder
	e.head(m.Head)
	e.ref(m.Self)
	e.ref(m.Pred)
	e.uvarint(uint64(len(m.Succs)))
	for _, r := range m.Succs {
		e.ref(r)
	}
	e.boolean(m.Ready)
	return e.b
}

func decodeSuccsResp(b []byte) (succsResp, error) {
	d := decoder{b: b}
	m := succsResp{Head: d.head(), Self: d.ref(), Pred: d.ref()}
	n := d.count(minRef)
	for i := 0; i < n && d.err == nil; i++ {
		m.Succs = append(m.Succs, d.ref())
	}
	m.Ready = d.boolean()
	return m, d.finish()
}

// decodeHeadPrefix reads the status header at the start of any reply.
func decodeHeadPrefix(b []byte) (replyHead, error) {
	d := decoder{b: b}
	h := d.head()
	return h, d.err
}
