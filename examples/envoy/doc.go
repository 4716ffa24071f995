// Package envoy holds cognito-gate's Envoy example: envoy.yaml, an Envoy
// bootstrap whose ext_authz HTTP filter asks cognito-gate over gRPC
// (grpc_service) about every request, routes naming the policy rule that
// must judge them (the cognito_gate_rule context extension), and
// gate.yaml, the cognito-gate configuration it talks to
// (forward_auth.grpc_listen).
//
// The package has no code of its own. Its test reads envoy.yaml into
// Envoy's v3 API types (go-control-plane), runs their validation rules,
// and checks what the gate relies on: failure_mode_allow off, every
// header sent, no body, paths normalized, the cluster on HTTP/2 at
// gate.yaml's grpc_listen, and every rule a route names present in
// gate.yaml's policy. It is not run against an Envoy binary.
package envoy
