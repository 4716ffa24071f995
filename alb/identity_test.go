package alb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

func TestCheckIdentity(t *testing.T) {
	const (
		sub    = "0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10"
		iss    = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
		client = "6q7exampleclient0id12345ab"
	)
	data := func() *alb.Token { return &alb.Token{Subject: sub, Issuer: iss, ClientID: client} }
	access := func() *claims.Token {
		return &claims.Token{Use: claims.AccessToken, Subject: sub, Issuer: iss, ClientID: client}
	}
	tests := []struct {
		name     string
		data     func() *alb.Token
		identity string
		access   func() *claims.Token
		want     error // nil: agreed
	}{
		{"agree", data, sub, access, nil},
		{"no data token", func() *alb.Token { return nil }, sub, access, alb.ErrIdentityMismatch},
		{"no access token", data, sub, func() *claims.Token { return nil }, alb.ErrIdentityMismatch},
		{"no identity header", data, "", access, alb.ErrIdentityMismatch},
		{"identity of another user", data, "5a1f0b7e-0c9d-4e8a-9b6f-3d2c1b0a9f8e", access, alb.ErrIdentityMismatch},
		{"identity upper case", data, "0D9E1C6A-4B1F-4A43-9D6E-1F5E0C2B7A10", access, alb.ErrIdentityMismatch},
		{"identity padded", data, sub + " ", access, alb.ErrIdentityMismatch},
		{"ID token for access token", data, sub, func() *claims.Token {
			a := access()
			a.Use = claims.IDToken
			return a
		}, claims.ErrWrongTokenUse},
		{"data token in the access header", data, sub, func() *claims.Token {
			a := access()
			a.Use = alb.DataTokenUse
			return a
		}, claims.ErrWrongTokenUse},
		{"access token of another user", data, sub, func() *claims.Token {
			a := access()
			a.Subject = "5a1f0b7e-0c9d-4e8a-9b6f-3d2c1b0a9f8e"
			return a
		}, alb.ErrIdentityMismatch},
		{"access token of another pool", data, sub, func() *claims.Token {
			a := access()
			a.Issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"
			return a
		}, alb.ErrIdentityMismatch},
		{"access token of another app client", data, sub, func() *claims.Token {
			a := access()
			a.ClientID = "other"
			return a
		}, alb.ErrIdentityMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := alb.CheckIdentity(tt.data(), tt.identity, tt.access())
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tt.want)
			if r := claims.ReasonOf(err); r.Status() != 401 {
				t.Errorf("reason %s, status %d; want a 401", r, r.Status())
			}
		})
	}
}

// TestThreeHeadersEndToEnd: a data token verified here, an access token
// verified by package claims against a fake pool, and the identity header,
// as a load balancer sends them, agree; a genuine access token of another
// user beside them does not.
func TestThreeHeadersEndToEnd(t *testing.T) {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	cv, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer cv.Close()
	lb, err := fakealb.New(fakealb.Config{}) // fakepool's defaults: the same issuer and app client
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	av, err := alb.New(alb.Config{
		Region: lb.Region(), KeyURL: lb.KeyURL(), AllowHTTP: true, Issuer: lb.Issuer(),
		Signers: []string{lb.Signer()}, ClientIDs: []string{lb.ClientID()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer av.Close()

	check := func(h map[string][]string) error {
		ctx := context.Background()
		get := func(name string) string {
			if v := h[name]; len(v) == 1 {
				return v[0]
			}
			return ""
		}
		data, err := av.VerifyData(ctx, get(alb.DataHeader))
		if err != nil {
			return err
		}
		access, err := cv.Verify(ctx, get(alb.AccessTokenHeader))
		if err != nil {
			return err
		}
		return alb.CheckIdentity(data, get(alb.IdentityHeader), access)
	}

	bob := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithGroups("admin"))
	if err := check(lb.Headers(bob)); err != nil {
		t.Fatalf("the load balancer's headers: %v", err)
	}
	alice := pool.AccessToken(fakepool.WithUsername("alice"))
	spliced := lb.Headers(alice)
	spliced[alb.AccessTokenHeader] = []string{bob}
	if err := check(spliced); !errors.Is(err, alb.ErrIdentityMismatch) {
		t.Errorf("alice's data token with bob's access token: %v, want a mismatch", err)
	}
	forged := lb.Headers(bob)
	forged[alb.IdentityHeader] = []string{"5a1f0b7e-0c9d-4e8a-9b6f-3d2c1b0a9f8e"}
	if err := check(forged); !errors.Is(err, alb.ErrIdentityMismatch) {
		t.Errorf("a forged identity header: %v, want a mismatch", err)
	}
}
