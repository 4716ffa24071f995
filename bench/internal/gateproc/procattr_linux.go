package gateproc

import "syscall"

// ChildAttr makes the kernel kill the gateway if the load tool dies
// without stopping it.
func ChildAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
