package fakealb

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// ALB is a fake load balancer: a minter of its headers and its key
// endpoint on 127.0.0.1. Create one with New; it is safe for concurrent
// use.
//
// It starts with one key, under a random UUID kid (KeyID). Rotate adds a
// key and signs with it from then on; Retire withdraws a key from the
// endpoint (404). The ALB keeps every key it has had, so tokens can still
// be signed with a retired one (WithKeyID).
type ALB struct {
	cfg     Config // defaults filled in; immutable after New
	keyPath string // the endpoint's base path, "/aws-elb-public-keys-prod-<region>"
	keyURL  string

	mu        sync.RWMutex
	keys      map[string]*ecdsa.PrivateKey // every key the ALB has had, by kid
	published map[string]bool
	current   string // the kid that signs
	fault     Fault

	fetches atomic.Int64

	srv       *httptest.Server
	closing   chan struct{} // closed by Close; ends delayed answers
	closeOnce sync.Once
}

// New starts a fake load balancer and its key endpoint on a free port of
// 127.0.0.1. It returns an error wrapping ErrInvalidConfig when cfg is
// malformed, or ErrStart when it cannot listen. The caller must call
// Close.
func New(cfg Config) (*ALB, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	// Listen on 127.0.0.1 explicitly, never on a wildcard address: the
	// fake's keys sign whatever a test wants.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	kid := newUUID()
	a := &ALB{
		cfg:       cfg,
		keyPath:   "/aws-elb-public-keys-prod-" + cfg.Region,
		keys:      map[string]*ecdsa.PrivateKey{kid: key},
		published: map[string]bool{kid: true},
		current:   kid,
		closing:   make(chan struct{}),
	}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(a.serveHTTP))
	a.srv.Listener.Close()
	a.srv.Listener = ln
	a.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	a.srv.Start()
	a.keyURL = a.srv.URL + a.keyPath
	return a, nil
}

// Close stops the key endpoint: requests waiting on a Delay fault are
// answered by a closed connection, and Close returns once every handler
// has returned. Close may be called more than once.
func (a *ALB) Close() {
	a.closeOnce.Do(func() {
		close(a.closing)
		a.srv.Close()
	})
}

// Region returns the load balancer's region, e.g. "us-east-1".
func (a *ALB) Region() string { return a.cfg.Region }

// Signer returns the load balancer's ARN, the header's signer.
func (a *ALB) Signer() string { return a.cfg.Signer }

// ClientID returns the listener rule's app client, the header's client.
func (a *ALB) ClientID() string { return a.cfg.ClientID }

// Issuer returns the tokens' iss.
func (a *ALB) Issuer() string { return a.cfg.Issuer }

// KeyURL returns the base of the key endpoint,
// "http://127.0.0.1:<port>/aws-elb-public-keys-prod-<region>": the key of
// kid K is served at KeyURL() + "/" + K. Configure a verifier's key URL
// with it (and allow http).
func (a *ALB) KeyURL() string { return a.keyURL }

// KeyID returns the kid of the key that signs tokens now.
func (a *ALB) KeyID() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.current
}

// KeyIDs returns the kids the endpoint serves, sorted.
func (a *ALB) KeyIDs() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var kids []string
	for kid, ok := range a.published {
		if ok {
			kids = append(kids, kid)
		}
	}
	slices.Sort(kids)
	return kids
}

// Rotate adds a key under a new kid, serves it, and signs with it from
// now on. It returns the new kid. The previous keys stay served until
// Retire.
func (a *ALB) Rotate() string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("fakealb: Rotate: " + err.Error()) // crypto/rand does not fail
	}
	kid := newUUID()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys[kid], a.published[kid], a.current = key, true, kid
	return kid
}

// Retire stops serving the key kid: the endpoint answers 404 for it, as
// for a kid it never had. Tokens signed with it stop verifying once the
// verifier fetches it again. Retiring the current signing key does not
// change which key signs (call Rotate first to keep minting good tokens).
// Retire panics when the ALB never had kid, which is a mistake in the
// calling test.
func (a *ALB) Retire(kid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.mustKeyLocked("Retire", kid)
	a.published[kid] = false
}

// PublicKey returns a copy of the public key kid (served or retired), or
// nil when the ALB never had it.
func (a *ALB) PublicKey(kid string) *ecdsa.PublicKey {
	a.mu.RLock()
	defer a.mu.RUnlock()
	k, ok := a.keys[kid]
	if !ok {
		return nil
	}
	pub := k.PublicKey
	return &pub
}

// PEM returns what the endpoint serves for kid, served or retired: the
// PKIX public key as one PEM "PUBLIC KEY" block. It panics when the ALB
// never had kid.
func (a *ALB) PEM(kid string) []byte {
	a.mu.RLock()
	k := a.mustKeyLocked("PEM", kid)
	a.mu.RUnlock()
	return encodePEM(&k.PublicKey)
}

// encodePEM returns pub as a PEM "PUBLIC KEY" block.
func encodePEM(pub *ecdsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("fakealb: encoding a P-256 key: " + err.Error()) // cannot happen
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// mustKeyLocked returns the key kid or panics naming op. a.mu must be
// held.
func (a *ALB) mustKeyLocked(op, kid string) *ecdsa.PrivateKey {
	k, ok := a.keys[kid]
	if !ok {
		kids := make([]string, 0, len(a.keys))
		for id := range a.keys {
			kids = append(kids, id)
		}
		slices.Sort(kids)
		panic(fmt.Sprintf("fakealb: %s(%q): no key with this kid (keys: %s)", op, kid, strings.Join(kids, ", ")))
	}
	return k
}

// newUUID returns a random (version 4) UUID, lowercase, from crypto/rand.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand.Read crashes the program instead
	return formatUUID(b)
}

// formatUUID writes b as a version 4 UUID in canonical lowercase form.
func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
