// Package istio holds cognito-gate's Istio example: mesh-config.yaml
// declares the gate as an envoyExtAuthzGrpc extension provider,
// authorization-policy.yaml sends every request through the ingress
// gateway to it (action CUSTOM), and cognito-gate.yaml runs it
// (`cognito-gate forward-auth` with forward_auth.grpc_listen) where only
// the gateway can call it (STRICT mutual TLS, an ALLOW policy on the
// gateway's identity).
//
// The package has no code of its own. Its test checks that the files fit
// together: the provider the CUSTOM policy names exists and points at the
// Service's gRPC port, which is the gate's grpc_listen; the provider does
// not fail open; the CUSTOM policy matches every request; the gate accepts
// calls from the gateway's identity only, over mutual TLS. The files are
// not validated against Istio's schemas (Istio's API module is not a
// dependency) nor applied to a cluster; cmd/cognito-gate's tests load the
// ConfigMap's gate.yaml as the binary does.
package istio
