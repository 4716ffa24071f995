//go:build !linux

package gateproc

import "syscall"

// ChildAttr has nothing to add outside Linux: the tool stops the gateway
// itself on exit and on interrupts.
func ChildAttr() *syscall.SysProcAttr { return nil }
