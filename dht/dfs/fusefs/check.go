package fusefs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// The reasons a mount cannot be made, each with what to do. Check's
// errors wrap one of them.
var (
	// ErrNoFUSE: the kernel offers no FUSE device here.
	ErrNoFUSE = errors.New("FUSE is not available")
	// ErrNoFusermount: a user that is not root needs fusermount3.
	ErrNoFusermount = errors.New("fusermount3 is missing")
	// ErrStale: the directory is a mount whose server is gone (a chordtui
	// that was killed): it must be unmounted first.
	ErrStale = errors.New("stale mount")
	// ErrMounted: the directory is a live mount already.
	ErrMounted = errors.New("already mounted")
	// ErrMountPoint: the directory cannot be a mount point.
	ErrMountPoint = errors.New("bad mount point")
)

// fuseDevice is the FUSE device; a variable for tests.
var fuseDevice = "/dev/fuse"

// Check reports why dir cannot be mounted here, with what to do about it,
// or nil. It does not change anything.
func Check(dir string) error {
	if dir == "" {
		return fmt.Errorf("%w: empty directory name", ErrMountPoint)
	}
	if err := checkStale(dir); err != nil {
		return err
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		parent := filepath.Dir(filepath.Clean(dir))
		if pst, perr := os.Stat(parent); perr != nil || !pst.IsDir() {
			return fmt.Errorf("%w: %s does not exist, nor does its parent %s — create it with mkdir -p %s", ErrMountPoint, dir, parent, dir)
		}
	case err != nil:
		return fmt.Errorf("%w: %s: %w", ErrMountPoint, dir, err)
	case !st.IsDir():
		return fmt.Errorf("%w: %s is not a directory", ErrMountPoint, dir)
	}
	f, err := os.OpenFile(fuseDevice, os.O_RDWR, 0)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s does not exist — load the kernel module (modprobe fuse) or, in a container, start it with --device /dev/fuse --cap-add SYS_ADMIN; everything but the mount works without it", ErrNoFUSE, fuseDevice)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: cannot open %s: permission denied — add yourself to the group that owns it, or run as root; everything but the mount works without it", ErrNoFUSE, fuseDevice)
	case err != nil:
		return fmt.Errorf("%w: cannot open %s: %w", ErrNoFUSE, fuseDevice, err)
	}
	f.Close()
	if os.Geteuid() != 0 {
		if _, err := fusermount(); err != nil {
			return fmt.Errorf("%w: a user other than root mounts through fusermount3 — install it (apt-get install fuse3) or run as root", ErrNoFusermount)
		}
	}
	return nil
}

// fusermount finds fusermount3 (or the older fusermount).
func fusermount() (string, error) {
	for _, name := range []string{"fusermount3", "fusermount"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		if p := filepath.Join("/bin", name); isExecutable(p) {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&0o111 != 0
}

// checkStale finds dir among the mounts: a FUSE mount there whose
// server does not answer (ENOTCONN) is stale, one that answers is live.
func checkStale(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	fstype, ok := mountedAt(abs)
	_, statErr := os.Stat(dir)
	if errors.Is(statErr, syscall.ENOTCONN) || ok && strings.HasPrefix(fstype, "fuse") && statErr != nil {
		return fmt.Errorf("%w: %s is still mounted by a file system whose server is gone (a chordtui that was killed?) — unmount it with: fusermount3 -u %s (as root: umount %s), then start again", ErrStale, dir, dir, dir)
	}
	if ok && strings.HasPrefix(fstype, "fuse") {
		return fmt.Errorf("%w: %s is a FUSE mount (%s) in use — unmount it first (fusermount3 -u %s) or pick another directory", ErrMounted, dir, fstype, dir)
	}
	return nil
}

// mountedAt returns the file system type mounted at the absolute path p,
// from /proc/self/mountinfo.
func mountedAt(p string) (string, bool) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", false
	}
	defer f.Close()
	fstype, found := "", false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional…] - fstype source super
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || unescape(fields[4]) != p {
			continue
		}
		for i, fld := range fields {
			if fld == "-" && i+1 < len(fields) {
				fstype, found = fields[i+1], true // the last mount there wins
			}
		}
	}
	return fstype, found
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lazyUnmount detaches dir (MNT_DETACH as root, fusermount3 -u -z
// otherwise).
func lazyUnmount(dir string, direct bool) error {
	if direct {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err == nil {
			return nil
		}
	}
	bin, err := fusermount()
	if err != nil {
		return err
	}
	out, err := exec.Command(bin, "-u", "-z", dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w", strings.TrimSpace(string(out)), err)
	}
	return nil
}

// abortConnection aborts FUSE connection n (fusectl, as root), so that
// requests still pending fail at once instead of waiting for a server
// that is going away; best effort.
func abortConnection(n uint32) {
	if n == 0 {
		return
	}
	p := fmt.Sprintf("/sys/fs/fuse/connections/%d/abort", n)
	_ = os.WriteFile(p, []byte("1"), 0o200)
}

// mountHint adds what to do to a failed mount's error.
func mountHint(err error) string {
	switch {
	case errors.Is(err, syscall.EPERM), errors.Is(err, os.ErrPermission):
		return " — mounting needs root or fusermount3 (apt-get install fuse3) with permission to use /dev/fuse"
	case errors.Is(err, exec.ErrNotFound):
		return " — install fusermount3 (apt-get install fuse3) or run as root"
	}
	return ""
}
