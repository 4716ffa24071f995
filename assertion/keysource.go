package assertion

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jose"
	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// keySource finds the gate's public key of a kid.
type keySource interface {
	key(ctx context.Context, kid string) (*ecdsa.PublicKey, error)
	hydrate(ctx context.Context) error
	close()
}

// staticKeys is a key set given as VerifierConfig.JWKS.
type staticKeys map[string]*ecdsa.PublicKey

func (s staticKeys) key(_ context.Context, kid string) (*ecdsa.PublicKey, error) {
	if pub, ok := s[kid]; ok {
		return pub, nil
	}
	return nil, errorf("kid %s is not in the key set: %w", quote(kid), claims.ErrUnknownKID)
}

func (staticKeys) hydrate(context.Context) error { return nil }
func (staticKeys) close()                        {}

// parseJWKS reads a JSON Web Key Set of the gate's keys: a JSON object
// (strict, as internal/jsonstrict reads tokens) with a "keys" array of at
// most jwks.MaxKeys entries. Each entry must be an EC public key on P-256
// (jwx validates the point, internal/jose.ParseJWK), with use "sig" or
// absent, alg "ES256" or absent and a kid of 1 to 256 bytes that no other
// entry has; any other entry is skipped and reported (two with one kid:
// both). A document with no usable entry is an error wrapping
// jwks.ErrNoUsableKeys, one that is not such an object jwks.ErrMalformed.
func parseJWKS(doc []byte) (map[string]*ecdsa.PublicKey, []jwks.SkippedKey, error) {
	var entries [][]byte
	err := jsonstrict.ObjectEach(doc, func(name, v []byte, k jsonstrict.Kind) error {
		if string(name) != "keys" {
			return nil
		}
		if k != jsonstrict.Array {
			return errors.New(`"keys" is not an array`)
		}
		entries = [][]byte{} // present, maybe empty
		return jsonstrict.ArrayEach(v, func(e []byte, _ jsonstrict.Kind) error {
			entries = append(entries, e)
			return nil
		})
	})
	switch {
	case err != nil:
		return nil, nil, errorf("key set: %v: %w", err, jwks.ErrMalformed)
	case entries == nil:
		return nil, nil, errorf("key set: no \"keys\" array: %w", jwks.ErrMalformed)
	}
	keys := map[string]*ecdsa.PublicKey{}
	first := map[string]int{}
	var skipped []jwks.SkippedKey
	for i, e := range entries {
		if i >= jwks.MaxKeys {
			skipped = append(skipped, jwks.SkippedKey{Index: i, Reason: jwks.SkipTooManyKeys, Detail: fmt.Sprintf("more than %d keys", jwks.MaxKeys)})
			continue
		}
		kid, pub, reason, detail := parseEntry(e)
		if reason == "" {
			if j, dup := first[kid]; dup {
				delete(keys, kid)
				reason, detail = jwks.SkipDuplicateKID, fmt.Sprintf("entry %d has the same kid; neither is used", j)
			} else {
				first[kid] = i
				keys[kid] = pub
				continue
			}
		}
		skipped = append(skipped, jwks.SkippedKey{Index: i, KeyID: msg.Clip(kid, maxKIDBytes), Reason: reason, Detail: detail})
	}
	if len(keys) == 0 {
		return nil, skipped, errorf("key set: %d entries, none usable: %w", len(entries), jwks.ErrNoUsableKeys)
	}
	return keys, skipped, nil
}

// parseEntry returns one key-set entry's kid and key, or the reason it is
// skipped (a jwks.Skip* code and a detail).
func parseEntry(e []byte) (kid string, pub *ecdsa.PublicKey, reason, detail string) {
	jk, err := jose.ParseJWK(e)
	switch {
	case err != nil:
		return jk.KeyID, nil, jwks.SkipInvalid, "not a valid JSON Web Key"
	case jk.Private:
		return jk.KeyID, nil, jwks.SkipPrivate, "carries private key material"
	case jk.EC == nil || jk.EC.Curve != elliptic.P256():
		return jk.KeyID, nil, jwks.SkipInvalid, fmt.Sprintf("kty %s, not an EC P-256 key", quote(jk.KeyType))
	case jk.Use != "" && jk.Use != "sig":
		return jk.KeyID, nil, jwks.SkipUse, fmt.Sprintf("use is %s, not \"sig\"", quote(jk.Use))
	case jk.NotForVerify:
		return jk.KeyID, nil, jwks.SkipUse, "key_ops does not hold \"verify\""
	case jk.Alg != "" && jk.Alg != "ES256":
		return jk.KeyID, nil, jwks.SkipAlg, fmt.Sprintf("alg is %s, not ES256", quote(jk.Alg))
	case jk.KeyID == "" || len(jk.KeyID) > maxKIDBytes:
		return jk.KeyID, nil, jwks.SkipNoKID, fmt.Sprintf("kid of %d bytes, want 1 to %d", len(jk.KeyID), maxKIDBytes)
	}
	return jk.KeyID, jk.EC, "", ""
}

// remoteKeys is the gate's key set fetched from a URL. Its rules are
// package jwks' for one key set:
//
//   - one fetch at a time, which every caller that needs it waits for (a
//     caller that gives up does not cancel it; Close does);
//   - never two fetch attempts within Cooldown, the wait doubling after
//     each consecutive failure up to MaxBackoff: a kid the set does not
//     hold fails at once with claims.ErrUnknownKID inside the wait, so a
//     flood of made-up kids costs at most one fetch per cooldown;
//   - a set older than RefreshInterval is fetched again, in the
//     background, when next used, and served meanwhile; a set fetched
//     more than MaxStaleness ago is not used (claims.ErrJWKSUnavailable)
//     until a fetch succeeds;
//   - a fetched set replaces the one held: a key the gate withdrew stops
//     verifying with the first fetch after its withdrawal.
type remoteKeys struct {
	url    string
	issuer string // the gate's, for FetchEvent.Issuer
	cfg    jwks.Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	obsMu  sync.Mutex // one Observer call at a time

	snap atomic.Pointer[keySnap]

	mu          sync.Mutex // guards what follows
	closed      bool
	flight      chan struct{} // closed when the fetch in progress ends; nil when none is
	lastAttempt time.Time
	failures    int
	lastErr     error
}

// keySnap is one fetched key set.
type keySnap struct {
	keys      map[string]*ecdsa.PublicKey
	fetchedAt time.Time
}

func newRemoteKeys(url, issuer string, cfg jwks.Config) *remoteKeys {
	ctx, cancel := context.WithCancel(context.Background())
	return &remoteKeys{url: url, issuer: issuer, cfg: cfg, ctx: ctx, cancel: cancel}
}

// usable returns the set held, when it is younger than MaxStaleness.
func (k *remoteKeys) usable(now time.Time) *keySnap {
	if s := k.snap.Load(); s != nil && now.Sub(s.fetchedAt) < k.cfg.MaxStaleness {
		return s
	}
	return nil
}

func (k *remoteKeys) key(ctx context.Context, kid string) (*ecdsa.PublicKey, error) {
	now := k.cfg.Now()
	s := k.usable(now)
	if s != nil {
		if pub, ok := s.keys[kid]; ok {
			if now.Sub(s.fetchedAt) >= k.cfg.RefreshInterval {
				k.start(jwks.TriggerInterval)
			}
			return pub, nil
		}
	}
	trigger := jwks.TriggerUnknownKID
	switch {
	case k.snap.Load() == nil:
		trigger = jwks.TriggerInitial
	case s == nil:
		trigger = jwks.TriggerStale
	}
	if done := k.start(trigger); done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return nil, errorf("waiting for the key set: %w: %w", claims.ErrCanceled, ctx.Err())
		}
	}
	if s = k.usable(k.cfg.Now()); s == nil {
		return nil, k.unavailable()
	}
	if pub, ok := s.keys[kid]; ok {
		return pub, nil
	}
	return nil, errorf("kid %s is not in the key set: %w", quote(kid), claims.ErrUnknownKID)
}

// unavailable returns the error of a key set that cannot be used.
func (k *remoteKeys) unavailable() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lastErr != nil {
		return errorf("key set %s: %w: %w", k.url, claims.ErrJWKSUnavailable, k.lastErr)
	}
	return errorf("key set %s: %w", k.url, claims.ErrJWKSUnavailable)
}

func (k *remoteKeys) hydrate(ctx context.Context) error {
	if k.usable(k.cfg.Now()) != nil {
		return nil
	}
	if done := k.start(jwks.TriggerInitial); done != nil {
		select {
		case <-done:
		case <-ctx.Done():
			return errorf("waiting for the key set: %w: %w", claims.ErrCanceled, ctx.Err())
		}
	}
	if k.usable(k.cfg.Now()) == nil {
		return k.unavailable()
	}
	return nil
}

// start returns the channel of the fetch in progress, starting one when
// none is and the wait after the last attempt (Cooldown, doubled per
// consecutive failure up to MaxBackoff) is over; nil when none may start.
func (k *remoteKeys) start(trigger jwks.Trigger) <-chan struct{} {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.flight != nil || k.closed {
		return k.flight
	}
	now := k.cfg.Now()
	wait := k.cfg.Cooldown
	for i := 0; i < k.failures && wait < k.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	if !k.lastAttempt.IsZero() && now.Before(k.lastAttempt.Add(min(wait, k.cfg.MaxBackoff))) {
		return nil
	}
	k.lastAttempt = now
	done := make(chan struct{})
	k.flight = done
	k.wg.Add(1)
	go k.run(done, trigger, now)
	return done
}

// run fetches the key set, installs it, tells the Observer and releases
// the callers waiting for it, in that order.
func (k *remoteKeys) run(done chan struct{}, trigger jwks.Trigger, start time.Time) {
	defer k.wg.Done()
	defer close(done)
	keys, skipped, err := k.fetch()
	prev := k.snap.Load()
	k.mu.Lock()
	if err == nil {
		k.snap.Store(&keySnap{keys: keys, fetchedAt: k.cfg.Now()})
		k.failures, k.lastErr = 0, nil
	} else {
		k.failures++
		k.lastErr = err
	}
	k.flight = nil
	k.mu.Unlock()
	if k.cfg.Observer == nil {
		return
	}
	ev := jwks.FetchEvent{Issuer: k.issuer, URL: k.url, Trigger: trigger, Start: start, Duration: k.cfg.Now().Sub(start), Err: err, Skipped: skipped}
	if cur := k.snap.Load(); cur != nil {
		ev.Keys, ev.LastSuccess = len(cur.keys), cur.fetchedAt
		if err == nil && prev != nil {
			ev.Added, ev.Removed = diff(prev.keys, cur.keys), diff(cur.keys, prev.keys)
		}
	}
	k.obsMu.Lock()
	defer k.obsMu.Unlock()
	k.cfg.Observer.ObserveFetch(ev)
}

// diff returns the kids of b that a lacks, sorted.
func diff(a, b map[string]*ecdsa.PublicKey) []string {
	var out []string
	for kid := range maps.Keys(b) {
		if _, ok := a[kid]; !ok {
			out = append(out, kid)
		}
	}
	slices.Sort(out)
	return out
}

// fetch downloads and parses the key set, within FetchTimeout (and until
// Close).
func (k *remoteKeys) fetch() (map[string]*ecdsa.PublicKey, []jwks.SkippedKey, error) {
	ctx, cancel := context.WithTimeout(k.ctx, k.cfg.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, nil, errorf("get %s: %w: %w", k.url, jwks.ErrFetch, err)
	}
	req.Header.Set("Accept", JWKSContentType+", application/json")
	req.Header.Set("User-Agent", "cognito-gate")
	resp, err := k.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, errorf("get %s: %w: %w", k.url, jwks.ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.CopyN(io.Discard, resp.Body, 4096) // so that the connection can be reused
		return nil, nil, errorf("get %s: status %d: %w", k.url, resp.StatusCode, jwks.ErrStatus)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, k.cfg.MaxResponseBytes+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, nil, errorf("get %s: read body: %w: %w", k.url, jwks.ErrFetch, ctx.Err())
	case err != nil:
		return nil, nil, errorf("get %s: read body: %w: %w", k.url, jwks.ErrFetch, err)
	case int64(len(body)) > k.cfg.MaxResponseBytes:
		return nil, nil, errorf("get %s: body over %d bytes: %w", k.url, k.cfg.MaxResponseBytes, jwks.ErrTooLarge)
	}
	keys, skipped, err := parseJWKS(body)
	if err != nil {
		return nil, skipped, errorf("get %s: %w", k.url, err)
	}
	return keys, skipped, nil
}

func (k *remoteKeys) close() {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	k.cancel()
	k.wg.Wait()
}
