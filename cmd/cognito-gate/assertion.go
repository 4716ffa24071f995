package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// assertionKeys is an instance's assertion key set, which outlives each
// configuration: a reload gives it the keys of the new key_files (Set),
// and a key that stopped signing stays published for retain whatever
// the new files say, so that the assertions it signed still verify. It
// is made when a configuration first turns assertions on. Only build
// (at start and on each reload, one at a time) calls attach.
type assertionKeys struct {
	keys      *assertion.KeySet // nil until then
	retain    time.Duration     // keys' retain, as configured (0: the default)
	generated *assertion.Key    // generate_key's key, made once per process
	// failures counts the allowed requests refused because their
	// assertion could not be signed.
	failures prometheus.Counter
	// now is the key set's and the signers' clock; nil means time.Now.
	// Tests set it before the first configuration with assertions.
	now func() time.Time
}

func newAssertionKeys() *assertionKeys {
	return &assertionKeys{failures: prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: middleware.Namespace, Subsystem: "assertion", Name: "sign_errors_total",
		Help: "Allowed requests refused (500, reason internal_error) because their assertion could not be signed: over assertion.max_bytes, or a token or request an assertion cannot carry.",
	})}
}

func (k *assertionKeys) collectors() []prometheus.Collector {
	return []prometheus.Collector{k.failures}
}

// gateAssertion is what a gate signs with: the generation's signer over
// the instance's key set.
type gateAssertion struct {
	header   string
	signer   *assertion.Signer
	keys     *assertion.KeySet
	jwksPath string
	failures prometheus.Counter
}

// attach gives g the signer of its configuration's assertion section (nil
// without one) and makes that section's keys the key set's. It changes
// nothing when it fails; build calls it last, so that a build that fails
// changes no key either. A changed retain needs a restart: the key set
// keeps the retain it was made with.
func (k *assertionKeys) attach(g *gate) error {
	s := g.cfg.assertion
	if s == nil {
		return nil
	}
	keys := s.keys
	if s.generate {
		if k.generated == nil {
			key, err := assertion.GenerateKey()
			if err != nil {
				return err
			}
			k.generated = key
		}
		keys = []*assertion.Key{k.generated}
	}
	if len(keys) == 0 {
		return errors.New("assertion: no signing key")
	}
	ks := k.keys
	if ks == nil {
		var err error
		if ks, err = assertion.NewKeySet(assertion.KeySetConfig{Retain: s.retain, Now: k.now}, keys[0], keys[1:]...); err != nil {
			return err
		}
	} else if was, now := retainOf(k.retain), retainOf(s.retain); was != now {
		return fmt.Errorf("assertion.retain: %s -> %s: %w", was, now, errRestart)
	}
	sc := s.signer
	sc.Keys, sc.Now = ks, k.now
	signer, err := assertion.NewSigner(sc)
	if err != nil {
		return err
	}
	if ks == k.keys {
		if err := ks.Set(keys[0], keys[1:]...); err != nil {
			return err
		}
	}
	k.keys, k.retain = ks, s.retain
	g.assert = &gateAssertion{header: s.header, signer: signer, keys: ks, jwksPath: s.jwksPath, failures: k.failures}
	published := []string{}
	for _, key := range ks.Keys() {
		published = append(published, key.ID())
	}
	g.logger.Info("assertion keys", zap.String("signing_kid", ks.Signing().ID()), zap.Strings("published", published), zap.Bool("generated", s.generate))
	return nil
}

// retainOf is the retain a key set has for the configured d.
func retainOf(d time.Duration) time.Duration {
	if d == 0 {
		return assertion.DefaultRetain
	}
	return d
}

// assertionKey is the context key of the assertion signed for a request
// that serve forwards (withAssertion), which rewrite sets.
type assertionKey struct{}

// withAssertion signs the assertion of each allowed request that came with
// a verified token and hands it to rewrite in the request's context; a
// request whose assertion cannot be made is refused (500), never forwarded
// without it. An anonymous request gets none (rewrite has removed the
// client's).
func (g *gate) withAssertion(next http.Handler) http.Handler {
	if g.cfg.assertion == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := verifiedToken(r.Context())
		raw, err := g.assertionFor(r, tok)
		switch {
		case err != nil:
			g.assertionFailed(w, r, err)
		case raw == "":
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), assertionKey{}, raw)))
		}
	})
}

// signedAssertion returns the assertion withAssertion signed for the
// request of ctx, "" for none.
func signedAssertion(ctx context.Context) string {
	raw, _ := ctx.Value(assertionKey{}).(string)
	return raw
}

// assertionFor returns the assertion of tok for the request r the policy
// allowed (the client's in serve, the original one in forward-auth): ""
// when assertions are off or there is no token (an anonymous route).
func (g *gate) assertionFor(r *http.Request, tok *claims.Token) (string, error) {
	if g.cfg.assertion == nil || tok == nil {
		return "", nil
	}
	if g.assert == nil {
		// A gate built without the instance's key set (never for serve
		// and forward-auth): refuse rather than forward without one.
		return "", errors.New("assertion: no key set")
	}
	return g.assert.signer.Sign(tok, assertion.RequestOf(r))
}

// setAssertion sets h's assertion header to raw, unless raw is "". Every
// client-sent spelling of it is gone already (it is an identity header
// name: see validator.assertion).
func (g *gate) setAssertion(h http.Header, raw string) {
	if raw != "" {
		h.Set(g.assert.header, raw)
	}
}

// assertionFailed answers an allowed request whose assertion could not be
// signed: 500 (reason internal_error), counted and logged. The middleware
// has recorded the request as allowed already, as it has a request whose
// upstream then fails. The log names the request, never the token; the
// error's text holds no part of it (see assertion.Signer.Sign), but a
// path it quotes is clipped.
func (g *gate) assertionFailed(w http.ResponseWriter, r *http.Request, err error) {
	if g.assert != nil {
		g.assert.failures.Inc()
	}
	g.logger.Error("assertion not signed; request refused", zap.String("reason", string(claims.ReasonInternal)),
		zap.String("method", msg.Clip(r.Method, 32)), zap.String("path", msg.Clip(r.URL.Path, maxLoggedPath)),
		zap.String("error", msg.Clip(err.Error(), 2*maxLoggedPath)))
	deny(w, r, g.mw.Realm(), &middleware.Error{Status: http.StatusInternalServerError, Reason: claims.ReasonInternal, TokenSent: true, Err: err})
}

// assertionRoutes serves the key set on the admin listener at
// /.well-known/jwks.json (GET and HEAD), when assertions are on.
func (g *gate) assertionRoutes(mux *http.ServeMux) {
	if g.assert != nil {
		mux.Handle("/.well-known/jwks.json", g.assert.keys)
	}
}

// serveJWKS answers a request for assertion.jwks_path on serve's listener
// with the key set (GET and HEAD; 405 for other methods, at once, as a
// denial is answered), without a token, recorded as skipped, and reports
// whether it did. The path is matched exactly, as it arrived.
func (g *gate) serveJWKS(w http.ResponseWriter, r *http.Request) bool {
	if g.assert == nil || g.assert.jwksPath == "" || r.URL.Path != g.assert.jwksPath || r.URL.RawPath != "" {
		return false
	}
	g.mw.Skip(r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead && middleware.CloseIfBodyUnread(w.Header(), r) {
		defer middleware.BoundUnreadBody(w)
	}
	g.assert.keys.ServeHTTP(w, r)
	return true
}
