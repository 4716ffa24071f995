// Package charttest renders the Helm chart (deploy/helm/cognito-gate) with
// helm, for the default values and each example, and decodes every object
// strictly into the Kubernetes API types of a pinned version (this module's
// go.mod, apart from the project's), then checks the security-relevant
// fields. helm is HELM, or helm in PATH, or built at a pinned version
// through the Go module proxy (go run, cached after the first time).
package charttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// helmModule is the pinned helm, built with go run when none is installed.
const helmModule = "helm.sh/helm/v3/cmd/helm@v3.16.4"

const chart = "../cognito-gate"

// kubeVersion is the Kubernetes version the chart is rendered for (the
// API types of go.mod are of the same minor version); helm built with go
// run would otherwise assume its built-in default, 1.20.
const kubeVersion = "1.33.0"

// helmCmd is a helm command line: HELM, else helm in PATH, else the
// pinned one through go run.
func helmCmd(args ...string) *exec.Cmd {
	if h := os.Getenv("HELM"); h != "" {
		return exec.Command(h, args...)
	}
	if p, err := exec.LookPath("helm"); err == nil {
		return exec.Command(p, args...)
	}
	return exec.Command("go", append([]string{"run", helmModule}, args...)...)
}

func helm(t *testing.T, args ...string) string {
	t.Helper()
	cmd := helmCmd(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// valueSets are the values the chart is rendered with: the defaults (with
// the upstream serve requires) and each example.
var valueSets = map[string][]string{
	"defaults":                   {"--set", "config.upstream=http://app.default.svc:8080"},
	"reverse-proxy":              {"-f", "../examples/reverse-proxy.yaml"},
	"forward-auth-ingress-nginx": {"-f", "../examples/forward-auth-ingress-nginx.yaml"},
}

// rendered is a chart rendering, its objects by kind.
type rendered struct {
	deployment *appsv1.Deployment
	configMap  *corev1.ConfigMap
	service    *corev1.Service
	pdb        *policyv1.PodDisruptionBudget
	hpa        *autoscalingv2.HorizontalPodAutoscaler
	netpol     *networkingv1.NetworkPolicy
	kinds      []string
}

// strict decodes one YAML object into v, refusing unknown fields.
func strict(t *testing.T, doc []byte, v any) {
	t.Helper()
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%T: %v\n%s", v, err, doc)
	}
}

func render(t *testing.T, args []string) rendered {
	t.Helper()
	out := helm(t, append([]string{"template", "gate", chart, "--namespace", "auth", "--kube-version", kubeVersion}, args...)...)
	var r rendered
	for _, doc := range strings.Split(out, "\n---") {
		doc = strings.TrimSpace(doc)
		if doc == "" || !strings.Contains(doc, "kind:") {
			continue
		}
		var meta struct{ Kind, APIVersion string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		r.kinds = append(r.kinds, meta.Kind)
		switch meta.Kind {
		case "Deployment":
			r.deployment = &appsv1.Deployment{}
			strict(t, []byte(doc), r.deployment)
		case "ConfigMap":
			r.configMap = &corev1.ConfigMap{}
			strict(t, []byte(doc), r.configMap)
		case "Service":
			r.service = &corev1.Service{}
			strict(t, []byte(doc), r.service)
		case "PodDisruptionBudget":
			r.pdb = &policyv1.PodDisruptionBudget{}
			strict(t, []byte(doc), r.pdb)
		case "HorizontalPodAutoscaler":
			r.hpa = &autoscalingv2.HorizontalPodAutoscaler{}
			strict(t, []byte(doc), r.hpa)
		case "NetworkPolicy":
			r.netpol = &networkingv1.NetworkPolicy{}
			strict(t, []byte(doc), r.netpol)
		case "ServiceMonitor", "PrometheusRule":
			// Prometheus Operator types: checked by their shape below.
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatal(err)
			}
			if meta.APIVersion != "monitoring.coreos.com/v1" || obj["spec"] == nil {
				t.Errorf("%s: apiVersion %s, spec %v", meta.Kind, meta.APIVersion, obj["spec"])
			}
		default:
			t.Errorf("unexpected kind %s", meta.Kind)
		}
	}
	return r
}

func TestLint(t *testing.T) {
	for name, args := range valueSets {
		t.Run(name, func(t *testing.T) {
			helm(t, append([]string{"lint", "--strict", "--kube-version", kubeVersion, chart}, args...)...)
		})
	}
}

// TestRendered checks every rendering: the probes on the admin port, the
// pod's and container's security settings, the drain and grace period
// agreeing with gate.yaml, the config checksum, the PodDisruptionBudget,
// and the NetworkPolicy of forward-auth admitting only the ingress pods.
func TestRendered(t *testing.T) {
	for name, args := range valueSets {
		t.Run(name, func(t *testing.T) {
			r := render(t, args)
			d := r.deployment
			if d == nil || r.configMap == nil || r.service == nil {
				t.Fatalf("rendered %v; want a Deployment, a ConfigMap and a Service", r.kinds)
			}
			spec := d.Spec.Template.Spec
			if len(spec.Containers) != 1 {
				t.Fatalf("%d containers", len(spec.Containers))
			}
			c := spec.Containers[0]
			for probe, want := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
				if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || probe.HTTPGet.Port.String() != "admin" {
					t.Errorf("probe %+v, want GET %s on the admin port", probe, want)
				}
			}
			psc, sc := spec.SecurityContext, c.SecurityContext
			switch {
			case psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0:
				t.Errorf("pod security context %+v: want non-root", psc)
			case sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("container security context: want a read-only root filesystem")
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("container security context: want no privilege escalation")
			case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
				t.Errorf("capabilities %+v, want all dropped", sc.Capabilities)
			}
			if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
				t.Error("the service account token is mounted")
			}

			// gate.yaml agrees with the pod: the listeners on the
			// container ports, the drain and shutdown within the grace
			// period.
			gate := map[string]any{}
			if err := yaml.Unmarshal([]byte(r.configMap.Data["gate.yaml"]), &gate); err != nil {
				t.Fatal(err)
			}
			server, _ := gate["server"].(map[string]any)
			var drain, shutdown int
			fmt.Sscanf(fmt.Sprint(server["drain_delay"]), "%ds", &drain)
			fmt.Sscanf(fmt.Sprint(server["shutdown_timeout"]), "%ds", &shutdown)
			preStop := 0
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
				preStop = int(c.Lifecycle.PreStop.Sleep.Seconds)
			}
			if grace := spec.TerminationGracePeriodSeconds; drain == 0 || shutdown == 0 || grace == nil || int(*grace) <= preStop+drain+shutdown {
				t.Errorf("terminationGracePeriodSeconds %v, preStop %d + drain %d + shutdown %d: want more than their sum", grace, preStop, drain, shutdown)
			}
			ports := map[string]int32{}
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
			if gate["listen"] != fmt.Sprintf("0.0.0.0:%d", ports["http"]) || gate["admin_listen"] != fmt.Sprintf("0.0.0.0:%d", ports["admin"]) {
				t.Errorf("listen %v, admin_listen %v; container ports %v", gate["listen"], gate["admin_listen"], ports)
			}
			if gate["policy_file"] != "policy.yaml" || r.configMap.Data["policy.yaml"] == "" {
				t.Errorf("policy_file %v, policy.yaml %q", gate["policy_file"], r.configMap.Data["policy.yaml"])
			}
			mode := c.Args[0]
			if !slices.Equal(c.Args, []string{mode, "--config", "/etc/cognito-gate/gate.yaml"}) {
				t.Errorf("args %q", c.Args)
			}
			checksum := d.Spec.Template.Annotations["checksum/config"]
			if roll := name != "reverse-proxy"; roll != (checksum != "") {
				t.Errorf("checksum/config %q with rollOnConfigChange %v", checksum, roll)
			}
			if r.pdb == nil {
				t.Error("no PodDisruptionBudget")
			}
			if name == "reverse-proxy" && r.hpa == nil {
				t.Error("no HorizontalPodAutoscaler")
			}

			// forward-auth: only the ingress pods reach the http port.
			if mode != "forward-auth" {
				if r.netpol != nil {
					t.Error("a NetworkPolicy in serve mode without networkPolicy.enabled")
				}
				return
			}
			np := r.netpol
			if np == nil {
				t.Fatal("no NetworkPolicy in forward-auth mode")
			}
			if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) ||
				np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] != "cognito-gate" {
				t.Errorf("NetworkPolicy spec %+v", np.Spec)
			}
			http := np.Spec.Ingress[0]
			if len(http.Ports) != 1 || http.Ports[0].Port.String() != "http" || len(http.From) == 0 {
				t.Fatalf("first ingress rule %+v, want the http port from the listed peers", http)
			}
			for _, peer := range http.From {
				if peer.PodSelector == nil || len(peer.PodSelector.MatchLabels) == 0 || peer.NamespaceSelector == nil {
					t.Errorf("peer %+v: want a pod selector within a namespace selector (not every pod)", peer)
				}
			}
		})
	}
}

// TestRefusals checks the values the chart refuses to render.
func TestRefusals(t *testing.T) {
	for name, args := range map[string][]string{
		"serve without upstream":     {},
		"unknown mode":               {"--set", "mode=sidecar"},
		"forward-auth without peers": {"--set", "mode=forward-auth"},
		"TLS without a secret":       {"--set", "config.upstream=http://a:1", "--set", "tls.enabled=true"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"template", "gate", chart, "--kube-version", kubeVersion}, args...)
			if out, err := helmCmd(args...).CombinedOutput(); err == nil {
				t.Errorf("rendered:\n%s", out)
			}
		})
	}
}

// TestAlertsCopy checks that the chart's copy of the alert rules is the
// example's.
func TestAlertsCopy(t *testing.T) {
	a, err := os.ReadFile(filepath.Join(chart, "files", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../../examples/observability/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("deploy/helm/cognito-gate/files/alerts.yml differs from examples/observability/alerts.yml; copy it again")
	}
}
