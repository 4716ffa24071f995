package claims_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

func TestTokenAccessors(t *testing.T) {
	f := newFixture(t, func(c *claims.Config) { c.Pools[0].TokenUse = claims.AnyToken })

	t.Run("access token", func(t *testing.T) {
		raw := f.pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithSubject("sub-bob"),
			cognitotest.WithGroups("admin", "readers"), cognitotest.WithScopes("orders/read", "orders/write"))
		tok, err := f.v.Verify(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Use != claims.AccessToken || tok.Username != "bob" || tok.Subject != "sub-bob" || tok.ClientID != f.pool.ClientID() ||
			tok.Issuer != f.pool.Issuer() || tok.Version != 2 || tok.Algorithm != "RS256" || tok.KeyID != f.pool.KeyIDs()[0] {
			t.Errorf("token = %+v", tok)
		}
		if !slices.Equal(tok.Groups, []string{"admin", "readers"}) || !tok.HasGroup("admin") || tok.HasGroup("Admin") {
			t.Errorf("groups = %q", tok.Groups)
		}
		if !slices.Equal(tok.Scopes, []string{"orders/read", "orders/write"}) || !tok.HasScope("orders/write") || tok.HasScope("orders") {
			t.Errorf("scopes = %q", tok.Scopes)
		}
		if !tok.IssuedAt.Equal(t0) || !tok.AuthTime.Equal(t0) || !tok.Expiry.Equal(t0.Add(time.Hour)) || !tok.NotBefore.IsZero() {
			t.Errorf("times: iat %s auth_time %s exp %s nbf %s", tok.IssuedAt, tok.AuthTime, tok.Expiry, tok.NotBefore)
		}
		if tok.JTI == "" || tok.OriginJTI == "" || tok.EventID == "" {
			t.Errorf("ids: jti %q origin_jti %q event_id %q", tok.JTI, tok.OriginJTI, tok.EventID)
		}
	})

	t.Run("id token", func(t *testing.T) {
		identities := []map[string]any{{
			"userId": "1234567890", "providerName": "Google", "providerType": "Google",
			"issuer": nil, "primary": "true", "dateCreated": "1700000000000",
		}}
		raw := f.pool.IDToken(cognitotest.WithUsername("carol"), cognitotest.WithGroups("readers"),
			cognitotest.WithClaim("email", "carol@example.com"),
			cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.WithClaim("custom:level", 3),
			cognitotest.WithClaim("identities", identities),
			cognitotest.WithClaim("cognito:roles", []string{"arn:aws:iam::123456789012:role/readers"}),
			cognitotest.WithClaim("cognito:preferred_role", "arn:aws:iam::123456789012:role/readers"))
		tok, err := f.v.Verify(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Use != claims.IDToken || tok.Username != "carol" || tok.ClientID != f.pool.ClientID() ||
			tok.Email != "carol@example.com" || !tok.EmailVerified || tok.Scopes != nil {
			t.Errorf("token = %+v", tok)
		}
		if len(tok.Roles) != 1 || tok.PreferredRole != tok.Roles[0] {
			t.Errorf("roles = %q, preferred %q", tok.Roles, tok.PreferredRole)
		}
		want := []claims.Identity{{UserID: "1234567890", ProviderName: "Google", ProviderType: "Google", Primary: true, DateCreated: time.UnixMilli(1700000000000)}}
		if len(tok.Identities) != 1 || tok.Identities[0] != want[0] {
			t.Errorf("identities = %+v, want %+v", tok.Identities, want)
		}
		if v, ok := tok.Custom("tenant"); !ok || v != "acme" {
			t.Errorf("Custom(tenant) = %q, %v", v, ok)
		}
		if _, ok := tok.Custom("level"); ok {
			t.Error("Custom(level) of a number reported a string")
		}
		if raw, ok := tok.Claim("custom:level"); !ok || string(raw) != "3" {
			t.Errorf("Claim(custom:level) = %s, %v", raw, ok)
		}
		if _, ok := tok.Claim("Custom:tenant"); ok {
			t.Error("Claim is not case-sensitive")
		}
		m, err := tok.Claims()
		if err != nil {
			t.Fatal(err)
		}
		if m["cognito:username"] != "carol" || m["custom:level"] != json.Number("3") {
			t.Errorf("Claims() = %v", m)
		}
		p := tok.Payload()
		p[0] = 'X'
		if tok.Payload()[0] != '{' {
			t.Error("Payload returned the token's own buffer")
		}
	})

	t.Run("bad identities", func(t *testing.T) {
		for _, v := range []any{"x", []any{"x"}, []any{map[string]any{"userId": 5}}, []any{map[string]any{"dateCreated": "soon"}}} {
			raw := f.pool.IDToken(cognitotest.WithClaim("identities", v))
			if _, err := f.v.Verify(context.Background(), raw); !errors.Is(err, claims.ErrMalformed) {
				t.Errorf("identities %v: %v, want ErrMalformed", v, err)
			}
		}
	})
}

func TestContext(t *testing.T) {
	if _, ok := claims.FromContext(context.Background()); ok {
		t.Fatal("FromContext on an empty context reported a token")
	}
	tok := &claims.Token{Subject: "s"}
	got, ok := claims.FromContext(claims.NewContext(context.Background(), tok))
	if !ok || got != tok {
		t.Fatalf("FromContext = %v, %v", got, ok)
	}
	if _, ok := claims.FromContext(claims.NewContext(context.Background(), nil)); ok {
		t.Fatal("FromContext reported a nil token")
	}
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		err        error
		want       claims.Reason
		wantStatus int
	}{
		{nil, claims.ReasonOK, 200},
		{claims.ErrMissingToken, claims.ReasonMissingToken, 401},
		{fmt.Errorf("x: %w", claims.ErrMalformed), claims.ReasonMalformed, 401},
		{claims.ErrUnsupportedAlg, claims.ReasonUnsupportedAlg, 401},
		{jwks.ErrAlgMismatch, claims.ReasonUnsupportedAlg, 401},
		{claims.ErrUnknownKID, claims.ReasonUnknownKID, 401},
		{claims.ErrBadSignature, claims.ReasonBadSignature, 401},
		{claims.ErrExpired, claims.ReasonExpired, 401},
		{claims.ErrNotYetValid, claims.ReasonNotYetValid, 401},
		{claims.ErrIssuedInFuture, claims.ReasonIssuedInFuture, 401},
		{claims.ErrWrongIssuer, claims.ReasonWrongIssuer, 401},
		{claims.ErrWrongClient, claims.ReasonWrongClient, 401},
		{claims.ErrWrongTokenUse, claims.ReasonWrongTokenUse, 401},
		{&claims.ScopeError{AnyOf: []string{"a"}}, claims.ReasonInsufficientScope, 403},
		{claims.ErrGroupDenied, claims.ReasonGroupDenied, 403},
		{claims.ErrClaimDenied, claims.ReasonClaimDenied, 403},
		{fmt.Errorf("x: %w: %w", claims.ErrJWKSUnavailable, jwks.ErrStatus), claims.ReasonJWKSUnavailable, 503},
		{jwks.ErrClosed, claims.ReasonJWKSUnavailable, 503},
		{fmt.Errorf("x: %w", claims.ErrLiveCheckUnavailable), claims.ReasonLiveCheckUnavailable, 503},
		{fmt.Errorf("x: %w: %w", claims.ErrCanceled, claims.ErrLiveCheckUnavailable), claims.ReasonCanceled, claims.StatusClientClosed},
		// Finding 18: a bare context error is the caller's own, never 503.
		{context.Canceled, claims.ReasonCanceled, claims.StatusClientClosed},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), claims.ReasonCanceled, claims.StatusClientClosed},
		{fmt.Errorf("x: %w: %w", claims.ErrCanceled, context.Canceled), claims.ReasonCanceled, claims.StatusClientClosed},
		{fmt.Errorf("x: %w: %w", claims.ErrCanceled, claims.ErrJWKSUnavailable), claims.ReasonCanceled, claims.StatusClientClosed},
		{fmt.Errorf("x: %w: %w", claims.ErrJWKSUnavailable, context.DeadlineExceeded), claims.ReasonJWKSUnavailable, 503},
		{fmt.Errorf("x: %w: %w", claims.ErrClaimDenied, context.Canceled), claims.ReasonClaimDenied, 403},
		{claims.ErrConfig, claims.ReasonInternal, 500},
		{errors.New("something else"), claims.ReasonInternal, 500},
	}
	for _, tt := range tests {
		got := claims.ReasonOf(tt.err)
		if got != tt.want {
			t.Errorf("ReasonOf(%v) = %s, want %s", tt.err, got, tt.want)
		}
		if got.Status() != tt.wantStatus {
			t.Errorf("%s.Status() = %d, want %d", got, got.Status(), tt.wantStatus)
		}
		if !slices.Contains(claims.Reasons(), got) {
			t.Errorf("Reasons() lacks %s", got)
		}
	}
}

func TestColdStartKeysUnavailable(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{Now: clk.Now})
	pool.SetFault(cognitotest.Fault{Status: http.StatusServiceUnavailable})
	v, err := claims.New(claims.Config{Pools: []claims.Pool{poolConfig(pool, claims.AccessToken)}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Hydrate(context.Background()); !errors.Is(err, claims.ErrJWKSUnavailable) {
		t.Fatalf("Hydrate: %v, want ErrJWKSUnavailable", err)
	}
	if v.Ready() {
		t.Fatal("Ready with the endpoint down")
	}
	_, err = v.Verify(context.Background(), pool.AccessToken())
	if claims.ReasonOf(err) != claims.ReasonJWKSUnavailable || claims.ReasonOf(err).Status() != http.StatusServiceUnavailable {
		t.Fatalf("Verify: %v (reason %s), want jwks_unavailable and 503", err, claims.ReasonOf(err))
	}
	// A token for an issuer that is not configured is still a 401, with no
	// fetch at all.
	other := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Other"})
	if _, err := v.Verify(context.Background(), other.AccessToken()); !errors.Is(err, claims.ErrWrongIssuer) {
		t.Fatalf("Verify(other pool): %v", err)
	}
	if other.Fetches() != 0 {
		t.Fatalf("the other pool's key set was fetched %d times", other.Fetches())
	}

	// The endpoint recovers: after the backoff the next request loads keys.
	pool.ClearFault()
	clk.Advance(jwks.DefaultCooldown)
	if _, err := v.Verify(context.Background(), pool.AccessToken()); err != nil {
		t.Fatalf("Verify after recovery: %v", err)
	}
}

func TestVerifyAfterKeyRotation(t *testing.T) {
	f := newFixture(t, nil)
	old := f.pool.KeyIDs()[0]
	before := f.pool.AccessToken()

	newKID := f.pool.Rotate()
	f.pool.Retire(old)
	// The cooldown has not passed since Hydrate: the new kid fails fast.
	if _, err := f.v.Verify(context.Background(), f.pool.AccessToken()); !errors.Is(err, claims.ErrUnknownKID) {
		t.Fatalf("new kid inside the cooldown: %v, want ErrUnknownKID", err)
	}
	f.clock.Advance(jwks.DefaultCooldown)
	n := f.pool.Fetches()
	tok, err := f.v.Verify(context.Background(), f.pool.AccessToken())
	if err != nil || tok.KeyID != newKID {
		t.Fatalf("new kid after the cooldown: %v, %v", tok, err)
	}
	if got := f.pool.Fetches() - n; got != 1 {
		t.Errorf("fetches for the new kid = %d, want 1", got)
	}
	// The retired key is gone from the refreshed set.
	if _, err := f.v.Verify(context.Background(), before); !errors.Is(err, claims.ErrUnknownKID) {
		t.Errorf("token of the retired key: %v, want ErrUnknownKID", err)
	}
}

func TestVerifyConcurrently(t *testing.T) {
	f := newFixture(t, nil)
	good := f.pool.AccessToken(cognitotest.WithGroups("admin"))
	bad := f.pool.AccessToken(cognitotest.WithClientID("other"))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				raw, wantErr := good, error(nil)
				if (g+i)%3 == 0 {
					raw, wantErr = bad, claims.ErrWrongClient
				}
				tok, err := f.v.Verify(context.Background(), raw)
				if !errors.Is(err, wantErr) || (err == nil && !tok.HasGroup("admin")) {
					t.Errorf("goroutine %d, call %d: %v", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestExpiryFollowsTheClock(t *testing.T) {
	f := newFixture(t, nil)
	raw := f.pool.AccessToken(cognitotest.WithLifetime(time.Minute))
	if _, err := f.v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute + claims.DefaultLeeway - time.Second)
	if _, err := f.v.Verify(context.Background(), raw); err != nil {
		t.Fatalf("just before exp+leeway: %v", err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.v.Verify(context.Background(), raw); !errors.Is(err, claims.ErrExpired) {
		t.Fatalf("at exp+leeway: %v, want ErrExpired", err)
	}
}
