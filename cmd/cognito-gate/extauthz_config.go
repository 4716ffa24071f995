package main

import (
	"fmt"
	"net"
)

// extAuthz checks forward_auth.grpc_listen, the listener of Envoy's
// ext_authz gRPC API (extauthz.go): a host:port other than listen's and
// admin_listen's. It runs after listeners, which sets their defaults.
//
// The token sources whose every spelling an allowed answer could not yet
// remove from the upstream request are refused beside it, rather than
// let through: the load balancer's headers (tokens.alb: a client's
// x_amzn_oidc_data would reach an upstream that reads it) and the
// WebSocket subprotocol's token entry (tokens.websocket_subprotocol: serve
// never lets it reach the upstream).
func (v *validator) extAuthz() {
	addr := v.fc.ForwardAuth.GRPCListen
	if addr == "" {
		return
	}
	if v.fc.Tokens.ALB != nil {
		v.bad("forward_auth.grpc_listen", "not with tokens.alb: the ext_authz answer does not remove the load balancer's headers from the upstream request")
	}
	if v.fc.Tokens.WebSocketSubprotocol {
		v.bad("forward_auth.grpc_listen", "not with tokens.websocket_subprotocol: the ext_authz answer does not remove the subprotocol's token entry from the upstream request")
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
