//go:build !linux

package gateproc

import "syscall"

// childAttr has nothing to add outside Linux: the tool stops the gateway
// itself on exit and on interrupts.
func childAttr() *syscall.SysProcAttr { return nil }
