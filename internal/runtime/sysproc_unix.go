//go:build unix

package runtime

import "syscall"

const processesSupported = true

// killGroup kills an instance's process group: its bootstrap and anything
// the bootstrap started.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
