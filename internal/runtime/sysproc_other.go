//go:build !unix

package runtime

import "syscall"

// Without process groups an instance's children could outlive it, so
// Runnable refuses every runtime.
const processesSupported = false

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(int) {}
