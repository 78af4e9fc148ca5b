package cli

import "github.com/chordtui/chordtui/dht/cluster"

// DiscardEvents reads and drops c's events, for a command that shows none
// (the cluster logs every event to --log itself), so that none is counted
// as undelivered. The func it returns closes c and waits for the reader.
func DiscardEvents(c *cluster.Cluster) (closeCluster func()) {
	drained := make(chan struct{})
	go func() { // exits when Close closes the event channel
		defer close(drained)
		for range c.Events() {
		}
	}()
	return func() {
		c.Close()
		<-drained
	}
}
