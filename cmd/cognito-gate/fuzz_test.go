package main

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
	"github.com/cognito-gate/cognito-gate/policy"
)

var policyCheckHost = policy.CheckHost

// FuzzParseConfig feeds arbitrary text to the configuration loader. It must
// never panic, and every error must name the file.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte(validConfig + "leeway: 1h\nlog:\n  level: loud\n"))
	f.Add([]byte("listen: [\n"))
	f.Add([]byte("pools:\n  - &a {user_pool_id: x}\n  - *a\n"))
	f.Add([]byte("identity_headers:\n  claims:\n    \"\": X\n"))
	f.Add([]byte("token_cache:\n  max_bytes: 9999999999GiB\n"))
	f.Add([]byte("upstream: ${A:-http://127.0.0.1:1}\npolicy: {rules: [{name: a, route: /}]}\n"))
	f.Add([]byte(validConfig + "---\nlisten: x\n"))
	f.Add([]byte(strings.Replace(validConfig, "route: /", "route: ${R:-/}\n      anonymous: ${ANON:-true}", 1)))
	f.Add([]byte(validConfig + "leeway: soon\nbogus: 1\nlog: {level: loud}\nidentity_headers: {claims: {a: X-A, b: x_a}}\n"))
	env := func(name string) (string, bool) {
		if name == "SET" {
			return "us-east-1_Env1", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig(data, "fuzz.yaml", env)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error names no file: %v", err)
			}
			// The same file, the same report, in the order of the lines.
			if _, again := parseConfig(data, "fuzz.yaml", env); again == nil || again.Error() != err.Error() {
				t.Fatalf("two reports differ:\n%v\n%v", err, again)
			}
			last := 0
			for _, e := range joined(err) {
				var ye *yamlstrict.Error
				if !errors.As(e, &ye) || ye.File != "fuzz.yaml" {
					continue
				}
				if l := lineKey(ye.Line); l < last {
					t.Fatalf("errors out of line order:\n%v", err)
				} else {
					last = l
				}
			}
			return
		}
		if cfg.policy == nil || len(cfg.claims.Pools) == 0 || len(cfg.sources) == 0 {
			t.Fatalf("accepted an incomplete configuration: %+v", cfg.raw)
		}
		if err := cfg.claims.Validate(); err != nil {
			t.Fatalf("accepted a configuration the verifier rejects: %v", err)
		}
	})
}

// FuzzOriginalRequest feeds arbitrary header values to the forward-auth
// subrequest parser. It must never panic, must refuse with errBadRequest,
// and whatever it accepts must be a path-only request with a valid host
// and a method token, taken from the configured headers alone.
func FuzzOriginalRequest(f *testing.F) {
	f.Add("GET", "/admin/x?a=1", "api.example.com", "/public/x", false)
	f.Add("", "", "", "", false)
	f.Add("GET", "http://evil/x", "a,b", "", false)
	f.Add("DELETE", "//x", "[::1]:80", "/y", true)
	f.Add("GET", "/ext-authz/x", "h:1:2", "", true)
	// A bad host beside a good method and URI: only the host check refuses it.
	f.Add("GET", "/x", "a,b", "", false)
	f.Add("GET", "/x", "h:1:2", "", false)
	headers := forwardAuthConfig{Mode: modeHeaders, MethodHeader: "X-Forwarded-Method", URIHeader: "X-Forwarded-Uri", HostHeader: "X-Forwarded-Host"}
	envoy := forwardAuthConfig{Mode: modeEnvoy, PathPrefix: "/ext-authz"}
	f.Fuzz(func(t *testing.T, method, uri, host, other string, envoyMode bool) {
		r := httptest.NewRequest("GET", "/auth", nil)
		fa := headers
		if envoyMode {
			fa = envoy
			if u, err := url.ParseRequestURI(uri); err == nil && u.Host == "" {
				r.URL, r.Host = u, host
			}
		} else {
			r.Header["X-Forwarded-Method"] = []string{method}
			r.Header["X-Forwarded-Uri"] = []string{uri}
			r.Header["X-Forwarded-Host"] = []string{host}
		}
		r.Header["X-Original-Uri"] = []string{other}
		orig, err := originalRequest(r, fa)
		if err != nil {
			if !errors.Is(err, errBadRequest) {
				t.Fatalf("error %v is not a bad request", err)
			}
			return
		}
		if orig.URL.Host != "" || orig.URL.Scheme != "" || !strings.HasPrefix(orig.URL.Path, "/") && orig.URL.Opaque == "" {
			t.Fatalf("accepted a URI that is not a path: %q", orig.URL)
		}
		if policyCheckHost(orig.Host) != nil {
			t.Fatalf("accepted host %q", orig.Host)
		}
		if !envoyMode && (orig.Method != method || orig.RequestURI != uri || orig.Host != host) {
			t.Fatalf("judged %s %s %s, sent %q %q %q", orig.Method, orig.RequestURI, orig.Host, method, uri, host)
		}
	})
}
