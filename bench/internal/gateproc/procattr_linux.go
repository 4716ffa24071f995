package gateproc

import "syscall"

// childAttr makes the kernel kill the gateway if the load tool dies
// without stopping it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
