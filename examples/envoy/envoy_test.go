package envoy

import (
	"encoding/json"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// validator is what protoc-gen-validate generates for every Envoy type.
type validator interface{ ValidateAll() error }

// readYAML reads a YAML file into generic values.
func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// unpack unpacks a typed_config into m and runs its validation rules.
func unpack(t *testing.T, what string, a *anypb.Any, m proto.Message) {
	t.Helper()
	if err := a.UnmarshalTo(m); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := m.(validator).ValidateAll(); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// gateConfig is what the test needs of gate.yaml.
type gateConfig struct {
	grpcListen string
	rules      []string
}

func readGate(t *testing.T) gateConfig {
	t.Helper()
	v := readYAML(t, "gate.yaml")
	var gc gateConfig
	fa, _ := v["forward_auth"].(map[string]any)
	gc.grpcListen, _ = fa["grpc_listen"].(string)
	pol, _ := v["policy"].(map[string]any)
	rules, _ := pol["rules"].([]any)
	for _, r := range rules {
		if m, ok := r.(map[string]any); ok {
			name, _ := m["name"].(string)
			gc.rules = append(gc.rules, name)
		}
	}
	if gc.grpcListen == "" || len(gc.rules) == 0 {
		t.Fatalf("gate.yaml: no forward_auth.grpc_listen or no rules: %+v", gc)
	}
	return gc
}

// TestEnvoyConfig reads envoy.yaml as Envoy's v3 API (the types and
// validation rules of go-control-plane) and checks what cognito-gate
// relies on.
func TestEnvoyConfig(t *testing.T) {
	doc, err := json.Marshal(readYAML(t, "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var bs bootstrapv3.Bootstrap
	if err := (protojson.UnmarshalOptions{}).Unmarshal(doc, &bs); err != nil {
		t.Fatalf("envoy.yaml is not an Envoy v3 bootstrap: %v", err)
	}
	if err := bs.ValidateAll(); err != nil {
		t.Fatalf("envoy.yaml: %v", err)
	}
	gate := readGate(t)

	listeners := bs.GetStaticResources().GetListeners()
	if len(listeners) != 1 || len(listeners[0].GetFilterChains()) != 1 {
		t.Fatalf("want one listener with one filter chain")
	}
	var hcm hcmv3.HttpConnectionManager
	unpack(t, "http_connection_manager", listeners[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig(), &hcm)
	if !hcm.GetNormalizePath().GetValue() || !hcm.GetMergeSlashes() {
		t.Error("paths are not normalized before the check (normalize_path, merge_slashes)")
	}

	filters := hcm.GetHttpFilters()
	var authz extauthzv3.ExtAuthz
	authzAt := slices.IndexFunc(filters, func(f *hcmv3.HttpFilter) bool { return f.GetName() == "envoy.filters.http.ext_authz" })
	if authzAt < 0 {
		t.Fatal("no ext_authz filter")
	}
	unpack(t, "ext_authz", filters[authzAt].GetTypedConfig(), &authz)
	unpack(t, "router", filters[len(filters)-1].GetTypedConfig(), &routerv3.Router{})
	if authzAt != 0 {
		t.Errorf("ext_authz is filter %d; put it first, before anything that could change the request", authzAt)
	}
	switch {
	case authz.GetFailureModeAllow():
		t.Error("failure_mode_allow: a failed check would allow the request")
	case authz.GetTransportApiVersion() != corev3.ApiVersion_V3:
		t.Error("transport_api_version is not V3")
	case authz.GetAllowedHeaders() != nil || authz.GetDisallowedHeaders() != nil:
		t.Error("allowed_headers/disallowed_headers hide headers from the gate")
	case authz.GetWithRequestBody() != nil:
		t.Error("with_request_body: the gate does not read bodies")
	case authz.GetClearRouteCache():
		t.Error("clear_route_cache: the gate's header changes would re-route the request after the check")
	case authz.GetGrpcService().GetEnvoyGrpc().GetClusterName() != "cognito_gate":
		t.Errorf("grpc_service: %v", authz.GetGrpcService())
	case authz.GetStatusOnError().GetCode() != 503:
		t.Errorf("status_on_error %v, want ServiceUnavailable", authz.GetStatusOnError())
	}

	// Routes: none turns the check off, and each names a rule of the
	// policy, in the one extension the gate knows.
	routes := 0
	for _, vh := range hcm.GetRouteConfig().GetVirtualHosts() {
		if len(vh.GetTypedPerFilterConfig()) > 0 {
			t.Errorf("virtual host %s has per-filter configuration", vh.GetName())
		}
		for _, r := range vh.GetRoutes() {
			routes++
			a, ok := r.GetTypedPerFilterConfig()["envoy.filters.http.ext_authz"]
			if !ok {
				continue
			}
			var per extauthzv3.ExtAuthzPerRoute
			unpack(t, "route "+r.GetMatch().GetPrefix(), a, &per)
			if per.GetDisabled() || per.GetCheckSettings() == nil {
				t.Errorf("route %s: the check is disabled", r.GetMatch().GetPrefix())
			}
			for k, v := range per.GetCheckSettings().GetContextExtensions() {
				if k != "cognito_gate_rule" {
					t.Errorf("route %s: context extension %q", r.GetMatch().GetPrefix(), k)
				}
				if !slices.Contains(gate.rules, v) {
					t.Errorf("route %s: cognito_gate_rule %q is not a rule of gate.yaml (%q)", r.GetMatch().GetPrefix(), v, gate.rules)
				}
				// A prefix route names the rule whose route it is.
				if want := "/" + v + "/"; r.GetMatch().GetPrefix() != want {
					t.Errorf("route %s names rule %q", r.GetMatch().GetPrefix(), v)
				}
			}
		}
	}
	if routes < 2 {
		t.Errorf("%d routes", routes)
	}

	// The cluster: HTTP/2 (gRPC) to gate.yaml's grpc_listen.
	host, port, err := net.SplitHostPort(gate.grpcListen)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range bs.GetStaticResources().GetClusters() {
		if c.GetName() != "cognito_gate" {
			continue
		}
		found = true
		var opts httpv3.HttpProtocolOptions
		unpack(t, "cognito_gate protocol options", c.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"], &opts)
		if opts.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
			t.Error("the cognito_gate cluster does not speak HTTP/2")
		}
		eps := c.GetLoadAssignment().GetEndpoints()
		if len(eps) != 1 || len(eps[0].GetLbEndpoints()) != 1 {
			t.Fatal("want one endpoint")
		}
		sa := eps[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
		if sa.GetAddress() != host || strconv.Itoa(int(sa.GetPortValue())) != port {
			t.Errorf("cognito_gate at %s:%d, gate.yaml grpc_listen %s", sa.GetAddress(), sa.GetPortValue(), gate.grpcListen)
		}
	}
	if !found {
		t.Error("no cognito_gate cluster")
	}
}

// TestEnvoyConfigCatchesMistakes: the checks above see the mistakes they
// are for.
func TestEnvoyConfigCatchesMistakes(t *testing.T) {
	data, err := os.ReadFile("envoy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"not Envoy's API", "failure_mode_allow: false", "failure_mode_allow: nope"},
		{"unknown field", "failure_mode_allow: false", "failure_mode_allowed: false"},
		{"validation rule", "connect_timeout: 0.25s", "connect_timeout: -1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(string(data), tc.old, tc.new, 1)
			var v map[string]any
			if err := yaml.Unmarshal([]byte(text), &v); err != nil {
				t.Fatal(err)
			}
			doc, _ := json.Marshal(v)
			var bs bootstrapv3.Bootstrap
			if err := protojson.Unmarshal(doc, &bs); err == nil {
				if err := bs.ValidateAll(); err == nil {
					t.Errorf("%s accepted", tc.name)
				}
			}
		})
	}
}
