// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at https://mozilla.org/MPL/2.0/.

// Package yamux is a copy of github.com/hashicorp/yamux v0.1.2 (MPL-2.0,
// see LICENSE) with its own writers and hooks; netmux runs its sessions on
// it.
//
// What differs from upstream (README.md says why, and what it costs):
//
//   - No send goroutine: whoever queues a frame and finds no writer at work
//     writes it, with every frame queued behind it, in one Write (upstream:
//     a goroutine per session writing two Writes per frame), and hands the
//     writer's role to a waiting frame's goroutine.
//   - Whoever waits for a frame to be sent (Stream.Write, the window update
//     of Stream.Read, Stream.Close, Ping, GoAway) gets the outcome of the
//     write that carried it: success only once the frame has been written
//     whole, and never an error for a frame that was. A frame no writer has
//     taken when its waiter gives up (session shut down, write timeout) is
//     never written.
//   - A write stuck for Config.ConnectionWriteTimeout closes the session
//     (upstream leaves the write running and reports a timeout for a frame
//     that may still go out).
//   - NewSession's Hooks hand incoming streams and the session's end to the
//     owner, and Stream.SetReadableHook tells it when a stream has data, so
//     it needs no goroutine waiting on either; Config.ReadBufferSize < 0
//     leaves read buffering to the connection; idle streams keep no
//     receive buffer; reads stop at once after a shutdown.
//
// The wire protocol (spec.md) and the API are upstream's (with additions):
// a peer running upstream yamux talks to this one. Changed code is marked
// "chordtui:".
package yamux
