package runtime

import "syscall"

// sysProcAttr puts an instance in its own process group, so that stopping
// it stops everything it started, and has the kernel kill it if the server
// dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
