package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// extAuthzPolicy is the policy of the ext_authz tests: boundaryPolicy's
// areas, and the routes the Envoy example names.
const extAuthzPolicy = boundaryPolicy + `  - name: orders
    route: /orders/
    scopes_any: [orders/read]
`

// extAuthzRig is a gate built in this process from a configuration file,
// whose ext_authz server (openExtAuthz) serves on 127.0.0.1 and is
// called over a real gRPC connection, as Envoy calls it.
type extAuthzRig struct {
	pool   *cognitotest.Pool
	g      *gate
	client authv3.AuthorizationClient
	logs   *observer.ObservedLogs
}

// newExtAuthzRig starts a rig for pool (nil: a new one) with the given
// policy and extra configuration (see newExtAuthzGate).
func newExtAuthzRig(t *testing.T, pool *cognitotest.Pool, policyYAML, extra string) *extAuthzRig {
	t.Helper()
	if pool == nil {
		pool = cognitotest.New(t, cognitotest.Config{})
	}
	core, logs := observer.New(zapcore.DebugLevel)
	g := newExtAuthzGate(t, pool, policyYAML, extra+"forward_auth:\n  grpc_listen: 127.0.0.1:0\n", core)
	lns, err := openExtAuthz(nil, func() *gate { return g })
	if err != nil {
		t.Fatal(err)
	}
	l := lns[0]
	go l.srv.Serve(l.ln)
	t.Cleanup(func() { l.srv.Close() })
	conn, err := grpc.NewClient(l.ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &extAuthzRig{pool: pool, g: g, client: authv3.NewAuthorizationClient(conn), logs: logs}
}

// newExtAuthzGate builds, in this process, the gate of a configuration
// for pool with policyYAML inline and extra top-level YAML, its keys
// loaded, logging to core.
func newExtAuthzGate(tb testing.TB, pool *cognitotest.Pool, policyYAML, extra string, core zapcore.Core) *gate {
	tb.Helper()
	text := fmt.Sprintf("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\npools:\n  - {user_pool_id: %s, jwks_url: %q, allow_http: true, client_ids: [%s], token_use: access}\njwks: {cooldown: 1ms, max_backoff: 1ms}\n%spolicy:\n  %s\n",
		pool.PoolID(), pool.JWKSURL(), pool.ClientID(), extra, strings.ReplaceAll(strings.TrimSpace(policyYAML), "\n", "\n  "))
	cfg, err := parseConfig([]byte(text), filepath.Join(tb.TempDir(), "gate.yaml"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	g := newTestGate(tb, cfg, zap.New(core))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g.hydrate(ctx) // logs, and goes on, when the keys do not load
	return g
}

// check sends req and returns Envoy's view of the answer; it fails the
// test on a gRPC error.
func (rig *extAuthzRig) check(t *testing.T, req *authv3.CheckRequest) envoyAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := rig.client.Check(ctx, req)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return answerOf(t, resp)
}

// requests returns the value of cognito_gate_requests_total{result, reason}
// in the rig's registry.
func (rig *extAuthzRig) requests(t *testing.T, result, reason string) float64 {
	t.Helper()
	return counterValue(t, rig.g.reg, "cognito_gate_requests_total", map[string]string{"result": result, "reason": reason})
}

// totalRequests returns the sum of cognito_gate_requests_total.
func (rig *extAuthzRig) totalRequests(t *testing.T) float64 {
	t.Helper()
	return counterValue(t, rig.g.reg, "cognito_gate_requests_total", nil)
}

// counterValue sums the counter name's series whose labels include want.
func counterValue(t *testing.T, reg prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue series
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// envoyAnswer is what Envoy makes of a CheckResponse
// (ext_authz_grpc_impl.cc): OK status → allowed with the header
// mutations; any other status → denied with the DeniedHttpResponse (403
// when it sets no status).
type envoyAnswer struct {
	code    int32 // the google.rpc.Status code
	allowed bool
	status  int         // the HTTP status of a denial
	header  http.Header // the denial's headers, or the headers set upstream
	remove  []string    // headers_to_remove
	body    string
	appends []string // header mutations that would not overwrite
}

func answerOf(t *testing.T, resp *authv3.CheckResponse) envoyAnswer {
	t.Helper()
	a := envoyAnswer{code: resp.GetStatus().GetCode(), header: http.Header{}}
	opts := func(hs []*corev3.HeaderValueOption) {
		for _, o := range hs {
			// The deprecated append field, when set, would win over
			// append_action.
			m := o.ProtoReflect()
			if m.Has(m.Descriptor().Fields().ByName("append")) || o.GetAppendAction() != corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD {
				a.appends = append(a.appends, o.GetHeader().GetKey())
			}
			if k := o.GetHeader().GetKey(); k != strings.ToLower(k) || !validHeaderName(k) {
				t.Errorf("header mutation key %q is not a lower-case header name", k)
			}
			a.header.Add(o.GetHeader().GetKey(), o.GetHeader().GetValue())
		}
	}
	switch {
	case a.code == 0:
		a.allowed = true
		ok := resp.GetOkResponse()
		if resp.GetDeniedResponse() != nil || resp.GetErrorResponse() != nil {
			t.Errorf("status OK with a denied or error response: %v", resp)
		}
		opts(ok.GetHeaders())
		a.remove = ok.GetHeadersToRemove()
		if len(ok.GetResponseHeadersToAdd()) > 0 || len(ok.GetQueryParametersToSet()) > 0 || len(ok.GetQueryParametersToRemove()) > 0 {
			t.Errorf("unexpected OK mutations: %v", ok)
		}
	default:
		d := resp.GetDeniedResponse()
		if d == nil {
			t.Fatalf("status %d without a denied response (Envoy would answer 403, or treat error_response as a failure): %v", a.code, resp)
		}
		a.status = int(d.GetStatus().GetCode())
		opts(d.GetHeaders())
		a.body = d.GetBody()
	}
	if len(a.appends) > 0 {
		t.Errorf("header mutations that append instead of replacing: %q", a.appends)
	}
	return a
}

// envoyCheck builds a CheckRequest as Envoy's ext_authz HTTP filter does
// (CheckRequestUtils::createHttpCheck, the gRPC service with its default
// settings): the downstream and local addresses, the request time, the
// stream id, method, path with its query, host (:authority), scheme and
// protocol, and every request header in a map with lower-case keys —
// the pseudo-headers :authority, :method, :path and :scheme included —
// beside x-forwarded-proto and x-request-id, which Envoy's connection
// manager adds before the filter runs; context extensions as the route
// sets them. headers are added to (or replace) the defaults; their keys
// are used as given.
func envoyCheck(method, host, path string, headers, ext map[string]string) *authv3.CheckRequest {
	h := map[string]string{
		":authority": host, ":method": method, ":path": path, ":scheme": "https",
		"user-agent": "curl/8.5.0", "accept": "*/*",
		"x-forwarded-proto": "https", "x-request-id": "5d3b4c1e-9c7a-4a8e-9d6b-1f2e3a4b5c6d",
	}
	for k, v := range headers {
		h[k] = v
	}
	addr := func(ip string, port uint32) *corev3.Address {
		return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source:      &authv3.AttributeContext_Peer{Address: addr("203.0.113.7", 53124)},
		Destination: &authv3.AttributeContext_Peer{Address: addr("10.0.0.2", 10000)},
		Request: &authv3.AttributeContext_Request{
			Time: timestamppb.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)),
			Http: &authv3.AttributeContext_HttpRequest{
				Id: "11762393404178454530", Method: method, Headers: h, Path: path, Host: host,
				Scheme: "https", Protocol: "HTTP/1.1",
			},
		},
		ContextExtensions: ext,
	}}
}

// rawHeaders moves the headers of req into header_map, one entry per
// value, as Envoy sends them with encode_raw_headers: true (raw_value
// only); extra entries are appended.
func rawHeaders(req *authv3.CheckRequest, extra ...[2]string) *authv3.CheckRequest {
	hr := req.GetAttributes().GetRequest().GetHttp()
	m := &corev3.HeaderMap{}
	for k, v := range hr.Headers {
		m.Headers = append(m.Headers, &corev3.HeaderValue{Key: k, RawValue: []byte(v)})
	}
	for _, e := range extra {
		m.Headers = append(m.Headers, &corev3.HeaderValue{Key: e[0], RawValue: []byte(e[1])})
	}
	hr.Headers, hr.HeaderMap = nil, m
	return req
}

func bearer(tok string) map[string]string { return map[string]string{"authorization": "Bearer " + tok} }

// plus returns a copy of m with the pairs kv (key, value, ...) set.
func plus(m map[string]string, kv ...string) map[string]string {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}
