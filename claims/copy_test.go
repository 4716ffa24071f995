package claims_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// richToken mints an access token with every slice of a Token filled.
func richToken(p *cognitotest.Pool, sub string) string {
	return p.AccessToken(
		cognitotest.WithSubject(sub),
		cognitotest.WithGroups("readers", "writers"),
		cognitotest.WithScopes("orders/read", "orders/write"),
		cognitotest.WithClaim("cognito:roles", []string{"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"}),
		cognitotest.WithClaim("identities", []map[string]any{{"userId": "1", "providerName": "Google", "providerType": "Google", "primary": "true", "dateCreated": "1700000000000"}}),
	)
}

// deepCopy copies tok without the package's help, for comparisons.
func deepCopy(tok *claims.Token) *claims.Token {
	c := *tok
	c.Groups, c.Scopes, c.Roles, c.Identities = slices.Clone(tok.Groups), slices.Clone(tok.Scopes), slices.Clone(tok.Roles), slices.Clone(tok.Identities)
	return &c
}

// TestVerifyReturnsCallersOwnToken guards finding 14: the verified-token
// cache handed every request the same *Token, so a handler that changed
// it (tok.Groups[0] = "admin") changed the authorization of every later
// request with the same token. Whatever the first caller (a cache miss
// whose token is then cached) or a later one (a hit) does to its token,
// the next caller sees the token as signed.
func TestVerifyReturnsCallersOwnToken(t *testing.T) {
	f := newFixture(t, nil)
	far := t0.Add(100 * 365 * 24 * time.Hour)
	tests := []struct {
		name   string
		mutate func(*claims.Token)
	}{
		{"group replaced", func(t *claims.Token) { t.Groups[0] = "admin" }},
		{"group appended", func(t *claims.Token) { t.Groups = append(t.Groups, "admin") }},
		{"group appended over a resliced tail", func(t *claims.Token) { t.Groups = append(t.Groups[:1], "admin") }},
		{"groups emptied", func(t *claims.Token) { t.Groups = t.Groups[:0] }},
		{"groups set", func(t *claims.Token) { t.Groups = []string{"admin"} }},
		{"scope replaced", func(t *claims.Token) { t.Scopes[1] = "admin" }},
		{"scope appended", func(t *claims.Token) { t.Scopes = append(t.Scopes, "admin") }},
		{"role replaced", func(t *claims.Token) { t.Roles[0] = "arn:aws:iam::123456789012:role/admin" }},
		{"role appended", func(t *claims.Token) { t.Roles = append(t.Roles, "arn:aws:iam::123456789012:role/admin") }},
		{"identity changed", func(t *claims.Token) { t.Identities[0].ProviderName, t.Identities[0].Primary = "Evil", false }},
		{"identity appended", func(t *claims.Token) { t.Identities = append(t.Identities, claims.Identity{UserID: "2"}) }},
		{"identity fields", func(t *claims.Token) {
			t.Use, t.Issuer, t.Subject, t.Username, t.ClientID = claims.IDToken, "https://evil", "root", "root", "other"
			t.PreferredRole, t.Email, t.EmailVerified, t.Version = "admin", "root@example.com", true, 9
			t.JTI, t.OriginJTI, t.EventID = "j", "o", "e"
		}},
		{"expiry extended", func(t *claims.Token) { t.Expiry = far }},
		{"other times", func(t *claims.Token) {
			t.IssuedAt, t.AuthTime, t.NotBefore = t0.Add(-time.Hour), t0.Add(-time.Hour), t0.Add(-time.Hour)
		}},
		{"header fields", func(t *claims.Token) { t.KeyID, t.Algorithm = "k", "none" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := richToken(f.pool, "sub-"+tt.name)
			hits := f.v.CacheStats().Hits
			first, err := f.v.Verify(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			want := deepCopy(first)
			tt.mutate(first) // the token that was just cached
			for i := range 2 {
				got, err := f.v.Verify(context.Background(), raw)
				if err != nil {
					t.Fatalf("call %d: %v", i+2, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("call %d sees\n%+v\nwant\n%+v", i+2, got, want)
				}
				tt.mutate(got) // a token from a cache hit
			}
			if got := f.v.CacheStats().Hits - hits; got != 2 {
				t.Errorf("cache hits = %d, want 2 (the copies must come from the cache)", got)
			}
		})
	}
}

// TestTokenSlicesDoNotShareCapacity: the copies' slices share one backing
// array, so each must have no spare capacity, or an append to Groups would
// write into Scopes.
func TestTokenSlicesDoNotShareCapacity(t *testing.T) {
	f := newFixture(t, nil)
	raw := richToken(f.pool, "sub-capacity")
	for _, call := range []string{"miss", "hit"} {
		tok, err := f.v.Verify(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string][]string{"Groups": tok.Groups, "Scopes": tok.Scopes, "Roles": tok.Roles} {
			if len(s) == 0 || cap(s) != len(s) {
				t.Errorf("%s: %s has len %d, cap %d", call, name, len(s), cap(s))
			}
		}
		scopes, roles := slices.Clone(tok.Scopes), slices.Clone(tok.Roles)
		_ = append(tok.Groups, "admin")
		_ = append(tok.Scopes, "admin")
		if !slices.Equal(tok.Scopes, scopes) || !slices.Equal(tok.Roles, roles) {
			t.Errorf("%s: an append spilled into a neighbour: scopes %q, roles %q", call, tok.Scopes, tok.Roles)
		}
	}
}

// TestCopyKeepsNilAndEmpty: a copy keeps a nil slice nil and an empty one
// empty (cognito:groups absent versus [], scope "").
func TestCopyKeepsNilAndEmpty(t *testing.T) {
	f := newFixture(t, nil)
	raw := f.pool.AccessToken(cognitotest.WithScopes(), cognitotest.WithClaim("cognito:groups", []string{}))
	for _, call := range []string{"miss", "hit"} {
		tok, err := f.v.Verify(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Groups == nil || len(tok.Groups) != 0 || tok.Scopes == nil || len(tok.Scopes) != 0 || tok.Roles != nil || tok.Identities != nil {
			t.Errorf("%s: groups %#v, scopes %#v, roles %#v, identities %#v", call, tok.Groups, tok.Scopes, tok.Roles, tok.Identities)
		}
	}
}

// TestCheckHookCannotChangeCachedToken: the Check hook runs on the
// caller's copy, so what it changes never reaches the cache (nor a later
// call's hook).
func TestCheckHookCannotChangeCachedToken(t *testing.T) {
	type view struct {
		sub    string
		groups []string
		expiry time.Time
	}
	var seen []view
	f := newFixture(t, func(c *claims.Config) {
		c.Check = func(_ context.Context, tok *claims.Token) error {
			seen = append(seen, view{tok.Subject, slices.Clone(tok.Groups), tok.Expiry})
			if !tok.HasGroup("readers") {
				return claims.ErrGroupDenied
			}
			tok.Subject = "mallory"
			tok.Groups[0] = "nobody"
			tok.Groups = append(tok.Groups, "admin")
			tok.Expiry = tok.Expiry.Add(1000 * time.Hour)
			return nil
		}
	})
	raw := f.pool.AccessToken(cognitotest.WithSubject("alice"), cognitotest.WithGroups("readers"), cognitotest.WithLifetime(time.Hour))
	for i := range 3 {
		if _, err := f.v.Verify(context.Background(), raw); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	want := view{"alice", []string{"readers"}, t0.Add(time.Hour)}
	for i, v := range seen {
		if v.sub != want.sub || !slices.Equal(v.groups, want.groups) || !v.expiry.Equal(want.expiry) {
			t.Errorf("call %d: the hook saw %+v, want %+v", i+1, v, want)
		}
	}
	if st := f.v.CacheStats(); st.Hits != 2 {
		t.Errorf("stats = %+v, want 2 hits", st)
	}
	// The hook's later expiry did not keep the cached token alive.
	f.clock.Advance(time.Hour + claims.DefaultLeeway)
	if _, err := f.v.Verify(context.Background(), raw); claims.ReasonOf(err) != claims.ReasonExpired {
		t.Fatalf("after exp: %v, want expired", err)
	}
}

// TestCheckHookRequirement: a requirement on every token is a Check hook
// (the verifier has no RequiredScopes or RequiredGroups of its own; route
// requirements are the policy's). Its errors keep their reasons, on a
// cache miss and a hit alike, and a ScopeError reaches the caller with the
// scopes that would do.
func TestCheckHookRequirement(t *testing.T) {
	f := newFixture(t, func(c *claims.Config) {
		c.Check = func(_ context.Context, tok *claims.Token) error {
			switch {
			case !tok.HasScope("orders/write"):
				return &claims.ScopeError{AnyOf: []string{"orders/write"}}
			case !tok.HasGroup("staff"):
				return fmt.Errorf("not staff: %w", claims.ErrGroupDenied)
			}
			return nil
		}
	})
	tests := []struct {
		name  string
		token string
		want  claims.Reason
	}{
		{"scope missing", f.pool.AccessToken(cognitotest.WithScopes("orders/read"), cognitotest.WithGroups("staff")), claims.ReasonInsufficientScope},
		{"group missing", f.pool.AccessToken(cognitotest.WithScopes("orders/write"), cognitotest.WithGroups("guests")), claims.ReasonGroupDenied},
		{"both present", f.pool.AccessToken(cognitotest.WithScopes("orders/write"), cognitotest.WithGroups("staff")), claims.ReasonOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, call := range []string{"first", "again"} {
				tok, err := f.v.Verify(context.Background(), tt.token)
				if got := claims.ReasonOf(err); got != tt.want || (err == nil) != (tok != nil) {
					t.Fatalf("%s call: %v (%s), want %s", call, err, got, tt.want)
				}
				var se *claims.ScopeError
				if tt.want == claims.ReasonInsufficientScope && (!errors.As(err, &se) || !slices.Equal(se.AnyOf, []string{"orders/write"})) {
					t.Errorf("%s call: %v, want a *ScopeError for orders/write", call, err)
				}
			}
		})
	}
}
