package assertion_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestCheckRequest: an assertion authorizes the method, host and path it
// was minted for, as the upstream's Binding finds them, and nothing else.
func TestCheckRequest(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	raw := g.sign(t, cognitoToken(t), request) // GET api.example.com /orders/42
	get := func(target string, hdr ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Add(hdr[i], hdr[i+1])
		}
		return r
	}
	post := httptest.NewRequest(http.MethodPost, "http://api.example.com/orders/42", nil)
	tests := []struct {
		name    string
		binding assertion.Binding
		r       *http.Request
		ok      bool
	}{
		{"the request it was minted for", assertion.Binding{}, get("http://api.example.com/orders/42"), true},
		{"with a query", assertion.Binding{}, get("http://api.example.com/orders/42?x=1"), true},
		{"host with a port", assertion.Binding{}, get("http://api.example.com:8443/orders/42"), true},
		{"host in another case", assertion.Binding{}, get("http://API.example.com/orders/42"), true},
		{"another method", assertion.Binding{}, post, false},
		{"HEAD for GET", assertion.Binding{}, httptest.NewRequest(http.MethodHead, "http://api.example.com/orders/42", nil), false},
		{"another path", assertion.Binding{}, get("http://api.example.com/orders/43"), false},
		{"a longer path", assertion.Binding{}, get("http://api.example.com/orders/42/items"), false},
		{"the path with a trailing slash", assertion.Binding{}, get("http://api.example.com/orders/42/"), false},
		{"the path escaped differently", assertion.Binding{}, get("http://api.example.com/orders/%34%32"), false},
		{"another host", assertion.Binding{}, get("http://admin.example.com/orders/42"), false},
		{"a host that only starts alike", assertion.Binding{}, get("http://api.example.com.evil/orders/42"), false},
		{"another host, SkipHost", assertion.Binding{SkipHost: true}, get("http://admin.example.com/orders/42"), true},
		{"host header", assertion.Binding{HostHeader: "X-Forwarded-Host"}, get("http://orders:8080/orders/42", "X-Forwarded-Host", "api.example.com"), true},
		{"host header missing", assertion.Binding{HostHeader: "X-Forwarded-Host"}, get("http://api.example.com/orders/42"), false},
		{"host header twice", assertion.Binding{HostHeader: "X-Forwarded-Host"}, get("http://orders/orders/42", "X-Forwarded-Host", "api.example.com", "X-Forwarded-Host", "api.example.com"), false},
		{"host header of another host", assertion.Binding{HostHeader: "X-Forwarded-Host"}, get("http://api.example.com/orders/42", "X-Forwarded-Host", "admin.example.com"), false},
		{"path prefix", assertion.Binding{PathPrefix: "/api"}, get("http://api.example.com/api/orders/42"), true},
		{"path prefix missing", assertion.Binding{PathPrefix: "/api"}, get("http://api.example.com/orders/42"), false},
		{"no path prefix expected", assertion.Binding{}, get("http://api.example.com/api/orders/42"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := g.verifier(t, func(c *assertion.VerifierConfig) { c.Binding = tt.binding })
			tok, err := v.Verify(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range []error{v.CheckRequest(tt.r, tok), second(v.VerifyRequest(tt.r, raw))} {
				if tt.ok && err != nil {
					t.Errorf("refused: %v", err)
				}
				if !tt.ok {
					wantIs(t, err, assertion.ErrRequestMismatch)
					wantReason(t, err, claims.ReasonIdentityMismatch)
				}
			}
		})
	}
	t.Run("IPv6 literal, with a port and without", func(t *testing.T) {
		v := g.verifier(t, nil)
		raw := g.sign(t, cognitoToken(t), assertion.Request{Method: "GET", Host: "[::1]:8443", Path: "/"})
		for host, ok := range map[string]bool{"[::1]": true, "[::1]:8080": true, "[::2]": false} {
			r := httptest.NewRequest(http.MethodGet, "http://x/", nil)
			r.Host = host
			if err := second(v.VerifyRequest(r, raw)); (err == nil) != ok {
				t.Errorf("host %s: %v", host, err)
			}
		}
	})
	t.Run("not an assertion", func(t *testing.T) {
		v := g.verifier(t, nil)
		wantIs(t, v.CheckRequest(get("http://api.example.com/orders/42"), cognitoToken(t)), assertion.ErrRequestMismatch)
		wantIs(t, v.CheckRequest(get("http://api.example.com/orders/42"), nil), assertion.ErrRequestMismatch)
	})
}

// second returns its second argument.
func second(_ *claims.Token, err error) error { return err }

// TestUpstreamRefuses: a service behind the middleware with the assertion
// as its token (middleware.Header) and CheckRequest in its handler: it
// serves the genuine assertion on the request it was minted for, with
// the gate's identity in its context, and refuses a forged one, one
// replayed after expiry, one signed by a key not in the gate's key set,
// one without the header (a client that reached it directly) and one on
// another path.
func TestUpstreamRefuses(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	v := g.verifier(t, nil)
	mw, err := middleware.New(middleware.Config{Verifier: v, TokenSources: []middleware.TokenSource{middleware.Header("X-Auth-Assertion")}})
	if err != nil {
		t.Fatal(err)
	}
	upstream := httptest.NewServer(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := claims.FromContext(r.Context())
		if err := v.CheckRequest(r, tok); err != nil {
			e := &middleware.Error{Status: http.StatusUnauthorized, Reason: claims.ReasonOf(err), TokenSent: true, Err: err}
			middleware.WriteError(w, middleware.DefaultRealm, e)
			return
		}
		io.WriteString(w, tok.Username+" "+strings.Join(tok.Groups, ","))
	})))
	defer upstream.Close()
	host := strings.TrimPrefix(upstream.URL, "http://")

	tok := cognitoToken(t, cognitotest.WithGroups("admin"))
	at := assertion.Request{Method: "GET", Host: host, Path: "/orders/42"}
	genuine := g.sign(t, tok, at)
	other := newGate(t, assertion.SignerConfig{})
	_, pl := parts(t, genuine)
	tests := []struct {
		name      string
		path      string
		assertion string
		advance   time.Duration
		status    int
		reason    string
	}{
		{"genuine", "/orders/42", genuine, 0, 200, ""},
		{"no assertion: a client that reached the service", "/orders/42", "", 0, 401, "missing_token"},
		{"forged", "/orders/42", reencode(t, genuine, nil, with(pl, "sub", "someone-else")), 0, 401, "bad_signature"},
		{"replayed after expiry", "/orders/42", genuine, 40 * time.Second, 401, "expired"},
		{"signed by a key not in the key set", "/orders/42", other.sign(t, tok, at), 0, 401, "unknown_kid"},
		{"replayed on another path", "/admin/users", genuine, 0, 401, "identity_mismatch"},
		{"a Cognito token in its place", "/orders/42", pool.AccessToken(), 0, 401, "wrong_token_use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.clock.Set(start)
			g.clock.Advance(tt.advance)
			req, _ := http.NewRequest(http.MethodGet, upstream.URL+tt.path, nil)
			if tt.assertion != "" {
				req.Header.Set("X-Auth-Assertion", tt.assertion)
			}
			resp, err := upstream.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d (%s), want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status == 200 && string(body) != "alice admin" {
				t.Errorf("body %q, want the gate's identity", body)
			}
			if tt.status != 200 && !strings.Contains(string(body), `"reason":"`+tt.reason+`"`) {
				t.Errorf("body %s, want reason %s", body, tt.reason)
			}
		})
	}
}

// TestBehindReverseProxy: a proxy that forwards as `cognito-gate serve`
// does (httputil.ReverseProxy, SetURL to an upstream URL with a path,
// the client's Host in X-Forwarded-Host) and adds the assertion of the
// request it authorized reaches an upstream whose Binding names the
// header and the prefix; the assertion of one request does not pass for
// another.
func TestBehindReverseProxy(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	v := g.verifier(t, func(c *assertion.VerifierConfig) {
		c.Binding = assertion.Binding{HostHeader: "X-Forwarded-Host", PathPrefix: "/api"}
	})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := v.VerifyRequest(r, r.Header.Get("X-Auth-Assertion"))
		if err != nil {
			http.Error(w, string(claims.ReasonOf(err)), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, tok.Subject)
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL + "/api")
	tok := cognitoToken(t)
	var swap func(raw string) string // a client's tampering between gate and upstream, or nil
	gateProxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Header.Set("X-Forwarded-Host", pr.In.Host)
		raw, err := g.signer.Sign(tok, assertion.RequestOf(pr.In))
		if err != nil {
			t.Error(err)
		}
		if swap != nil {
			raw = swap(raw)
		}
		pr.Out.Header.Set("X-Auth-Assertion", raw)
	}})
	defer gateProxy.Close()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := gateProxy.Client().Get(gateProxy.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("/orders/42"); status != 200 || body != tok.Subject {
		t.Fatalf("through the proxy: %d %q, want 200 and the subject", status, body)
	}
	// The assertion of /orders/1 presented with a request for /orders/2.
	host := strings.TrimPrefix(gateProxy.URL, "http://")
	swap = func(string) string {
		return g.sign(t, tok, assertion.Request{Method: "GET", Host: host, Path: "/orders/1"})
	}
	if status, body := get("/orders/2"); status != 401 || body != "identity_mismatch\n" {
		t.Errorf("another request's assertion: %d %q, want 401 identity_mismatch", status, body)
	}
}

// requestFor returns a GET of path on the fixtures' host.
func requestFor(t *testing.T, path string) *http.Request {
	t.Helper()
	return httptest.NewRequest(request.Method, "http://"+request.Host+path, nil)
}
