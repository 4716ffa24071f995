package main

import (
	"errors"
	"fmt"
	"net"
	"slices"
)

// The commands that serve, as check's --command names them.
const (
	commandServe       = "serve"
	commandForwardAuth = "forward-auth"
)

// forCommand runs the checks that only one command needs, on top of those
// every command runs at load, and returns every problem found. serve,
// forward-auth and check all call it, so that check passes exactly the
// configurations that start.
func (gc *gateConfig) forCommand(cmd string) error {
	var errs []error
	switch cmd {
	case commandServe:
		if gc.upstream == nil {
			errs = append(errs, fmt.Errorf("%s: upstream: required for %s", gc.file, cmd))
		}
	case commandForwardAuth:
	default:
		return fmt.Errorf("%w: unknown command %q: want %s or %s", errUsage, cmd, commandServe, commandForwardAuth)
	}
	errs = append(errs, gc.assertionForCommand(cmd))
	return errors.Join(errs...)
}

// warnings returns the configuration's footguns for cmd, to be logged at
// start-up and printed by check: settings that are valid but open more
// than their authors may think.
func (gc *gateConfig) warnings(cmd string) []string {
	ws := slices.Clone(gc.policy.Warnings())
	if cmd == commandForwardAuth {
		ws = append(ws, gc.extAuthzWarnings()...)
	}
	ws = append(ws, gc.websocketWarnings(cmd)...)
	if cmd == commandForwardAuth && !isLoopback(gc.raw.Listen) {
		ws = append(ws, fmt.Sprintf("listen %s is not a loopback address: the forward-auth endpoint believes the method, URI and host headers it is sent, so anyone who can reach it can ask about any request; make sure only the proxy can (a network policy, a sidecar on 127.0.0.1)", gc.raw.Listen))
	}
	if !isLoopback(gc.raw.AdminListen) {
		ws = append(ws, fmt.Sprintf("admin_listen %s is not a loopback address: /metrics and /readyz reveal the configured issuers and key-set errors; expose them only to the scraper and the kubelet", gc.raw.AdminListen))
	}
	if cmd == commandServe && gc.forwardAuthorization && gc.upstream != nil && gc.upstream.Scheme == "http" && !isLoopbackHost(gc.upstream.Hostname()) {
		ws = append(ws, fmt.Sprintf("upstream %s is plain http on another host: verified tokens travel to it in the clear (forward_authorization: false keeps them back)", gc.upstream.Redacted()))
	}
	ws = append(ws, gc.assertionWarnings(cmd)...)
	ws = append(ws, gc.revocationWarnings()...)
	ws = append(ws, gc.liveCheckWarnings()...)
	return ws
}

// isLoopback reports whether the listen address addr (host:port) only
// accepts connections from this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && isLoopbackHost(host)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
