package chord

import "context"

// Handler serves one incoming call: method names the operation, req is its
// encoded request. A non-nil error reaches the caller as an error reply.
type Handler = func(ctx context.Context, method string, req []byte) ([]byte, error)

// Transport is all chord needs from the network: call a method on a remote
// address within the deadline of ctx, and serve calls that arrive for this
// address. Implementations: chordtest.Network (in memory, with faults) and
// netmux.Transport (yamux over TCP). chord/chordtest has the conformance suite.
//
// Contract, checked by chordtest.RunConformance:
//   - Call returns the remote handler's reply, or an error. A handler error
//     comes back as an error whose text contains the handler's message.
//   - An unreachable, crashed or partitioned address makes Call fail without
//     waiting for the deadline where the transport can tell (connection
//     refused); a paused or silent one fails when ctx expires, with an error
//     for which errors.Is(err, context.DeadlineExceeded) holds.
//   - Call is safe for concurrent use; the handler runs concurrently too.
//   - Before Serve is called, incoming calls get an error reply.
//
// Chord itself never returns handler errors at this level: it encodes its own
// replies (see wire.go), so any error from Call means the peer could not be
// reached in time. Closing the transport is up to whoever created it.
type Transport interface {
	// Addr is the address other nodes use to reach this one.
	Addr() string
	// Call sends req to method at addr and waits for the reply.
	Call(ctx context.Context, addr, method string, req []byte) ([]byte, error)
	// Serve sets the handler for incoming calls. It does not block.
	Serve(h Handler)
}

// ConnectionReporter is implemented by a Transport that knows whether it
// still holds an open connection to a peer (netmux.Transport does). With
// Config.LivenessWindow set, a node vouches for a peer that answered it
// recently only while it is still connected to it, so a crash that closed
// the connection ends the trust at once instead of a window later.
type ConnectionReporter interface {
	// Connected reports whether an open connection to addr exists now.
	Connected(addr string) bool
}

// DialReporter is implemented by a Transport whose call to a peer it holds
// no connection to opens one first (netmux.Transport: a TCP connect, a
// handshake and a session at both ends, several calls' worth of CPU). A
// node that carries a recursive lookup on asks, before the closest
// candidate such a call would dial, a connected one at most a few times
// farther from the key (lookup.nextConnected). A transport without a cost
// of its own per connection (the in-memory one) does not implement it.
type DialReporter interface {
	// WouldDial reports whether a call to addr now would open a connection.
	WouldDial(addr string) bool
}
