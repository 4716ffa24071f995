package assertion_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
)

// kids returns the kids the key set publishes now.
func kids(s *assertion.KeySet) []string {
	var out []string
	for _, k := range s.Keys() {
		out = append(out, k.ID())
	}
	return out
}

// TestKeySetRotation: the fleet procedure, step by step — the next key is
// published before it signs, and the old one stays published for Retain
// after it stopped signing, listed or not; a key that never signed is
// withdrawn as soon as it is no longer listed.
func TestKeySetRotation(t *testing.T) {
	c := newClock()
	_, old := keyPair(t)
	_, next := keyPair(t)
	_, spare := keyPair(t)
	s, err := assertion.NewKeySet(assertion.KeySetConfig{Now: c.Now}, old)
	if err != nil {
		t.Fatal(err)
	}
	step := func(name string, signing *assertion.Key, want []*assertion.Key) {
		t.Helper()
		var ids []string
		for _, k := range want {
			ids = append(ids, k.ID())
		}
		if s.Signing() != signing || !slices.Equal(kids(s), ids) {
			t.Errorf("%s: signing %s, publishing %v; want %s, %v", name, s.Signing().ID(), kids(s), signing.ID(), ids)
		}
	}
	step("start", old, []*assertion.Key{old})

	must(t, s.Set(old, next))
	step("1. [old, next]", old, []*assertion.Key{old, next})

	c.Advance(time.Minute)
	must(t, s.Set(next, old))
	step("2. [next, old]", next, []*assertion.Key{next, old})

	c.Advance(10 * time.Second)
	must(t, s.Set(next))
	step("3. [next], 10 s after old stopped signing", next, []*assertion.Key{next, old})

	c.Advance(assertion.DefaultRetain - 10*time.Second - time.Nanosecond)
	step("just before Retain", next, []*assertion.Key{next, old})
	c.Advance(time.Nanosecond)
	step("Retain after old stopped signing", next, []*assertion.Key{next})

	// A published key that never signed goes at once.
	must(t, s.Set(next, spare))
	must(t, s.Set(next))
	step("a key that never signed", next, []*assertion.Key{next})

	// Straight from [next] to [spare]: next is kept for Retain.
	must(t, s.Set(spare))
	step("[spare] at once", spare, []*assertion.Key{spare, next})
	// and listing it again keeps it, without a deadline.
	must(t, s.Set(spare, next))
	c.Advance(time.Hour)
	step("next listed again", spare, []*assertion.Key{spare, next})
}

// TestKeySetRefuses: a signing key without its private half, a nil key
// and a key listed twice are configuration errors, and leave the key set
// as it was.
func TestKeySetRefuses(t *testing.T) {
	priv, a := keyPair(t)
	_, b := keyPair(t)
	pubOnly, err := assertion.NewPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := assertion.NewKeySet(assertion.KeySetConfig{}, a)
	if err != nil {
		t.Fatal(err)
	}
	for name, set := range map[string]func() error{
		"public signing key":        func() error { return s.Set(pubOnly) },
		"nil signing key":           func() error { return s.Set(nil) },
		"nil other key":             func() error { return s.Set(b, nil) },
		"a key twice":               func() error { return s.Set(b, a, a) },
		"the signer twice":          func() error { return s.Set(b, b) },
		"a key and its public half": func() error { return s.Set(a, pubOnly) },
	} {
		err := set()
		var ce *assertion.ConfigError
		if !errors.As(err, &ce) || ce.Field != "Key" {
			t.Errorf("%s: %v, want a Key problem", name, err)
		}
		if s.Signing() != a || !slices.Equal(kids(s), []string{a.ID()}) {
			t.Errorf("%s changed the key set: %v", name, kids(s))
		}
	}
	if _, err := assertion.NewKeySet(assertion.KeySetConfig{Retain: -time.Second}, a); !errors.Is(err, assertion.ErrConfig) {
		t.Errorf("negative Retain: %v", err)
	}
}

// TestKeySetServeHTTP: the key set document on GET, headers only on HEAD,
// 405 otherwise; what it serves is what a Verifier reads.
func TestKeySetServeHTTP(t *testing.T) {
	_, a := keyPair(t)
	_, b := keyPair(t)
	s, err := assertion.NewKeySet(assertion.KeySetConfig{}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete} {
		req, _ := http.NewRequest(method, srv.URL+"/.well-known/jwks.json", nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch method {
		case http.MethodGet, http.MethodHead:
			wantBody := string(s.JWKS())
			if method == http.MethodHead {
				wantBody = ""
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != assertion.JWKSContentType || string(body) != wantBody {
				t.Errorf("%s: %d %s %q", method, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		default:
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s: %d, Allow %q", method, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
	}
	want := `{"keys":[` + string(a.JWK()) + `,` + string(b.JWK()) + `]}`
	if got := string(s.JWKS()); got != want {
		t.Errorf("JWKS %s, want %s", got, want)
	}
	if _, err := assertion.NewVerifier(assertion.VerifierConfig{Issuer: gateIssuer, Audience: audience, JWKS: s.JWKS()}); err != nil {
		t.Errorf("a Verifier refuses the key set: %v", err)
	}
}

// must fails t on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
