package fakepool

import (
	"crypto/rsa"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is a fake Cognito user pool: a JWKS server on 127.0.0.1 and a
// minter of access and ID tokens. Create one with New (in tests,
// cognitotest.New); a Pool is safe for concurrent use.
//
// A pool starts with two published RSA-2048 keys, like Cognito: the first
// of KeyIDs signs access tokens, the second ID tokens. Rotate and Retire
// change the published keys; the pool keeps every key it has had, so tokens
// can still be signed with a retired key (WithKeyID) and PublicKey still
// returns it. Each replica region (Config.ReplicaRegions) has two keys of
// its own, which Rotate and Retire do not change.
type Pool struct {
	cfg      Config // defaults filled in; immutable after New
	jwksPath string
	jwksURL  string

	mu        sync.RWMutex
	keys      map[string]*signingKey // every key the pool has had, by kid
	published []*signingKey          // the served keys, in JWKS order
	accessKey *signingKey            // signs access tokens
	idKey     *signingKey            // signs ID tokens
	jwks      []byte                 // the served document; replaced, never modified
	fault     Fault                  // the zero Fault means none

	unpublishedOnce sync.Once
	unpublished     *signingKey // set once by unpublishedKey

	subsMu sync.Mutex
	subs   map[string]string // username → sub

	replicas     map[string]*replica // by region; never written after New
	issuerFaults map[string]Fault    // by issuer; under mu

	users users // the user pool API's state (idp.go); under its own lock

	fetches   atomic.Int64
	fetchMu   sync.Mutex
	fetchesBy map[string]int // by issuer; under fetchMu
	inflight  atomic.Int64   // JWKS handlers running; for tests of the package

	base      string          // "http://127.0.0.1:<port>"
	addr      string          // "127.0.0.1:<port>"
	transport *http.Transport // of HTTPClient's clients

	srv       *http.Server
	serveDone chan struct{} // closed when srv.Serve returns
	closing   chan struct{} // closed by Close; stops delayed and hanging answers
	closeOnce sync.Once

	handlersMu     sync.Mutex
	handlersClosed bool
	handlers       sync.WaitGroup
}

// New starts a pool and its JWKS server on a free port of 127.0.0.1. It
// returns an error wrapping ErrInvalidConfig when cfg is malformed, or
// ErrStart when it cannot listen. The caller must call Close.
func New(cfg Config) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	accessKey, err := newSigningKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	idKey, err := newSigningKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	// Listen on 127.0.0.1 explicitly, never on a wildcard or another
	// address: the pool's keys are public, its server must not be.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	replicas := make(map[string]*replica, len(cfg.ReplicaRegions))
	for _, region := range cfg.ReplicaRegions {
		r, err := newReplica(region)
		if err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("%w: %w", ErrStart, err)
		}
		replicas[region] = r
	}
	addr := ln.Addr().String()
	base := "http://" + addr
	if cfg.LocalIssuer {
		cfg.Issuer = base + "/" + cfg.PoolID
	}
	p := &Pool{
		replicas:  replicas,
		base:      base,
		addr:      addr,
		transport: newTransport(addr),
		cfg:       cfg,
		jwksPath:  "/" + cfg.PoolID + "/.well-known/jwks.json",
		keys:      map[string]*signingKey{accessKey.kid: accessKey, idKey.kid: idKey},
		published: []*signingKey{accessKey, idKey},
		accessKey: accessKey,
		idKey:     idKey,
		subs:      make(map[string]string),
		serveDone: make(chan struct{}),
		closing:   make(chan struct{}),
	}
	for _, r := range replicas {
		p.keys[r.accessKey.kid], p.keys[r.idKey.kid] = r.accessKey, r.idKey
	}
	p.jwksURL = base + p.jwksPath
	p.jwks = encodeJWKS(p.published)
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		// Faults such as CloseMidBody make the server log; a fake stays quiet.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(p.serveDone)
		// Serve returns http.ErrServerClosed after Close, or another error
		// when the listener fails; then requests fail, which is what a
		// test of an unavailable JWKS sees, and Close still returns.
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// Close stops the JWKS server: requests waiting on a Delay or Hang fault
// are answered by a closed connection, and Close returns once every
// request handler has returned. Close may be called more than once.
func (p *Pool) Close() {
	p.closeOnce.Do(func() {
		close(p.closing)
		_ = p.srv.Close()
		<-p.serveDone
		p.transport.CloseIdleConnections()
		p.handlersMu.Lock()
		p.handlersClosed = true
		p.handlersMu.Unlock()
		p.handlers.Wait()
	})
}

// Issuer returns the iss claim of the pool's tokens, by default
// "https://cognito-idp.<region>.amazonaws.com/<poolId>".
func (p *Pool) Issuer() string { return p.cfg.Issuer }

// Region returns the pool's AWS region, e.g. "us-east-1".
func (p *Pool) Region() string { return p.cfg.Region }

// PoolID returns the user pool id, e.g. "us-east-1_GateTest1".
func (p *Pool) PoolID() string { return p.cfg.PoolID }

// ClientID returns the app client id: the client_id of access tokens and
// the aud of ID tokens.
func (p *Pool) ClientID() string { return p.cfg.ClientID }

// JWKSURL returns the URL of the served key set of Issuer,
// "http://127.0.0.1:<port>/<poolId>/.well-known/jwks.json"; JWKSURLOf
// returns those of the pool's other issuers.
func (p *Pool) JWKSURL() string { return p.jwksURL }

// JWKS returns a copy of the JSON Web Key Set document currently served
// (without faults).
func (p *Pool) JWKS() []byte {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.jwks)
}

// KeyIDs returns the kids of the published keys, in JWKS order.
func (p *Pool) KeyIDs() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	kids := make([]string, len(p.published))
	for i, k := range p.published {
		kids[i] = k.kid
	}
	return kids
}

// Rotate adds a new key to the end of the JWKS and makes it the signing key
// of both access and ID tokens. It returns the new kid. The previous keys
// stay published until Retire.
func (p *Pool) Rotate() string {
	k, err := newSigningKey()
	if err != nil {
		panic("fakepool: Rotate: " + err.Error())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[k.kid] = k
	p.published = append(slices.Clip(p.published), k)
	p.accessKey, p.idKey = k, k
	p.jwks = encodeJWKS(p.published)
	return k.kid
}

// Retire removes the key kid from the JWKS: tokens signed with it stop
// verifying once the verifier refreshes its keys. Retiring the current
// signing key does not change which key signs, so later tokens fail to
// verify too (call Rotate first to keep minting good tokens). Retiring a
// key that is not published is a no-op; Retire panics when kid was never a
// key of this pool, which is a mistake in the calling test.
func (p *Pool) Retire(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.keys[kid]; !ok {
		panic(p.unknownKeyLocked("Retire", kid))
	}
	i := slices.IndexFunc(p.published, func(k *signingKey) bool { return k.kid == kid })
	if i < 0 {
		return
	}
	p.published = slices.Delete(slices.Clone(p.published), i, i+1)
	p.jwks = encodeJWKS(p.published)
}

// PublicKey returns the public key with the given kid, published or not
// (retired keys and the key of WithUnpublishedKey included), or nil when
// the pool has no such key.
func (p *Pool) PublicKey(kid string) *rsa.PublicKey {
	p.mu.RLock()
	defer p.mu.RUnlock()
	k, ok := p.keys[kid]
	if !ok {
		return nil
	}
	pub := k.priv.PublicKey
	return &pub
}

// key returns the pool's key kid, or nil.
func (p *Pool) key(kid string) *signingKey {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.keys[kid]
}

// mustKey returns the pool's key kid or panics naming op.
func (p *Pool) mustKey(op, kid string) *signingKey {
	p.mu.RLock()
	defer p.mu.RUnlock()
	k, ok := p.keys[kid]
	if !ok {
		panic(p.unknownKeyLocked(op, kid))
	}
	return k
}

func (p *Pool) unknownKeyLocked(op, kid string) string {
	kids := make([]string, len(p.published))
	for i, k := range p.published {
		kids[i] = k.kid
	}
	return fmt.Sprintf("fakepool: %s(%q): pool %s has no key with this kid (published: %q)", op, kid, p.cfg.PoolID, kids)
}

// signingKeyFor returns the current signing key for tokenUse: the ID token
// key for "id", the access token key otherwise.
func (p *Pool) signingKeyFor(tokenUse string) *signingKey {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if tokenUse == "id" {
		return p.idKey
	}
	return p.accessKey
}

// unpublishedKey returns the pool's key that is never published, creating
// it on first use.
func (p *Pool) unpublishedKey() *signingKey {
	p.unpublishedOnce.Do(func() {
		k, err := newSigningKey()
		if err != nil {
			panic("fakepool: WithUnpublishedKey: " + err.Error())
		}
		p.mu.Lock()
		p.keys[k.kid] = k
		p.unpublished = k
		p.mu.Unlock()
	})
	return p.unpublished
}

// subjectOf returns the sub of username: a random UUID, the same for every
// token of this pool with that username.
func (p *Pool) subjectOf(username string) string {
	p.subsMu.Lock()
	defer p.subsMu.Unlock()
	sub, ok := p.subs[username]
	if !ok {
		sub = newUUID()
		p.subs[username] = sub
	}
	return sub
}
