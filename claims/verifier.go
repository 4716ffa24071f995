package claims

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/internal/tokenshare"

	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// Verifier checks Cognito tokens. Build it once with New; it is safe for
// concurrent use. Close it to stop the key cache's background refreshes.
type Verifier struct {
	cc       *compiledConfig
	keys     *jwks.Cache // the primary issuers' key sets
	onDemand []*onDemand // the other issuers', in configuration order
	client   *http.Client
	// ownClient: client was made for the on-demand key sets, and its idle
	// connections are closed by Close.
	ownClient bool
	cache     *tokenCache // nil when disabled
}

// New validates cfg and returns a Verifier whose key cache starts fetching
// every pool's primary key set in the background (the other issuers' are
// fetched on demand, see Pool). Misconfiguration (no pools, a bad
// pool id, an http issuer or key set URL without AllowHTTP, no client ids
// without SkipClientIDCheck, a missing or unknown TokenUse, an unknown
// algorithm, a leeway out of range, bad key cache timings) is an error
// here, never at
// the first request: the joined *ConfigErrors of every problem (the same
// as Config.Validate's), each matching ErrConfig.
func New(cfg Config) (*Verifier, error) {
	cc, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	keys, err := jwks.New(cc.jwks, cc.jwksSource...)
	if err != nil {
		// compile made jwks.New's checks: this is not expected.
		return nil, joinConfigErrors(fromJWKS(err, func(source int) int { return cc.poolIndex[source] }))
	}
	cc.jwks.Carry = nil // read by jwks.New only; not kept, not for the on-demand sets
	v := &Verifier{cc: cc, keys: keys, cache: newTokenCache(cc.cache)}
	for _, src := range cc.jwksSource {
		cc.pools[src.Issuer].keys = keys.Set(src.Issuer)
	}
	if len(cc.onDemand) > 0 {
		v.client, v.ownClient = onDemandClient(cc.jwks)
	}
	for _, src := range cc.onDemand {
		o := newOnDemand(src, cc.jwks, v.client)
		cc.pools[src.Issuer].keys = o
		v.onDemand = append(v.onDemand, o)
	}
	return v, nil
}

// Keys returns the key cache of the pools' primary issuers, e.g. for its
// per-issuer Status (health checks, metrics and alerts). The issuers
// fetched on demand are not in it; see OnDemand.
func (v *Verifier) Keys() *jwks.Cache { return v.keys }

// OnDemand reports the issuers whose key sets are fetched on demand (see
// Pool), in configuration order: each pool's replica regions, then its
// updated issuer. None of them counts for Hydrate or Ready.
func (v *Verifier) OnDemand() []OnDemandStatus {
	out := make([]OnDemandStatus, len(v.onDemand))
	for i, o := range v.onDemand {
		out[i] = o.Status()
	}
	return out
}

// Issuers returns every accepted issuer in configuration order: per pool,
// its primary issuer, its replica regions' and its updated issuer.
func (v *Verifier) Issuers() []string { return slices.Clone(v.cc.issuers) }

// Hydrate fetches every pool's primary key set and waits for it; see
// jwks.Cache.Hydrate. The issuers fetched on demand are not fetched: an
// endpoint that a pool does not serve (the updated issuer of a pool on
// the original one answers 403) cannot fail it.
func (v *Verifier) Hydrate(ctx context.Context) error { return v.keys.Hydrate(ctx) }

// Ready reports whether every pool's primary keys are loaded. The issuers
// fetched on demand do not count.
func (v *Verifier) Ready() bool { return v.keys.Ready() }

// Close stops the key caches' background work, the on-demand ones'
// included; an on-demand issuer is not fetched after Close.
func (v *Verifier) Close() error {
	err := v.keys.Close()
	for _, o := range v.onDemand {
		o.close()
	}
	if v.ownClient {
		v.client.CloseIdleConnections()
	}
	return err
}

// Verify checks raw, a compact-serialized JWT, and returns its claims. The
// checks, in order:
//
//   - size at most MaxTokenBytes; exactly three base64url segments with no
//     padding or whitespace;
//   - header: JSON object with alg in Algorithms and a kid; crit refused;
//     jku, x5u, jwk and x5c ignored (keys come only from configuration);
//   - claims: exact JSON decoding (case-sensitive names, no duplicates,
//     typed values);
//   - iss is one of a configured pool's issuers (see Pool) — otherwise the
//     token is rejected before any network request;
//   - the signature, with the key named by kid of that issuer's own key
//     set (fetching the set once if the kid is new, subject to the
//     cooldown; the key set of an on-demand issuer is first fetched here);
//   - token_use is "access" or "id" and accepted by the pool;
//   - client_id (access) or aud (ID) is an accepted app client;
//   - exp is present and now < exp + leeway; nbf, when present, is at most
//     now + leeway; iat is present and at most now + leeway; sub is present;
//   - Denylist, when configured: a revoked token is ErrRevoked;
//   - Check, when configured.
//
// A token that passed every check is remembered in the verified-token cache
// (see CacheConfig); when it comes again, only the time claims, the key's
// currency, Denylist and Check are checked.
//
// The returned Token is the caller's own deep copy, whether or not it came
// from the cache (see Token); Check, too, runs on that copy, never on the
// cached one.
//
// Every error matches one sentinel of this package; ReasonOf names it. When
// ctx ends while Verify waits for keys (or in Check), the error wraps
// ErrCanceled (ReasonCanceled), whatever the key fetch did; a fetch that
// fails or times out on its own while ctx is live is ErrJWKSUnavailable.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Token, error) {
	t, _, err := v.verify(ctx, raw, nil)
	return t, err
}

func init() {
	tokenshare.Verify = func(v any, ctx context.Context, raw string) (any, bool, time.Duration, bool, error) {
		var sw tokenshare.Stopwatch
		t, shared, err := v.(*Verifier).verify(ctx, raw, &sw)
		took, timed := sw.Elapsed()
		return t, shared, took, timed, err
	}
	tokenshare.Clone = func(t any) any { return t.(*Token).clone() }
}

// verify is Verify. A non-nil sw is this module's read-only caller
// (tokenshare.Verify): a cache hit that runs no Check returns the cached
// token itself, shared true, which that caller takes without the copy,
// and sw is started at the first step that can take time.
func (v *Verifier) verify(ctx context.Context, raw string, sw *tokenshare.Stopwatch) (_ *Token, shared bool, _ error) {
	if raw == "" {
		return nil, false, ErrMissingToken
	}
	if len(raw) > v.cc.maxBytes {
		return nil, false, errorf("token of %d bytes, limit %d: %w", len(raw), v.cc.maxBytes, ErrMalformed)
	}
	if v.cache != nil {
		if e, ok := v.cache.get(raw); ok {
			if tok, shared, err, ok := v.fromCache(ctx, raw, e, sw); ok {
				return tok, shared, err
			}
		}
	}
	sw.Start()
	seg, err := split(raw)
	if err != nil {
		return nil, false, err
	}
	t := &Token{}
	if err := parseHeader(seg.header, t); err != nil {
		return nil, false, err
	}
	if !slices.Contains(v.cc.algs, t.Algorithm) {
		return nil, false, errorf("alg %q: %w", msg.Clip(t.Algorithm, 64), ErrUnsupportedAlg)
	}
	var rc rawClaims
	if err := parseClaims(seg.payload, t, &rc); err != nil {
		return nil, false, err
	}
	p := v.cc.pools[t.Issuer]
	if p == nil {
		return nil, false, errorf("iss %q: %w", msg.Clip(t.Issuer, 64), ErrWrongIssuer)
	}
	key, err := p.keys.Key(ctx, t.KeyID)
	if err != nil {
		return nil, false, keyError(ctx, err)
	}
	if err := key.Verify(t.Algorithm, seg.signingInput, seg.sig); err != nil {
		return nil, false, errorf("%w", err)
	}
	if err := v.checkClaims(p, t, &rc); err != nil {
		return nil, false, err
	}
	if err := v.checkRevoked(t); err != nil {
		return nil, false, err
	}
	// The cache stores a compact copy of t (see compact), which shares
	// nothing that can be written with t, and t goes to the Check hook and
	// the caller: nothing they change can reach a later request with the
	// same token. The copy is made before Check runs, so that it is the
	// token as verified.
	var ce *cacheEntry
	if v.cache != nil && v.cache.admit(raw, v.cc.now) {
		ce = compact(&cacheEntry{raw: raw, tok: t, key: key, p: p})
	}
	if err := v.runCheck(ctx, t); err != nil {
		return nil, false, err
	}
	if ce != nil {
		v.cache.put(ce, v.cc.now())
	}
	return t, false, nil
}

// fromCache answers for a cached token. ok is false when the entry cannot
// be used (its key is no longer the issuer's current one) and the token must
// be verified in full.
func (v *Verifier) fromCache(ctx context.Context, raw string, e *cacheEntry, sw *tokenshare.Stopwatch) (_ *Token, shared bool, _ error, ok bool) {
	var err error
	key := e.p.keys.FreshKey(e.tok.KeyID)
	if key == nil {
		// The key set is stale or lacks the kid: Key may wait.
		sw.Start()
		key, err = e.p.keys.Key(ctx, e.tok.KeyID)
	}
	if err != nil && ctx.Err() != nil {
		// The caller gave up waiting for a refresh: that says nothing
		// about the cached token, which stays.
		return nil, false, keyError(ctx, err), true
	}
	if err != nil || key != e.key {
		v.cache.remove(raw)
		return nil, false, nil, false
	}
	if err := v.checkTime(e.tok); err != nil {
		if errors.Is(err, ErrExpired) {
			v.cache.remove(raw)
		}
		return nil, false, err, true
	}
	// Before the copy, so that a revoked token costs no allocation. The
	// entry stays: it is still a genuine token, and the deny list is asked
	// again at its next use.
	if err := v.checkRevoked(e.tok); err != nil {
		return nil, false, err, true
	}
	if v.cc.check != nil {
		sw.Start() // Check may take time
	} else if sw != nil {
		return e.tok, true, nil, true
	}
	// Past this module's read-only code (sw), the cached token is never
	// handed out (see Verify): the caller, and Check, get their own copy.
	out := e.tok.clone()
	if err := v.runCheck(ctx, out); err != nil {
		return nil, false, err, true
	}
	return out, false, nil, true
}

// CacheStats reports the verified-token cache's counters (zero when the
// cache is disabled).
func (v *Verifier) CacheStats() CacheStats {
	if v.cache == nil {
		return CacheStats{}
	}
	return v.cache.stats()
}

// checkClaims checks token_use, the app client and the time claims.
func (v *Verifier) checkClaims(p *pool, t *Token, rc *rawClaims) error {
	switch rc.tokenUse {
	case "access":
		t.Use, t.ClientID, t.Username = AccessToken, rc.clientID, rc.username
		if !p.access {
			return errorf("access token, pool accepts id tokens: %w", ErrWrongTokenUse)
		}
		if rc.clientID == "" {
			return errorf("access token without client_id: %w", ErrWrongClient)
		}
	case "id":
		t.Use, t.ClientID, t.Username = IDToken, rc.aud, rc.cognitoUsername
		if !p.id {
			return errorf("id token, pool accepts access tokens: %w", ErrWrongTokenUse)
		}
		if rc.aud == "" {
			return errorf("id token without aud: %w", ErrWrongClient)
		}
	case "":
		return errorf("no token_use: %w", ErrWrongTokenUse)
	default:
		return errorf("token_use %q: %w", msg.Clip(rc.tokenUse, 64), ErrWrongTokenUse)
	}
	if p.clients != nil && !slices.Contains(p.clients, t.ClientID) {
		return errorf("client %q: %w", msg.Clip(t.ClientID, 64), ErrWrongClient)
	}
	if t.Subject == "" {
		return errorf("no sub: %w", ErrMalformed)
	}

	switch {
	case !rc.hasExp:
		return errorf("no exp: %w", ErrMalformed)
	case !rc.hasIat:
		return errorf("no iat: %w", ErrMalformed)
	}
	return v.checkTime(t)
}

// checkTime checks exp, nbf and iat against the clock, with the leeway.
func (v *Verifier) checkTime(t *Token) error {
	now := v.cc.now()
	lw := v.cc.leeway
	switch {
	case !now.Before(t.Expiry.Add(lw)):
		return errorf("expired at %s: %w", t.Expiry.UTC().Format("2006-01-02T15:04:05Z"), ErrExpired)
	case !t.NotBefore.IsZero() && t.NotBefore.After(now.Add(lw)):
		return errorf("not valid before %s: %w", t.NotBefore.UTC().Format("2006-01-02T15:04:05Z"), ErrNotYetValid)
	case t.IssuedAt.After(now.Add(lw)):
		return errorf("issued at %s: %w", t.IssuedAt.UTC().Format("2006-01-02T15:04:05Z"), ErrIssuedInFuture)
	}
	return nil
}

// checkRevoked asks the Denylist, when there is one, about t.
func (v *Verifier) checkRevoked(t *Token) error {
	if v.cc.denylist != nil && v.cc.denylist.Revoked(t, v.cc.now()) {
		return ErrRevoked
	}
	return nil
}

// runCheck runs the Check hook, when there is one.
func (v *Verifier) runCheck(ctx context.Context, t *Token) error {
	if v.cc.check != nil {
		if err := v.cc.check(ctx, t); err != nil {
			switch r := ReasonOf(err); {
			case (r == ReasonInternal || r == ReasonCanceled) && ctx.Err() != nil:
				return errorf("check: %w: %w", ErrCanceled, err)
			case r == ReasonCanceled:
				// A context error (or ErrCanceled) from the hook while the
				// request is live is the hook refusing the token, never a
				// cancellation that answers nothing. Its text is kept, not
				// its chain, which would still read as canceled.
				return errorf("check: %w: %v", ErrClaimDenied, err)
			case r == ReasonInternal:
				return errorf("check: %w: %w", ErrClaimDenied, err)
			}
			return err
		}
	}
	return nil
}

// keyError wraps an error of the key lookup: in ErrCanceled when the
// caller's context has ended (whatever the lookup said: the caller gave
// up, and must not be counted as a key endpoint failure), otherwise as it
// is (ErrUnknownKID, or ErrJWKSUnavailable for a fetch that failed or
// timed out on its own).
func keyError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errorf("%w: %w", ErrCanceled, err)
	}
	return errorf("%w", err)
}
