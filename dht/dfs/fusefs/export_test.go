package fusefs

// SetDeviceForTest points Check at another FUSE device and returns the
// restore function.
func SetDeviceForTest(p string) func() {
	old := fuseDevice
	fuseDevice = p
	return func() { fuseDevice = old }
}
