package istio

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"
)

// object is one Kubernetes (or Istio) resource, as generic YAML.
type object map[string]any

// get walks o by keys and list indexes.
func (o object) get(path ...any) any {
	var v any = map[string]any(o)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func (o object) str(path ...any) string { s, _ := o.get(path...).(string); return s }

// readObjects reads every document of a YAML file.
func readObjects(t *testing.T, path string) []object {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var out []object
	for {
		// Into a plain map: yaml.v3 would decode nested mappings into the
		// named type too.
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, object(m))
	}
}

// find returns the objects of kind (and name, when not empty).
func find(objs []object, kind, name string) []object {
	var out []object
	for _, o := range objs {
		if o.str("kind") == kind && (name == "" || o.str("metadata", "name") == name) {
			out = append(out, o)
		}
	}
	return out
}

// TestIstioExample checks that the three files fit together and keep the
// gate's trust boundary: only the gateway reaches the gRPC listener, and
// a failed check never allows.
func TestIstioExample(t *testing.T) {
	mesh := readObjects(t, "mesh-config.yaml")
	policies := readObjects(t, "authorization-policy.yaml")
	gate := readObjects(t, "cognito-gate.yaml")

	// The CUSTOM policy and the provider it names.
	custom := find(policies, "AuthorizationPolicy", "")
	if len(custom) != 1 || custom[0].str("spec", "action") != "CUSTOM" {
		t.Fatalf("want one CUSTOM AuthorizationPolicy: %v", custom)
	}
	rules, _ := custom[0].get("spec", "rules").([]any)
	if len(rules) != 1 || len(rules[0].(map[string]any)) != 0 {
		t.Errorf("the CUSTOM policy's rules %v: want one empty rule, matching every request", rules)
	}
	name := custom[0].str("spec", "provider", "name")
	var provider object
	providers, _ := mesh[0].get("spec", "meshConfig", "extensionProviders").([]any)
	for _, p := range providers {
		if m, _ := p.(map[string]any); m["name"] == name {
			provider = object(m)
		}
	}
	if provider == nil || provider.get("envoyExtAuthzGrpc") == nil {
		t.Fatalf("no envoyExtAuthzGrpc provider %q in mesh-config.yaml", name)
	}
	if open, _ := provider.get("envoyExtAuthzGrpc", "failOpen").(bool); open {
		t.Error("failOpen: a failed check would allow the request")
	}
	if provider.str("envoyExtAuthzGrpc", "statusOnError") != "503" {
		t.Errorf("statusOnError %v, want 503", provider.get("envoyExtAuthzGrpc", "statusOnError"))
	}

	// The provider points at the Service's gRPC port, the gate's
	// grpc_listen.
	svc := find(gate, "Service", "cognito-gate")
	if len(svc) != 1 {
		t.Fatal("no Service cognito-gate")
	}
	ns := svc[0].str("metadata", "namespace")
	if want := "cognito-gate." + ns + ".svc.cluster.local"; provider.str("envoyExtAuthzGrpc", "service") != want {
		t.Errorf("provider service %q, want %q", provider.str("envoyExtAuthzGrpc", "service"), want)
	}
	port, _ := provider.get("envoyExtAuthzGrpc", "port").(int)
	sp, _ := svc[0].get("spec", "ports", 0).(map[string]any)
	if sp["port"] != port || sp["appProtocol"] != "grpc" || sp["targetPort"] != "grpc" {
		t.Errorf("Service port %v, provider port %d", sp, port)
	}
	cm := find(gate, "ConfigMap", "cognito-gate")
	if len(cm) != 1 {
		t.Fatal("no ConfigMap cognito-gate")
	}
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(cm[0].str("data", "gate.yaml")), &raw); err != nil {
		t.Fatal(err)
	}
	cfg := object(raw)
	_, listenPort, err := net.SplitHostPort(cfg.str("forward_auth", "grpc_listen"))
	if err != nil {
		t.Fatal(err)
	}
	dep := find(gate, "Deployment", "cognito-gate")
	if len(dep) != 1 {
		t.Fatal("no Deployment cognito-gate")
	}
	var containerPort int
	ports, _ := dep[0].get("spec", "template", "spec", "containers", 0, "ports").([]any)
	for _, p := range ports {
		if m, _ := p.(map[string]any); m["name"] == "grpc" {
			containerPort, _ = m["containerPort"].(int)
		}
	}
	if strconv.Itoa(containerPort) != listenPort || containerPort != port {
		t.Errorf("grpc_listen port %s, containerPort %d, provider port %d", listenPort, containerPort, port)
	}
	args, _ := dep[0].get("spec", "template", "spec", "containers", 0, "args").([]any)
	if len(args) == 0 || args[0] != "forward-auth" {
		t.Errorf("container args %v, want forward-auth", args)
	}

	// Only the gateway may call: STRICT mutual TLS, and an ALLOW policy on
	// the gate's pods naming principals, on the gRPC port only.
	pa := find(gate, "PeerAuthentication", "")
	if len(pa) != 1 || pa[0].str("metadata", "namespace") != ns || pa[0].str("spec", "mtls", "mode") != "STRICT" {
		t.Errorf("PeerAuthentication %v: want STRICT in %s", pa, ns)
	}
	allow := find(gate, "AuthorizationPolicy", "")
	if len(allow) != 1 || allow[0].str("spec", "action") != "ALLOW" || allow[0].str("metadata", "namespace") != ns {
		t.Fatalf("want one ALLOW policy in %s: %v", ns, allow)
	}
	labels, _ := dep[0].get("spec", "template", "metadata", "labels").(map[string]any)
	for k, v := range allow[0].get("spec", "selector", "matchLabels").(map[string]any) {
		if labels[k] != v {
			t.Errorf("the ALLOW policy selects %s=%v, the pods are %v", k, v, labels)
		}
	}
	arules, _ := allow[0].get("spec", "rules").([]any)
	if len(arules) == 0 {
		t.Fatal("an ALLOW policy without rules denies everything, probes aside")
	}
	for i := range arules {
		r := object(arules[i].(map[string]any))
		principals, _ := r.get("from", 0, "source", "principals").([]any)
		if len(principals) == 0 {
			t.Errorf("rule %d allows any caller", i)
		}
		to, _ := r.get("to", 0, "operation", "ports").([]any)
		if !slices.Equal(to, []any{strconv.Itoa(port)}) {
			t.Errorf("rule %d allows ports %v, want only %d", i, to, port)
		}
	}
}
