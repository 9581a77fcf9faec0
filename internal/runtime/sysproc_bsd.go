//go:build unix && !linux

package runtime

import "syscall"

// sysProcAttr puts an instance in its own process group, so that stopping
// it stops everything it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
