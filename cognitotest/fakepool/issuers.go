package fakepool

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// replica is one replica region of a pool: its own signing keys, as a
// replica of a pool on the original issuer signs with its region's keys.
type replica struct {
	region    string
	accessKey *signingKey
	idKey     *signingKey
	jwks      []byte // its region's key set document
}

// newReplica makes the keys of a replica in region.
func newReplica(region string) (*replica, error) {
	a, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	id, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	return &replica{region: region, accessKey: a, idKey: id, jwks: encodeJWKS([]*signingKey{a, id})}, nil
}

// UsesUpdatedIssuer reports whether the pool is on the updated issuer
// configuration (Config.UpdatedIssuer).
func (p *Pool) UsesUpdatedIssuer() bool { return p.cfg.UpdatedIssuer }

// ReplicaRegions returns the regions the pool is replicated to, in
// Config order.
func (p *Pool) ReplicaRegions() []string { return slices.Clone(p.cfg.ReplicaRegions) }

// OriginalIssuer returns the pool's issuer in the original format for
// region, https://cognito-idp.<region>.amazonaws.com/<poolId>: the iss of
// tokens minted InRegion(region) by a pool on the original issuer.
// Empty means the pool's own region.
func (p *Pool) OriginalIssuer(region string) string {
	if region == "" {
		region = p.cfg.Region
	}
	return "https://cognito-idp." + region + ".amazonaws.com/" + p.cfg.PoolID
}

// UpdatedIssuer returns the pool's issuer in the updated format,
// https://issuer-cognito-idp.<Region>.amazonaws.com/<poolId>, Region being
// the pool's own (primary) region.
func (p *Pool) UpdatedIssuer() string {
	return "https://issuer-cognito-idp." + p.cfg.Region + ".amazonaws.com/" + p.cfg.PoolID
}

// InRegion is a TokenOption that mints the token as the pool's region
// region issues it: a replica region (Config.ReplicaRegions) signs with its
// own keys, and on a pool on the original issuer the iss is that region's
// original issuer (see OriginalIssuer); on a pool on the updated issuer it
// stays the updated issuer. The pool's own region, or "", is the default.
// Minting panics when region is neither the pool's nor a replica's, which
// is a mistake in the calling test. WithIssuer still replaces the iss, and
// WithKeyID and WithUnpublishedKey the key. (It is a method, not a
// package-level option like the others, because it needs the pool: a
// token minted by another pool with it panics.)
func (p *Pool) InRegion(region string) TokenOption {
	return func(s *tokenSpec) { s.region, s.regionPool = region, p }
}

// regionKey returns the key that signs tokenUse tokens in region, and the
// iss of such tokens: the primary's for "" or the pool's own region.
func (p *Pool) regionKey(spec *tokenSpec, tokenUse string) (*signingKey, string) {
	region := spec.region
	if spec.regionPool != nil && spec.regionPool != p {
		panic(fmt.Sprintf("fakepool: InRegion(%q) of pool %s used to mint a token of pool %s", region, spec.regionPool.cfg.PoolID, p.cfg.PoolID))
	}
	if region == "" || region == p.cfg.Region {
		return p.signingKeyFor(tokenUse), p.cfg.Issuer
	}
	r := p.replicas[region]
	if r == nil {
		panic(fmt.Sprintf("fakepool: InRegion(%q): pool %s has no replica there (replicas: %q)", region, p.cfg.PoolID, p.cfg.ReplicaRegions))
	}
	iss := p.OriginalIssuer(region)
	if p.cfg.UpdatedIssuer {
		iss = p.UpdatedIssuer()
	}
	if tokenUse == "id" {
		return r.idKey, iss
	}
	return r.accessKey, iss
}

// keySetSuffix ends the path of every key endpoint.
const keySetSuffix = "/.well-known/jwks.json"

// endpoint names the key endpoint at a local path: the issuer whose key
// set the path serves (JWKSURL's path serves Issuer's;
// "/<host>/<poolId>/.well-known/jwks.json" serves "https://<host>/<poolId>"'s
// for a Cognito host), or "" when the path is no key endpoint of this pool.
func (p *Pool) endpoint(path string) string {
	if path == p.jwksPath {
		return p.cfg.Issuer
	}
	rest, ok := strings.CutSuffix(path, "/"+p.cfg.PoolID+keySetSuffix)
	if !ok || !strings.HasPrefix(rest, "/") || !cognitoHost(rest[1:]) {
		return ""
	}
	return "https://" + rest[1:] + "/" + p.cfg.PoolID
}

// cognitoHost reports whether host is a Cognito issuer host,
// cognito-idp.<region>.amazonaws.com or issuer-cognito-idp.<region>.amazonaws.com.
func cognitoHost(host string) bool {
	region, ok := strings.CutSuffix(host, ".amazonaws.com")
	if !ok {
		return false
	}
	if r, ok := strings.CutPrefix(region, "issuer-cognito-idp."); ok {
		return regionPattern.MatchString(r)
	}
	r, ok := strings.CutPrefix(region, "cognito-idp.")
	return ok && regionPattern.MatchString(r)
}

// answer returns what the key endpoint of iss serves: the key set
// document with status 200, or a status of refusal with no key set (403
// for the updated endpoint of a pool on the original issuer, 404 for a
// region the pool is not in). p.mu must be held.
func (p *Pool) answerLocked(iss string) (int, []byte) {
	switch iss {
	case p.cfg.Issuer, p.OriginalIssuer(""):
		if iss == p.UpdatedIssuer() {
			return http.StatusOK, p.updatedJWKSLocked()
		}
		return http.StatusOK, p.jwks
	case p.UpdatedIssuer():
		if !p.cfg.UpdatedIssuer {
			return http.StatusForbidden, nil
		}
		return http.StatusOK, p.updatedJWKSLocked()
	}
	for _, r := range p.replicas {
		if iss == p.OriginalIssuer(r.region) {
			return http.StatusOK, r.jwks
		}
	}
	return http.StatusNotFound, nil
}

// updatedJWKSLocked is the key set of the updated issuer: the published
// keys, then every replica's, in Config order. p.mu must be held.
func (p *Pool) updatedJWKSLocked() []byte {
	if len(p.replicas) == 0 {
		return p.jwks
	}
	keys := slices.Clone(p.published)
	for _, region := range p.cfg.ReplicaRegions {
		r := p.replicas[region]
		keys = append(keys, r.accessKey, r.idKey)
	}
	return encodeJWKS(keys)
}

// JWKSURLOf returns the local address that serves the key endpoint of
// iss, an issuer of this pool in any Cognito form (for instance
// OriginalIssuer("us-west-2") or UpdatedIssuer()), or Issuer; "" when iss
// is neither. The address answers as Cognito would (see
// Config.UpdatedIssuer): the region's keys, 403, or 404 for a region the
// pool is not in.
func (p *Pool) JWKSURLOf(iss string) string {
	if iss == p.cfg.Issuer {
		return p.jwksURL
	}
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "https" || u.Path != "/"+p.cfg.PoolID || !cognitoHost(u.Host) || iss != "https://"+u.Host+u.Path {
		return ""
	}
	return p.base + "/" + u.Host + u.Path + keySetSuffix
}

// SetIssuerFault makes the key endpoint of iss (one of the pool's issuers,
// see JWKSURLOf) misbehave as f says, instead of the pool's fault
// (SetFault), until another SetIssuerFault for iss; the zero Fault
// removes it. The pool's fault applies to the endpoints that serve keys;
// an endpoint that refuses (403, 404) refuses whatever the pool's fault,
// unless its own is set. f.Body is copied.
func (p *Pool) SetIssuerFault(iss string, f Fault) {
	f.Body = slices.Clone(f.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.zero() {
		delete(p.issuerFaults, iss)
		return
	}
	if p.issuerFaults == nil {
		p.issuerFaults = make(map[string]Fault)
	}
	p.issuerFaults[iss] = f
}

// zero reports whether f is no fault.
func (f Fault) zero() bool {
	return f.Status == 0 && f.Body == nil && f.Delay == 0 && !f.Hang && !f.CloseMidBody
}

// FetchesOf returns the number of requests the key endpoint of iss has
// received, refused and faulted ones included (JWKSURL's are Issuer's).
// Fetches is their sum over every issuer of the pool.
func (p *Pool) FetchesOf(iss string) int {
	p.fetchMu.Lock()
	defer p.fetchMu.Unlock()
	return p.fetchesBy[iss]
}

// countFetch counts one request of the key endpoint of iss.
func (p *Pool) countFetch(iss string) {
	p.fetches.Add(1)
	p.fetchMu.Lock()
	defer p.fetchMu.Unlock()
	if p.fetchesBy == nil {
		p.fetchesBy = make(map[string]int)
	}
	p.fetchesBy[iss]++
}

// HTTPClient returns an HTTP client that reaches the pool's key endpoints
// at their Cognito addresses, for a verifier configured as in production
// (by user pool id, without a key set URL): a GET of
// https://<host>/<poolId>/.well-known/jwks.json, host being
// cognito-idp.<region>.amazonaws.com or
// issuer-cognito-idp.<region>.amazonaws.com for any region, is sent to
// the pool's server on 127.0.0.1, which answers as Cognito would (see
// Config.UpdatedIssuer and JWKSURLOf). Any other request — another host, scheme,
// pool or path — fails without reaching the network. Redirects are not
// followed. The client's connections close with the pool.
func (p *Pool) HTTPClient() *http.Client {
	return &http.Client{
		Transport:     cognitoTransport{p: p},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// cognitoTransport sends the requests of Cognito key endpoints of its
// pool to the pool's server, and refuses every other.
type cognitoTransport struct{ p *Pool }

func (t cognitoTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	p := t.p
	u := r.URL
	if u.Scheme != "https" || !cognitoHost(u.Host) || u.Path != "/"+p.cfg.PoolID+keySetSuffix || u.RawQuery != "" || u.User != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, fmt.Errorf("fakepool: %s %s is not a key endpoint of pool %s; this client reaches nothing else", r.Method, u.Redacted(), p.cfg.PoolID)
	}
	local := r.Clone(r.Context())
	local.URL = &url.URL{Scheme: "http", Host: p.addr, Path: "/" + u.Host + u.Path}
	local.Host = ""
	return p.transport.RoundTrip(local)
}

// newTransport returns the transport of HTTPClient's clients: it dials
// addr (the pool's server) only.
func newTransport(addr string) *http.Transport {
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
	}
}
