package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// testAssertionKey is a P-256 key written as the files key_files takes.
type testAssertionKey struct {
	private, public string // the PKCS #8 and PKIX PEM files
	kid             string
}

// writeAssertionKey writes a new key to dir as name.pem (private) and
// name.pub (public).
func writeAssertionKey(t *testing.T, dir, name string) testAssertionKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k := testAssertionKey{private: filepath.Join(dir, name+".pem"), public: filepath.Join(dir, name+".pub")}
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{k.private, "PRIVATE KEY", der}, {k.public, "PUBLIC KEY", pub}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	key, err := assertion.NewKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	k.kid = key.ID()
	return k
}

// The assertion settings of the end-to-end tests.
const (
	testAssertionIssuer   = "https://gate.example.com"
	testAssertionAudience = "orders"
)

// assertionYAML is an assertion section signing with the key files given
// (names relative to the configuration file), and more lines of the
// section.
func assertionYAML(keyFiles []string, more ...string) string {
	var b strings.Builder
	b.WriteString("assertion:\n  header: X-Auth-Assertion\n  issuer: " + testAssertionIssuer + "\n  audience: " + testAssertionAudience + "\n")
	b.WriteString("  key_files: [" + strings.Join(keyFiles, ", ") + "]\n")
	for _, l := range more {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// upstreamVerifier is the assertion.Verifier an upstream service runs: the
// gate's key set fetched over HTTP from the admin listener at admin
// (http://host:port), the host from X-Forwarded-Host (serve and the
// proxies in front of forward-auth set it), the path after prefix.
func upstreamVerifier(t *testing.T, admin, prefix string, keys jwks.Config) *assertion.Verifier {
	t.Helper()
	v, err := assertion.NewVerifier(assertion.VerifierConfig{
		Issuer: testAssertionIssuer, Audience: testAssertionAudience,
		JWKSURL: admin + "/.well-known/jwks.json", AllowHTTP: true, Keys: keys,
		Binding: assertion.Binding{HostHeader: "X-Forwarded-Host", PathPrefix: prefix},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// request is r as a Go server would hand it to a handler: method, target,
// Host and the header lines (names canonicalized as net/http does).
func (r rawRequest) request() *http.Request {
	f := strings.Fields(r.line)
	req := httptest.NewRequest(f[0], f[1], nil)
	req.Header = http.Header{}
	for _, h := range r.header {
		if strings.EqualFold(h[0], "Host") {
			req.Host = h[1]
			continue
		}
		req.Header.Add(h[0], h[1])
	}
	return req
}

// verifyAssertion checks what an upstream received with r: exactly one
// header that an upstream runtime reads as X-Auth-Assertion, in any
// spelling, which v accepts as minted for r; and whose identity equals
// the identity headers of r. It returns the verified assertion.
func verifyAssertion(t *testing.T, v *assertion.Verifier, r rawRequest) *claims.Token {
	t.Helper()
	vals := r.values(defaultAssertionHeader)
	if len(vals) != 1 {
		t.Fatalf("the upstream received %d assertion headers, want 1: %q", len(vals), r.names())
	}
	tok, err := v.VerifyRequest(r.request(), vals[0])
	if err != nil {
		t.Fatalf("the upstream refuses the assertion (%s): %v", claims.ReasonOf(err), err)
	}
	want := map[string]string{
		"X-Auth-Sub": tok.Subject, "X-Auth-Username": tok.Username, "X-Auth-Groups": strings.Join(tok.Groups, ","),
		"X-Auth-Scopes": strings.Join(tok.Scopes, " "), "X-Auth-Client-Id": tok.ClientID,
		"X-Auth-Token-Use": string(tok.Use), "X-Auth-Issuer": tok.Issuer,
	}
	for name, w := range want {
		got := r.values(name)
		if w == "" && len(got) == 0 {
			continue
		}
		if len(got) != 1 || got[0] != w {
			t.Errorf("%s = %q; the assertion says %q", name, got, w)
		}
	}
	return tok
}

// noAssertion fails unless r carries no header an upstream reads as
// X-Auth-Assertion.
func noAssertion(t *testing.T, r rawRequest) {
	t.Helper()
	if vals := r.values(defaultAssertionHeader); len(vals) > 0 {
		t.Errorf("the upstream received an assertion header for a request without a token: %q", vals)
	}
}

// fetchKIDs returns the kids of the key set at url, in order.
func fetchKIDs(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != assertion.JWKSContentType {
		t.Fatalf("GET %s: %d %q: %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return kidsOf(t, body)
}

// kidsOf returns the kids of a key set document, in order, and fails if
// it publishes a private key.
func kidsOf(t *testing.T, body []byte) []string {
	t.Helper()
	var doc struct {
		Keys []struct {
			KID string `json:"kid"`
			D   string `json:"d"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("the key set: %v: %s", err, body)
	}
	var kids []string
	for _, k := range doc.Keys {
		if k.D != "" {
			t.Fatal("the key set publishes a private key")
		}
		kids = append(kids, k.KID)
	}
	return kids
}

// wantKIDs fails unless the key set at url holds exactly want, in order.
func wantKIDs(t *testing.T, url string, want ...string) {
	t.Helper()
	if got := fetchKIDs(t, url); !slices.Equal(got, want) {
		t.Errorf("the key set holds %q, want %q", got, want)
	}
}
