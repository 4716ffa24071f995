package alb_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// pemOf encodes a public key as the endpoint would.
func pemOf(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// uuidN returns the n-th of a series of valid UUIDs no endpoint serves.
func uuidN(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-000000000000", n) }

// TestKeyEndpointAnswers has a row per kind of answer the key endpoint may
// give. Only exactly one PEM P-256 public key is a key.
func TestKeyEndpointAnswers(t *testing.T) {
	p384 := must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	rsaKey := must(rsa.GenerateKey(rand.Reader, 1024))
	edKey, _, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name       string
		body       func(good []byte) []byte // nil: no fault
		status     int
		want       claims.Reason
		wantResult string
	}{
		{"the key", nil, 0, claims.ReasonOK, "ok"},
		{"the key with whitespace around", func(g []byte) []byte { return append(append([]byte("\n  \n"), g...), "\n\n"...) }, 0, claims.ReasonOK, "ok"},
		{"huge", func(g []byte) []byte { return append(g, strings.Repeat(" ", alb.DefaultMaxKeyBytes)...) }, 0, claims.ReasonJWKSUnavailable, "too_large"},
		{"a megabyte of garbage", func([]byte) []byte { return []byte(strings.Repeat("x", 1<<20)) }, 0, claims.ReasonJWKSUnavailable, "too_large"},
		{"garbage", func([]byte) []byte { return []byte("hello") }, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"empty", func([]byte) []byte { return []byte{} }, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"a JWKS", func([]byte) []byte { return []byte(`{"keys":[]}`) }, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"two PEM blocks", func(g []byte) []byte { return append(append([]byte{}, g...), g...) }, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"another key, then the key", func(g []byte) []byte { return append(pemOf(t, &p384.PublicKey), g...) }, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"a broken block, then the key", func(g []byte) []byte {
			return append([]byte("-----BEGIN PUBLIC KEY-----\nnot base64\n"), g...)
		}, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"data before the block", func(g []byte) []byte { return append([]byte("key:\n"), g...) }, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"data after the block", func(g []byte) []byte { return append(append([]byte{}, g...), "trailer"...) }, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"PEM headers", func(g []byte) []byte {
			b, _ := pem.Decode(g)
			b.Headers = map[string]string{"Comment": "x"}
			return pem.EncodeToMemory(b)
		}, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"truncated block", func(g []byte) []byte { return g[:len(g)-20] }, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"not DER", func([]byte) []byte {
			return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("not der")})
		}, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"point off the curve", func(g []byte) []byte {
			b, _ := pem.Decode(g)
			b.Bytes[len(b.Bytes)-1] ^= 1
			return pem.EncodeToMemory(b)
		}, 0, claims.ReasonJWKSUnavailable, "malformed"},
		{"RSA key", func([]byte) []byte { return pemOf(t, &rsaKey.PublicKey) }, 0, claims.ReasonJWKSUnavailable, "no_usable_keys"},
		{"P-384 key", func([]byte) []byte { return pemOf(t, &p384.PublicKey) }, 0, claims.ReasonJWKSUnavailable, "no_usable_keys"},
		{"Ed25519 key", func([]byte) []byte { return pemOf(t, edKey) }, 0, claims.ReasonJWKSUnavailable, "no_usable_keys"},
		{"certificate block", func(g []byte) []byte {
			b, _ := pem.Decode(g)
			b.Type = "CERTIFICATE"
			return pem.EncodeToMemory(b)
		}, 0, claims.ReasonJWKSUnavailable, "no_usable_keys"},
		{"status 500", nil, http.StatusInternalServerError, claims.ReasonJWKSUnavailable, "status"},
		{"status 503", nil, http.StatusServiceUnavailable, claims.ReasonJWKSUnavailable, "status"},
		{"status 404", nil, http.StatusNotFound, claims.ReasonUnknownKID, "status"},
		{"status 403", nil, http.StatusForbidden, claims.ReasonUnknownKID, "status"},
		{"status 204", nil, http.StatusNoContent, claims.ReasonJWKSUnavailable, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			if tt.body != nil || tt.status != 0 {
				f := fakealb.Fault{Status: tt.status}
				if tt.body != nil {
					f.Body = tt.body(r.lb.PEM(r.lb.KeyID()))
				}
				r.lb.SetFault(f)
			}
			_, err := r.verify(r.lb.Data())
			wantReason(t, err, tt.want)
			ev := r.events.next(t)
			if got := ev.Result(); got != tt.wantResult {
				t.Errorf("fetch result %q (%v), want %q", got, ev.Err, tt.wantResult)
			}
			if tt.want != claims.ReasonOK && len(r.v.Keys().KeyIDs) != 0 {
				t.Errorf("a key is held after a failed fetch: %v", r.v.Keys().KeyIDs)
			}
		})
	}
}

// must returns v or panics: key generation from crypto/rand does not fail.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestDefaultClientFollowsNoRedirect: the default client answers a
// redirect as a failed fetch; a key endpoint that moves is a
// configuration change, not something to follow.
func TestDefaultClientFollowsNoRedirect(t *testing.T) {
	r := newRig(t, nil)
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, r.lb.KeyURL()+req.URL.Path, http.StatusFound)
	}))
	defer moved.Close()
	cfg := r.cfg
	cfg.KeyURL, cfg.Keys.HTTPClient = moved.URL, nil
	v, err := alb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.VerifyData(t.Context(), r.lb.Data())
	wantReason(t, err, claims.ReasonJWKSUnavailable)
	if got := v.Keys().Fetches; got["status"] != 1 || r.lb.Fetches() != 0 {
		t.Errorf("fetches %v, %d at the redirect's target; want one status, none followed", got, r.lb.Fetches())
	}
}

func TestFetchEvent(t *testing.T) {
	r := newRig(t, nil)
	if _, err := r.verify(r.lb.Data()); err != nil {
		t.Fatal(err)
	}
	ev := r.events.next(t)
	kid := r.lb.KeyID()
	if ev.Issuer != r.lb.KeyURL() || ev.URL != r.lb.KeyURL()+"/"+kid || ev.Trigger != jwks.TriggerUnknownKID ||
		ev.Err != nil || ev.Keys != 1 || !slices.Equal(ev.Added, []string{kid}) || ev.Removed != nil || !ev.LastSuccess.Equal(t0) {
		t.Errorf("event %+v", ev)
	}
	st := r.v.Keys()
	if st.URL != r.lb.KeyURL() || !slices.Equal(st.KeyIDs, []string{kid}) || st.Fetches["ok"] != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestUnknownKIDCooldown(t *testing.T) {
	r := newRig(t, nil)
	tok := r.lb.Data(fakealb.WithHeader("kid", uuidN(1)))
	for i := range 3 {
		_, err := r.verify(tok)
		wantReason(t, err, claims.ReasonUnknownKID)
		if r.tr.count() != 1 {
			t.Fatalf("try %d: %d fetches inside the cooldown, want 1", i, r.tr.count())
		}
	}
	r.clock.Advance(jwks.DefaultCooldown)
	_, err := r.verify(tok)
	wantReason(t, err, claims.ReasonUnknownKID)
	if r.tr.count() != 2 {
		t.Errorf("%d fetches after the cooldown, want 2", r.tr.count())
	}
}

func TestFailedFetchBacksOff(t *testing.T) {
	r := newRig(t, nil)
	r.lb.SetFault(fakealb.Fault{Status: http.StatusInternalServerError})
	tok := r.lb.Data()
	try := func(wantFetches int, want claims.Reason) {
		t.Helper()
		_, err := r.verify(tok)
		wantReason(t, err, want)
		if got := r.tr.count(); got != wantFetches {
			t.Fatalf("%d fetches, want %d", got, wantFetches)
		}
	}
	try(1, claims.ReasonJWKSUnavailable)
	try(1, claims.ReasonJWKSUnavailable) // inside the cooldown: at once, no request
	r.clock.Advance(jwks.DefaultCooldown)
	try(2, claims.ReasonJWKSUnavailable)
	r.clock.Advance(jwks.DefaultCooldown) // the gap has doubled
	try(2, claims.ReasonJWKSUnavailable)
	r.clock.Advance(jwks.DefaultCooldown)
	try(3, claims.ReasonJWKSUnavailable)
	r.lb.ClearFault()
	r.clock.Advance(4 * jwks.DefaultCooldown)
	try(4, claims.ReasonOK)
}

// TestNewKIDBudget: a flood of tokens with made-up kids (and a configured
// signer, client and issuer) costs at most MaxNewKeyFetches requests per
// cooldown.
func TestNewKIDBudget(t *testing.T) {
	r := newRig(t, nil)
	good := r.lb.Data()
	if _, err := r.verify(good); err != nil {
		t.Fatal(err)
	}
	budget := alb.DefaultMaxNewKeyFetches // one spent on the genuine kid
	for i := range 100 {
		_, err := r.verify(r.lb.Data(fakealb.WithHeader("kid", uuidN(i))))
		wantReason(t, err, claims.ReasonUnknownKID)
	}
	if got := r.tr.count(); got != budget {
		t.Errorf("%d fetches for 1 genuine and 100 made-up kids, want %d", got, budget)
	}
	// The held key is unaffected, without a request.
	if _, err := r.verify(good); err != nil {
		t.Errorf("held key after the flood: %v", err)
	}
	// The residual: a genuine new kid waits for the budget too.
	r.lb.Rotate()
	rotated := r.lb.Data()
	_, err := r.verify(rotated)
	wantReason(t, err, claims.ReasonUnknownKID)
	if got := r.tr.count(); got != budget {
		t.Errorf("%d fetches with the budget spent, want %d", got, budget)
	}
	// The bucket refills evenly: one fetch per cooldown / budget.
	r.clock.Advance(jwks.DefaultCooldown / time.Duration(alb.DefaultMaxNewKeyFetches))
	if _, err := r.verify(rotated); err != nil {
		t.Errorf("rotated kid once the budget refilled: %v", err)
	}
	if got := r.tr.count(); got != budget+1 {
		t.Errorf("%d fetches, want %d", got, budget+1)
	}
	// One cooldown / budget refills one fetch, not more.
	_, err = r.verify(r.lb.Data(fakealb.WithHeader("kid", uuidN(1000))))
	wantReason(t, err, claims.ReasonUnknownKID)
	if got := r.tr.count(); got != budget+1 {
		t.Errorf("%d fetches, want %d: the bucket refilled faster than one per %s", got, budget+1,
			jwks.DefaultCooldown/time.Duration(alb.DefaultMaxNewKeyFetches))
	}
	// A whole cooldown refills the whole budget, and no more.
	r.clock.Advance(10 * jwks.DefaultCooldown)
	for i := range budget + 1 {
		_, _ = r.verify(r.lb.Data(fakealb.WithHeader("kid", uuidN(2000+i))))
	}
	if got := r.tr.count(); got != 2*budget+1 {
		t.Errorf("%d fetches, want %d: a refilled bucket holds %d", got, 2*budget+1, budget)
	}
}

// TestFloodKeepsHeldKeys: kids that never had a key cannot push the keys in
// use out of the cache, whatever the budget.
func TestFloodKeepsHeldKeys(t *testing.T) {
	r := newRig(t, func(c *alb.Config) { c.MaxKeys, c.MaxNewKeyFetches = 2, 1000 })
	good := r.lb.Data()
	if _, err := r.verify(good); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		_, err := r.verify(r.lb.Data(fakealb.WithHeader("kid", uuidN(i))))
		wantReason(t, err, claims.ReasonUnknownKID)
	}
	before := r.tr.count()
	if _, err := r.verify(good); err != nil {
		t.Fatal(err)
	}
	if r.tr.count() != before {
		t.Error("the held key was fetched again after a flood of unknown kids")
	}
	if got := r.v.Keys().KeyIDs; !slices.Equal(got, []string{r.lb.KeyID()}) {
		t.Errorf("held %v", got)
	}
	// The misses are bounded too: the first made-up kids were forgotten
	// (so fetched again, budget permitting), the last ones remembered.
	_, _ = r.verify(r.lb.Data(fakealb.WithHeader("kid", uuidN(0))))
	_, _ = r.verify(r.lb.Data(fakealb.WithHeader("kid", uuidN(49))))
	if got := r.tr.count(); got != before+1 {
		t.Errorf("%d fetches for a forgotten and a remembered miss, want 1", got-before)
	}
}

// TestForgedTokensKeepProvenKeys guards review finding R16: tokens that
// name kids the regional endpoint does serve (another load balancer's,
// whose tokens anyone can get) but whose signature fails cannot push out
// a key that has verified a token: an unproven key is forgotten first.
func TestForgedTokensKeepProvenKeys(t *testing.T) {
	r := newRig(t, func(c *alb.Config) { c.MaxKeys, c.MaxNewKeyFetches = 2, 1000 })
	own := r.lb.KeyID()
	good := r.lb.Data()
	if _, err := r.verify(good); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		kid := r.lb.Rotate()
		forged := r.lb.Data(fakealb.WithKeyID(kid))
		i := strings.LastIndexByte(forged, '.') + 10
		c := byte('A')
		if forged[i] == 'A' {
			c = 'B'
		}
		forged = forged[:i] + string(c) + forged[i+1:]
		_, err := r.verify(forged)
		wantReason(t, err, claims.ReasonBadSignature)
	}
	before := r.tr.count()
	if _, err := r.verify(good); err != nil {
		t.Fatal(err)
	}
	if r.tr.count() != before {
		t.Error("the key in use was forgotten for keys that verified nothing, and fetched again")
	}
	if got := r.v.Keys().KeyIDs; !slices.Contains(got, own) || len(got) > 2 {
		t.Errorf("held %v, want %s among at most 2", got, own)
	}
}

// TestHeldKeysBounded: at most MaxKeys keys, the least recently used
// forgotten first.
func TestHeldKeysBounded(t *testing.T) {
	r := newRig(t, func(c *alb.Config) { c.MaxKeys = 2 })
	kids := []string{r.lb.KeyID(), r.lb.Rotate(), r.lb.Rotate()}
	tokens := make([]string, len(kids))
	for i, kid := range kids {
		tokens[i] = r.lb.Data(fakealb.WithKeyID(kid))
	}
	for _, i := range []int{0, 1, 0, 2} { // 1 is now the least recently used
		if _, err := r.verify(tokens[i]); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{kids[0], kids[2]}
	slices.Sort(want)
	if got := r.v.Keys().KeyIDs; !slices.Equal(got, want) {
		t.Errorf("held %v, want %v", got, want)
	}
	before := r.tr.count()
	if _, err := r.verify(tokens[1]); err != nil {
		t.Fatal(err)
	}
	if r.tr.count() != before+1 {
		t.Error("a forgotten key was not fetched again")
	}
}

func TestBackgroundRefresh(t *testing.T) {
	r := newRig(t, nil)
	tok := func() string { return r.lb.Data() } // minted at the rig's now
	if _, err := r.verify(tok()); err != nil {
		t.Fatal(err)
	}
	r.events.next(t)
	r.clock.Advance(jwks.DefaultRefreshInterval)
	if _, err := r.verify(tok()); err != nil {
		t.Fatalf("served while refreshed: %v", err)
	}
	ev := r.events.next(t)
	if ev.Trigger != jwks.TriggerInterval || ev.Err != nil || ev.Added != nil || ev.Removed != nil {
		t.Errorf("refresh event %+v", ev)
	}
	if r.tr.count() != 2 {
		t.Errorf("%d fetches, want 2", r.tr.count())
	}
	// A fresh key is not fetched again.
	if _, err := r.verify(tok()); err != nil {
		t.Fatal(err)
	}
	if r.tr.count() != 2 {
		t.Errorf("%d fetches after the refresh, want 2", r.tr.count())
	}
}

// TestStaleKey: a held key whose refreshes fail is served until it is
// MaxStaleness old, then refused until a fetch succeeds.
func TestStaleKey(t *testing.T) {
	r := newRig(t, nil)
	if _, err := r.verify(r.lb.Data()); err != nil {
		t.Fatal(err)
	}
	r.events.next(t)
	r.lb.SetFault(fakealb.Fault{Status: http.StatusBadGateway})
	r.clock.Advance(jwks.DefaultRefreshInterval)
	if _, err := r.verify(r.lb.Data()); err != nil {
		t.Fatalf("within MaxStaleness: %v", err)
	}
	if ev := r.events.next(t); ev.Err == nil || ev.Keys != 1 {
		t.Errorf("failed refresh event %+v", ev)
	}
	r.clock.Advance(jwks.DefaultMaxStaleness - jwks.DefaultRefreshInterval + time.Second)
	_, err := r.verify(r.lb.Data())
	wantReason(t, err, claims.ReasonJWKSUnavailable)
	if ev := r.events.next(t); ev.Trigger != jwks.TriggerStale {
		t.Errorf("trigger %q, want stale", ev.Trigger)
	}
	r.lb.ClearFault()
	_, err = r.verify(r.lb.Data()) // inside the backoff: no request
	wantReason(t, err, claims.ReasonJWKSUnavailable)
	r.clock.Advance(jwks.DefaultMaxBackoff)
	if _, err := r.verify(r.lb.Data()); err != nil {
		t.Errorf("after a successful fetch: %v", err)
	}
}

// TestRetiredKeyDropped: a held key that the endpoint answers 404 for on
// refresh is dropped, as a key set drops a kid it no longer lists.
func TestRetiredKeyDropped(t *testing.T) {
	r := newRig(t, nil)
	old := r.lb.KeyID()
	oldTok := func() string { return r.lb.Data(fakealb.WithKeyID(old)) }
	if _, err := r.verify(oldTok()); err != nil {
		t.Fatal(err)
	}
	r.events.next(t)
	r.lb.Rotate()
	r.lb.Retire(old)
	r.clock.Advance(jwks.DefaultRefreshInterval)
	if _, err := r.verify(oldTok()); err != nil {
		t.Fatalf("served while refreshed: %v", err)
	}
	if ev := r.events.next(t); !slices.Equal(ev.Removed, []string{old}) || ev.Keys != 0 {
		t.Errorf("refresh event %+v, want %s removed", ev, old)
	}
	_, err := r.verify(oldTok())
	wantReason(t, err, claims.ReasonUnknownKID)
	if _, err := r.verify(r.lb.Data()); err != nil {
		t.Errorf("the new key: %v", err)
	}
}

// TestKeyReplacedUnderKid: when the endpoint answers another key for a
// held kid, the new key is used.
func TestKeyReplacedUnderKid(t *testing.T) {
	r := newRig(t, nil)
	kid := r.lb.KeyID()
	if _, err := r.verify(r.lb.Data()); err != nil {
		t.Fatal(err)
	}
	r.events.next(t)
	other := r.lb.Rotate()
	r.lb.SetFault(fakealb.Fault{Body: r.lb.PEM(other)})
	r.clock.Advance(jwks.DefaultRefreshInterval)
	_, _ = r.verify(r.lb.Data(fakealb.WithKeyID(kid)))
	if ev := r.events.next(t); !slices.Equal(ev.Added, []string{kid}) || !slices.Equal(ev.Removed, []string{kid}) {
		t.Errorf("event %+v, want kid %s replaced", ev, kid)
	}
	_, err := r.verify(r.lb.Data(fakealb.WithKeyID(kid)))
	wantReason(t, err, claims.ReasonBadSignature)
	if _, err := r.verify(r.lb.Data(fakealb.WithKeyID(other), fakealb.WithHeader("kid", kid))); err != nil {
		t.Errorf("token of the key now served under %s: %v", kid, err)
	}
}

func TestClose(t *testing.T) {
	r := newRig(t, nil)
	good := r.lb.Data()
	if _, err := r.verify(good); err != nil {
		t.Fatal(err)
	}
	if err := r.v.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.verify(good); err != nil {
		t.Errorf("held key after Close: %v", err)
	}
	before := r.tr.count()
	_, err := r.verify(r.lb.Data(fakealb.WithHeader("kid", uuidN(7))))
	wantReason(t, err, claims.ReasonJWKSUnavailable)
	wantErr(t, err, jwks.ErrClosed)
	if r.tr.count() != before {
		t.Error("a fetch after Close")
	}
	if err := r.v.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
