// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.

// Package yamux is a copy of github.com/hashicorp/yamux v0.1.2 (MPL-2.0,
// see LICENSE) with its own send loop; netmux runs its sessions on it.
//
// What differs from upstream (README.md says why, and what it costs):
//
//   - The send loop takes the frame at the head of the send queue and every
//     frame queued behind it, and writes them, headers and bodies, with one
//     Write (upstream: two Writes per frame, one frame at a time).
//   - Whoever waits for a frame to be sent (Stream.Write, the window update
//     of Stream.Read, Stream.Close, Ping, GoAway) gets the outcome of the
//     write that carried it: success only once the frame has been written
//     whole, and never an error for a frame that was. A frame the send loop
//     has not taken when its waiter gives up (session shut down, write
//     timeout) is never written.
//   - A frame stuck in a socket write for Config.ConnectionWriteTimeout
//     closes the session (upstream leaves the write running and reports a
//     timeout for a frame that may still go out).
//
// The wire protocol (spec.md) and the API are upstream's: a peer running
// upstream yamux talks to this one. Changed code is marked "chordtui:".
package yamux
