package assertion

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRetain is how long a key that stopped signing stays published
// when KeySetConfig.Retain is zero: the longest lifetime an assertion can
// have (MaxLifetime) plus the largest leeway a Verifier allows
// (MaxLeeway), so that every assertion it signed has expired for every
// upstream before its key is withdrawn.
const DefaultRetain = MaxLifetime + MaxLeeway

// KeySetConfig configures a KeySet. The zero value is ready to use.
type KeySetConfig struct {
	// Retain is how long a key that stopped signing (replaced as the
	// signing key by Set) stays published, whether or not the new
	// configuration still lists it. Zero means DefaultRetain (90 s). It
	// must cover the Signer's Lifetime plus the upstreams' leeway:
	// NewSigner refuses a Lifetime plus DefaultLeeway longer than it.
	Retain time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// KeySet holds the gate's keys: the one that signs, and every key it
// publishes in its JSON Web Key Set (ServeHTTP, JWKS). It is safe for
// concurrent use; Set replaces its keys atomically while Signers sign with
// it.
//
// A key is published from the moment Set (or NewKeySet) lists it, and
// until Set lists it no more — except a key that signed: once it stops
// signing it stays published for Retain more, listed or not, so that the
// assertions it signed last still verify. A fleet of gates rotates its
// key in three steps, each rolled out to every replica before the next
// begins (key_files lists the signing key first, then the keys only
// published):
//
//  1. [old, new]: every replica publishes new; old still signs. Upstreams
//     configured with a static key set (VerifierConfig.JWKS) get the new
//     document now. Then wait the upstreams' refresh interval
//     (VerifierConfig.Keys.RefreshInterval, 5 min by default) plus a
//     minute (the key set is served cacheable for 60 s) after the last
//     replica took the change, so that every upstream in use holds new.
//  2. [new, old]: new signs; old stays published.
//  3. [new]: once Retain (90 s by default) has passed since the last
//     replica took step 2, old is withdrawn: no assertion it signed is
//     still valid anywhere.
//
// Why each wait: an upstream that meets an unknown kid fetches the key
// set at once, but at most once per cooldown (10 s by default), and its
// fetch may reach a replica that does not publish the new key yet — so
// skipping step 1's wait can refuse new assertions (unknown_kid) for up
// to a cooldown; skipping step 3's refuses assertions still in flight.
// One replica can go straight from [old] to [new]: Set keeps old
// published for Retain, and the upstream's fetch on the new kid reaches
// the one replica there is. The new key of step 1 may be a PUBLIC KEY
// file, so that its private half reaches the replicas only with step 2.
//
// A compromised key is withdrawn by restarting every replica without it
// (a restarted replica publishes only what it loads; Set would keep a
// key that signed for Retain). Upstreams stop accepting it at their next
// key set fetch, at most their refresh interval later, or at once with a
// static key set replaced.
type KeySet struct {
	retain time.Duration
	now    func() time.Time
	mu     sync.Mutex // serialises Set
	state  atomic.Pointer[keyState]
}

// keyState is one immutable configuration of a KeySet.
type keyState struct {
	signing *Key
	entries []keyEntry // the signing key first, then the others listed, then retained ones
}

// keyEntry is one key a KeySet publishes, or published.
type keyEntry struct {
	key    *Key
	listed bool      // named by the latest Set
	until  time.Time // for a key that stopped signing: published until then
}

// NewKeySet returns a KeySet whose signing key is signing and which also
// publishes others. See Set for what it refuses.
func NewKeySet(cfg KeySetConfig, signing *Key, others ...*Key) (*KeySet, error) {
	s := &KeySet{retain: cfg.Retain, now: cfg.Now}
	if s.retain == 0 {
		s.retain = DefaultRetain
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.retain < 0 {
		return nil, configError("Retain", "%s is negative", cfg.Retain)
	}
	if err := s.Set(signing, others...); err != nil {
		return nil, err
	}
	return s, nil
}

// Set makes signing the signing key and publishes others besides, from
// now on. The key that signed until now, if it is another, stays
// published for Retain (see KeySet); so does every key that stopped
// signing less than Retain ago. Keys that never signed here and are not
// listed any more are withdrawn at once.
//
// A signing key without its private half, a nil key, or two keys with one
// kid (the same key twice) is a *ConfigError, and nothing changes.
func (s *KeySet) Set(signing *Key, others ...*Key) error {
	var p problems
	switch {
	case signing == nil:
		p.add("Key", "no signing key")
	case !signing.CanSign():
		p.add("Key", "signing key %s has no private key (a PUBLIC KEY can only be published)", signing.ID())
	}
	seen := map[string]bool{}
	if signing != nil {
		seen[signing.ID()] = true
	}
	for i, k := range others {
		switch {
		case k == nil:
			p.add("Key", "key %d is nil", i+1)
		case seen[k.ID()]:
			p.add("Key", "key %d, %s, is listed twice", i+1, k.ID())
		default:
			seen[k.ID()] = true
		}
	}
	if err := p.err(); err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	old := s.state.Load()
	until := map[string]time.Time{} // keys that stopped signing, still covered
	if old != nil {
		for _, e := range old.entries {
			if e.until.After(now) {
				until[e.key.ID()] = e.until
			}
		}
		if old.signing.ID() != signing.ID() {
			until[old.signing.ID()] = now.Add(s.retain)
		}
	}
	next := &keyState{signing: signing, entries: []keyEntry{{key: signing, listed: true}}}
	for _, k := range others {
		next.entries = append(next.entries, keyEntry{key: k, listed: true, until: until[k.ID()]})
	}
	if old != nil {
		for _, e := range old.entries {
			if t, ok := until[e.key.ID()]; ok && !seen[e.key.ID()] {
				next.entries = append(next.entries, keyEntry{key: e.key, until: t})
			}
		}
	}
	s.state.Store(next)
	return nil
}

// Signing returns the key that signs now.
func (s *KeySet) Signing() *Key { return s.state.Load().signing }

// Keys returns the keys published now, the signing key first.
func (s *KeySet) Keys() []*Key {
	now := s.now()
	var out []*Key
	for _, e := range s.state.Load().entries {
		if e.listed || e.until.After(now) {
			out = append(out, e.key)
		}
	}
	return out
}

// JWKS returns the JSON Web Key Set document of the keys published now:
// {"keys":[...]}, each key as Key.JWK writes it, the signing key first.
func (s *KeySet) JWKS() []byte {
	var b bytes.Buffer
	b.WriteString(`{"keys":[`)
	for i, k := range s.Keys() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(k.jwk)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// JWKSContentType is the media type KeySet.ServeHTTP answers with (RFC
// 7517 section 8.5).
const JWKSContentType = "application/jwk-set+json"

// ServeHTTP answers GET and HEAD with the key set (JWKS), as
// application/jwk-set+json, cacheable for 60 s; any other method with 405.
// Mount it where upstreams fetch the gate's keys, e.g. at
// /.well-known/jwks.json of the admin listener. The document holds public
// keys only.
func (s *KeySet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	doc := s.JWKS()
	h := w.Header()
	h.Set("Content-Type", JWKSContentType)
	h.Set("Content-Length", strconv.Itoa(len(doc)))
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(doc)
}
