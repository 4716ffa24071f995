package fakepool_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// lazyPool is a pool shared by several tests, started on first use so
// that the package's tests do not use up the embedded keys. TestMain closes
// it.
type lazyPool struct {
	cfg  fakepool.Config
	once sync.Once
	pool *fakepool.Pool
	err  error
}

func (l *lazyPool) get(t *testing.T) *fakepool.Pool {
	t.Helper()
	l.once.Do(func() { l.pool, l.err = fakepool.New(l.cfg) })
	if l.err != nil {
		t.Fatalf("starting a shared pool: %v", l.err)
	}
	return l.pool
}

func (l *lazyPool) close() {
	l.once.Do(func() {}) // a pool never started stays unstarted
	if l.pool != nil {
		l.pool.Close()
	}
}

// fixedNow is the clock of fixedPool.
var fixedNow = time.Date(2025, 3, 14, 15, 9, 26, 500_000_000, time.UTC)

var (
	shared = &lazyPool{}
	fixed  = &lazyPool{cfg: fakepool.Config{
		Now:           func() time.Time { return fixedNow },
		TokenLifetime: 30 * time.Minute,
	}}
	faulty = &lazyPool{}
)

// sharedPool returns a default pool for tests that neither change its keys
// nor set faults.
func sharedPool(t *testing.T) *fakepool.Pool { t.Helper(); return shared.get(t) }

// fixedPool returns a pool with the clock fixedNow and a 30-minute token
// lifetime, for tests that neither change its keys nor set faults.
func fixedPool(t *testing.T) *fakepool.Pool { t.Helper(); return fixed.get(t) }

// faultPool returns the pool of the fault tests, each of which clears the
// faults it sets.
func faultPool(t *testing.T) *fakepool.Pool { t.Helper(); return faulty.get(t) }

func TestMain(m *testing.M) {
	m.Run() // TestMain returning makes the test binary exit with m.Run's status
	for _, l := range []*lazyPool{shared, fixed, faulty, replicated, updated} {
		l.close()
	}
}

// decoded is a compact JWS taken apart.
type decoded struct {
	header, claims map[string]any
	signingInput   string
	signature      []byte
}

func decode(t *testing.T, token string) decoded {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	var d decoded
	for i, dst := range []*map[string]any{&d.header, &d.claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	d.signingInput = parts[0] + "." + parts[1]
	d.signature = sig
	return d
}

func names(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// fetchKeys fetches url and parses it as a JWKS, checking that every key
// has exactly Cognito's fields.
func fetchKeys(t *testing.T, url string) map[string]*rsa.PublicKey {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("fetching jwks: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading jwks: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jwks status = %d, want 200", resp.StatusCode)
	}
	if got, want := resp.Header.Get("Content-Type"), "application/json"; got != want {
		t.Errorf("jwks Content-Type = %q, want %q", got, want)
	}
	return parseKeys(t, body)
}

func parseKeys(t *testing.T, body []byte) map[string]*rsa.PublicKey {
	t.Helper()
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("parsing jwks %s: %v", body, err)
	}
	keys := make(map[string]*rsa.PublicKey)
	for _, k := range doc.Keys {
		if got, want := slices.Sorted(maps.Keys(k)), []string{"alg", "e", "kid", "kty", "n", "use"}; !slices.Equal(got, want) {
			t.Errorf("jwk fields = %v, want %v", got, want)
		}
		if k["alg"] != "RS256" || k["kty"] != "RSA" || k["use"] != "sig" || k["e"] != "AQAB" {
			t.Errorf("jwk %v: want alg RS256, kty RSA, use sig, e AQAB", k)
		}
		n, err := base64.RawURLEncoding.DecodeString(k["n"])
		if err != nil {
			t.Fatalf("jwk n: %v", err)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
		if pub.N.BitLen() != 2048 {
			t.Errorf("jwk %s has %d bits, want 2048", k["kid"], pub.N.BitLen())
		}
		keys[k["kid"]] = pub
	}
	return keys
}

var errNoKey = errors.New("no key with the token's kid")

// verify checks the RS256 signature of token with the key its kid names.
func verify(t *testing.T, token string, keys map[string]*rsa.PublicKey) error {
	t.Helper()
	d := decode(t, token)
	kid, _ := d.header["kid"].(string)
	pub, ok := keys[kid]
	if !ok {
		return errNoKey
	}
	return verifyWith(d, pub)
}

func verifyWith(d decoded, pub *rsa.PublicKey) error {
	digest := sha256.Sum256([]byte(d.signingInput))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], d.signature)
}

// mustPanic runs f and returns the panic value as a string, failing the
// test when f does not panic.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatalf("did not panic")
		}
		msg = fmt.Sprint(r)
	}()
	f()
	return ""
}

// newPool starts a pool that is closed when the test ends. (The package
// cannot use cognitotest.New, which is built on it.)
func newPool(t *testing.T, cfg fakepool.Config) *fakepool.Pool {
	t.Helper()
	p, err := fakepool.New(cfg)
	if err != nil {
		t.Fatalf("fakepool.New: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}
