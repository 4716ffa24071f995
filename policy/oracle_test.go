package policy_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// oraclePatterns are non-conflicting patterns with every kind of segment,
// methods and hosts.
var oraclePatterns = []string{
	"GET /healthz",
	"GET /docs/",
	"GET /docs/internal/",
	"/admin/",
	"GET /admin/status",
	"GET /orders/{id}",
	"POST /orders",
	"DELETE /orders/{id}",
	"/users/{sub}/",
	"/users/{sub}/files/{path...}",
	"GET /users/{sub}/files/{$}",
	"/a/{x}/c/{y}",
	"/a/b/{z}",
	"api.example.com/",
	"api.example.com/v1/{rest...}",
	"GET api.example.com/v1/health",
	"/{$}",
}

// oracle routes requests with a real ServeMux, following its redirects,
// and reports the pattern and wildcard values the handler sees.
type oracle struct {
	mux   *http.ServeMux
	names map[string][]string // pattern → wildcard names
}

func newOracle(patterns []string) *oracle {
	o := &oracle{mux: http.NewServeMux(), names: map[string][]string{}}
	for _, p := range append(slices.Clone(patterns), "/") {
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, "{") && seg != "{$}" {
				o.names[p] = append(o.names[p], strings.TrimSuffix(strings.Trim(seg, "{}"), "..."))
			}
		}
		o.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, r.Pattern)
			for _, n := range o.names[r.Pattern] {
				fmt.Fprintf(w, "\n%s=%s", n, r.PathValue(n))
			}
		})
	}
	return o
}

// route returns the pattern that serves r, after at most two redirects,
// and its wildcard values ("name=value" lines).
func (o *oracle) route(r *http.Request) (pattern string, vars []string) {
	r = r.Clone(r.Context())
	r.URL.RawQuery, r.URL.ForceQuery = "", false // irrelevant to routing, and copied into redirects
	for range 3 {
		rec := httptest.NewRecorder()
		o.mux.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK {
			lines := strings.Split(rec.Body.String(), "\n")
			return lines[0], lines[1:]
		}
		loc, err := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusTemporaryRedirect && rec.Code != http.StatusMovedPermanently || err != nil {
			return fmt.Sprintf("status %d", rec.Code), nil
		}
		// ServeMux redirects an unclean path to &url.URL{Path: cleaned}
		// where cleaned is still escaped, so its Location is escaped twice:
		// once decoded, it is the escaped clean path. The trailing-slash
		// redirect escapes a decoded path once, as it should.
		escaped := r.URL.EscapedPath()
		r = r.Clone(r.Context())
		if clean := path.Clean(escaped); clean != escaped && clean+"/" != escaped {
			r.URL.Path, r.URL.RawPath = pathUnescape(loc.Path), loc.Path
		} else {
			r.URL.Path, r.URL.RawPath = loc.Path, loc.RawPath
		}
	}
	return "redirect loop", nil
}

// oraclePolicy has one anonymous rule per oracle pattern.
func oraclePolicy(t testing.TB) *policy.Policy {
	t.Helper()
	cfg := policy.Config{}
	for i, p := range oraclePatterns {
		cfg.Rules = append(cfg.Rules, policy.Rule{Name: fmt.Sprintf("r%d", i), Route: p, Anonymous: true})
	}
	p, err := policy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// compareWithServeMux checks that the policy judges r by the pattern a
// ServeMux serves it with, with the same wildcard values. It returns false
// when the policy refused r.
func compareWithServeMux(t *testing.T, p *policy.Policy, o *oracle, r *http.Request) bool {
	t.Helper()
	ex := p.Explain(r, nil)
	if ex.Refused != "" {
		return false
	}
	wantPat, wantVars := o.route(r)
	m := ex.Matches[0]
	gotPat := m.Pattern
	if m.Rule == policy.RuleDefault {
		gotPat = "/"
	}
	var gotVars []string
	for _, v := range m.Vars {
		gotVars = append(gotVars, v.Name+"="+v.Value)
	}
	if gotPat != wantPat || !slices.Equal(gotVars, wantVars) {
		t.Errorf("%s %s %s: policy judged by %q %q; ServeMux serves %q %q\n%s",
			r.Method, r.Host, r.URL.EscapedPath(), gotPat, gotVars, wantPat, wantVars, ex)
	}
	return true
}

func TestMatchesLikeServeMux(t *testing.T) {
	p, o := oraclePolicy(t), newOracle(oraclePatterns)
	hosts := []string{"example.com", "api.example.com", "api.example.com:8443", "10.0.0.1", "[::1]:8080", "my_service.internal"}
	methods := []string{"GET", "HEAD", "POST", "DELETE", "PUT"}
	paths := []string{
		"/", "/healthz", "/healthz/", "/docs", "/docs/", "/docs/a/b", "/docs/internal", "/docs/internal/x",
		"/admin", "/admin/", "/admin/status", "/admin/status/", "/orders", "/orders/", "/orders/42", "/orders/4%32",
		"/users/u1", "/users/u1/", "/users/u1/files", "/users/u1/files/", "/users/u1/files/a/b/c.txt",
		"/users/%75%31/files/a%20b", "/a/1/c/2", "/a/b/c/2", "/a/b/z", "/a/b/c", "/v1/x", "/v1/health",
		"//admin/x", "/docs/../admin/x", "/./orders/./42", "/users/u1/files/../../u2/files/x", "/%61dmin/x",
		"/users/caf%C3%A9/", "/a/b/c/d/e",
	}
	n := 0
	for _, host := range hosts {
		for _, method := range methods {
			for _, path := range paths {
				r := request(t, method, "http://"+host+path)
				if compareWithServeMux(t, p, o, r) {
					n++
				}
			}
		}
	}
	if n < len(hosts)*len(methods)*len(paths) {
		t.Errorf("only %d requests compared", n)
	}
	// Hosts that ServeMux cannot take apart (its stripHostPort returns
	// them whole, so they match no host pattern) are refused, never
	// judged: upstreams read a host out of them.
	for _, host := range []string{"example.com,api.example.com", "api.example.com:1:2", "api.example.com:", "x@api.example.com", "api.example.com:0"} {
		r := request(t, "GET", "/v1/x")
		r.Host = host
		if compareWithServeMux(t, p, o, r) {
			t.Errorf("Host %q was judged; want it refused", host)
		}
	}
}

// FuzzDecide checks, for arbitrary requests, that the policy never panics,
// judges by the same pattern as ServeMux, and reports a decision whose path
// is canonical and judged the same way again.
func FuzzDecide(f *testing.F) {
	for _, s := range []struct{ method, host, path string }{
		{"GET", "example.com", "/users/u1/files/a"},
		{"GET", "api.example.com", "/v1/x/y"},
		{"POST", "example.com", "/orders/"},
		{"GET", "example.com", "//admin/../docs/./x"},
		{"GET", "example.com", "/admin%2Fx"},
		{"GET", "API.example.com.", "/"},
		{"get", "example.com:80", "/a/b/%7a"},
		{"GET", "example.com,api.example.com", "/v1/x"},
		{"GET", "api.example.com:1:2", "/v1/x"},
		{"GET", "api.example.com:", "/"},
		{"GET", "user@api.example.com", "/"},
		{"GET", "[::1]:8080", "/healthz"},
		{"GET", "[fe80::1%25eth0]", "/"},
		{"GET", "127.1", "/"},
		{"GET", "my_service.internal:65535", "/"},
		{"GET", "", "/"},
	} {
		f.Add(s.method, s.host, s.path)
	}
	p, o := oraclePolicy(f), newOracle(oraclePatterns)
	f.Fuzz(func(t *testing.T, method, host, path string) {
		// The host validator agrees with a reference written by other
		// means, and what it accepts is one host and port to net/url.
		hostOK := policy.CheckHost(host) == nil
		if ref := checkHostReference(host); hostOK != ref {
			t.Fatalf("CheckHost(%q) ok=%v; reference says %v", host, hostOK, ref)
		}
		if hostOK {
			checkAcceptedHost(t, host)
		}
		u, err := url.ParseRequestURI(path)
		if err != nil || u.Host != "" || u.Scheme != "" || !validMethod(method) {
			return
		}
		r := &http.Request{Method: method, Host: host, URL: u, Header: http.Header{}}
		d := p.Decide(r, nil)
		if d.Status != d.Reason.Status() || d.Allow != (d.Status == http.StatusOK) {
			t.Fatalf("inconsistent decision %v", d)
		}
		// The oracle policy names hosts: a malformed one is a bad request.
		if bad := d.Reason == claims.ReasonBadRequest; bad != !hostOK || bad && d.Rule != policy.RuleNonCanonical {
			t.Fatalf("Host %q: decided %v; CheckHost ok=%v", host, d, hostOK)
		}
		if d.Rule == policy.RuleNonCanonical {
			return
		}
		compareWithServeMux(t, p, o, r)
		// The path to forward judges the same.
		r2 := r.Clone(r.Context())
		up, err := url.PathUnescape(d.Path)
		if err != nil {
			t.Fatalf("decision path %q: %v", d.Path, err)
		}
		r2.URL.Path, r2.URL.RawPath = up, d.Path
		if d2 := p.Decide(r2, nil); !equalDecision(d, d2) {
			t.Fatalf("%v, but its path gives %v", d, d2)
		}
	})
}

// validMethod reports whether m is an HTTP token, as net/http requires.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range []byte(m) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// pathUnescape is url.PathUnescape, keeping p when it is not valid.
func pathUnescape(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return u
}
