package revocation

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// gate is a verifier of a fake pool that asks a deny list read from a
// file, on one settable clock.
type gate struct {
	*clock
	pool *cognitotest.Pool
	v    *claims.Verifier
	list *List
	file string
}

// revoke writes entries as the file (replacing it) and reloads the list.
func (g *gate) revoke(t *testing.T, entries ...Entry) {
	t.Helper()
	var data []byte
	for _, e := range entries {
		data = append(data, e.String()+"\n"...)
	}
	tmp := g.file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, g.file); err != nil {
		t.Fatal(err)
	}
	if err := g.list.Reload(); err != nil {
		t.Fatal(err)
	}
}

func (g *gate) verify(raw string) error {
	_, err := g.v.Verify(context.Background(), raw)
	return err
}

func newGate(t *testing.T) *gate {
	t.Helper()
	g := &gate{clock: fakeclock.New(t0)}
	g.pool = cognitotest.New(t, cognitotest.Config{Now: g.Now})
	g.file = filepath.Join(t.TempDir(), "revoked.jsonl")
	if err := os.WriteFile(g.file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := New(Options{Issuers: []string{g.pool.Issuer()}, Now: g.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := list.Load(g.file); err != nil {
		t.Fatal(err)
	}
	g.list = list
	g.v, err = claims.New(claims.Config{
		Pools: []claims.Pool{{
			UserPoolID: g.pool.PoolID(), JWKSURL: g.pool.JWKSURL(), AllowHTTP: true,
			ClientIDs: []string{g.pool.ClientID()}, TokenUse: claims.AnyToken,
		}},
		Now:      g.Now,
		Denylist: list,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.v.Close() })
	if err := g.v.Hydrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return g
}

// wantRevoked fails unless err is the verifier's revoked refusal.
func wantRevoked(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, claims.ErrRevoked) || claims.ReasonOf(err) != claims.ReasonRevoked || claims.ReasonOf(err).Status() != http.StatusUnauthorized {
		t.Errorf("%s: %v (reason %s), want revoked, 401", what, err, claims.ReasonOf(err))
	}
}

// TestRevokeTokenEndsTheSignIn: RevokeToken on a refresh token ends every
// access and ID token of that sign-in — cached ones, and ones refreshed
// later — through origin_jti; another sign-in of the same user goes on.
func TestRevokeTokenEndsTheSignIn(t *testing.T) {
	g := newGate(t)
	signIn := cognitotest.WithClaim("origin_jti", "9b2e4d6f-8a0c-4e1f-9a2b-3c4d5e6f7a80")
	access, id := g.pool.AccessToken(signIn), g.pool.IDToken(signIn)
	other := g.pool.AccessToken() // the user's other session
	for _, raw := range []string{access, id, other} {
		if err := g.verify(raw); err != nil {
			t.Fatal(err)
		}
	}
	hits := g.v.CacheStats().Hits
	g.Advance(10 * time.Minute)
	g.revoke(t, Entry{Kind: OriginJTI, Value: "9b2e4d6f-8a0c-4e1f-9a2b-3c4d5e6f7a80", Expires: ExpiresFor(g.Now())})
	wantRevoked(t, "the cached access token", g.verify(access))
	wantRevoked(t, "the cached ID token", g.verify(id))
	if g.v.CacheStats().Hits != hits+2 {
		t.Errorf("the refusals were not cache hits")
	}
	wantRevoked(t, "a token refreshed from the revoked sign-in", g.verify(g.pool.AccessToken(signIn)))
	if err := g.verify(other); err != nil {
		t.Errorf("the other sign-in: %v", err)
	}
}

// TestGlobalSignOut: a sub entry with the sign-out's moment as its
// watermark refuses every token of a sign-in before it, even one
// refreshed after it, and none of a sign-in after it.
func TestGlobalSignOut(t *testing.T) {
	g := newGate(t)
	user := cognitotest.WithSubject("7d1e5b8a-0c52-4a8e-9d3f-1f4f2b9c6e01")
	before := g.pool.AccessToken(user)
	if err := g.verify(before); err != nil {
		t.Fatal(err)
	}
	g.Advance(20 * time.Minute)
	refreshed := g.pool.AccessToken(user, cognitotest.WithClaim("auth_time", t0.Unix()))
	signOut := g.Now()
	g.revoke(t, Entry{Kind: Subject, Value: "7d1e5b8a-0c52-4a8e-9d3f-1f4f2b9c6e01",
		IssuedBefore: signOut.Add(time.Second), Expires: ExpiresFor(signOut)})
	wantRevoked(t, "a token of the sign-in before the sign-out", g.verify(before))
	g.Advance(5 * time.Second)
	wantRevoked(t, "a token refreshed in the second of the sign-out", g.verify(refreshed))
	wantRevoked(t, "a token refreshed after the sign-out from a sign-in before it", g.verify(g.pool.AccessToken(user, cognitotest.WithClaim("auth_time", t0.Unix()))))
	if err := g.verify(g.pool.AccessToken(user)); err != nil {
		t.Errorf("a new sign-in after the sign-out: %v", err)
	}
	if err := g.verify(g.pool.AccessToken()); err != nil {
		t.Errorf("another user: %v", err)
	}
	// Once every token of before the sign-out has expired, the entry goes.
	g.Advance(EntryLifetime)
	if n := g.list.Prune(); n != 1 {
		t.Errorf("Prune dropped %d entries after the entry's expiry, want 1", n)
	}
}

// TestDisabledClient: a client entry without watermark refuses the app
// client's access tokens (client_id) and ID tokens (aud).
func TestDisabledClient(t *testing.T) {
	g := newGate(t)
	g.revoke(t, Entry{Kind: ClientID, Value: g.pool.ClientID(), Expires: ExpiresFor(g.Now())})
	wantRevoked(t, "access token", g.verify(g.pool.AccessToken()))
	wantRevoked(t, "ID token", g.verify(g.pool.IDToken()))
}
