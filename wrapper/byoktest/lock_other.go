//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package byoktest

import "os"

// lockFile creates the lock file at path but takes no lock: this system
// has no flock, so two servers on one data file are not detected here.
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
