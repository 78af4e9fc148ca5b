package cli

import "github.com/chordtui/chordtui/dht/cluster"

// DiscardEvents tells c that nobody reads its events (Cluster.IgnoreEvents),
// for a command that shows none (the cluster logs every event to --log
// itself), and drops any sent before, so that none is counted as
// undelivered. The func it returns closes c and waits for the reader.
func DiscardEvents(c *cluster.Cluster) (closeCluster func()) {
	c.IgnoreEvents()
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
