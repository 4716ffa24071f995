package main

import (
	"fmt"
	"net"
)

// extAuthz checks forward_auth.grpc_listen, the listener of Envoy's
// ext_authz gRPC API (extauthz.go): a host:port other than listen's and
// admin_listen's. It runs after listeners, which sets their defaults.
func (v *validator) extAuthz() {
	addr := v.fc.ForwardAuth.GRPCListen
	if addr == "" {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.bad("forward_auth.grpc_listen", "want host:port, e.g. 127.0.0.1:8082, got %q", addr)
		return
	}
	for _, other := range []struct{ field, addr string }{{"listen", v.fc.Listen}, {"admin_listen", v.fc.AdminListen}} {
		if addr == other.addr && port != "0" {
			v.bad("forward_auth.grpc_listen", "must differ from %s (%s)", other.field, other.addr)
		}
	}
}

// extAuthzWarnings returns the warnings about forward_auth.grpc_listen for
// the forward-auth command: like the HTTP endpoint, the gRPC one believes
// the method, path, host and headers it is sent.
func (gc *gateConfig) extAuthzWarnings() []string {
	addr := gc.raw.ForwardAuth.GRPCListen
	if addr == "" || isLoopback(addr) {
		return nil
	}
	return []string{fmt.Sprintf("forward_auth.grpc_listen %s is not a loopback address: the ext_authz endpoint believes the method, path, host and headers of every CheckRequest, so anyone who can reach it can ask about any request; make sure only Envoy can (a network policy, an Istio AuthorizationPolicy on the gate, a sidecar on 127.0.0.1)", addr)}
}
