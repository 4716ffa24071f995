package alb_test

import (
	"context"
	"errors"
	"net/http"
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

// TestVerifyHeaders: a data token verified here, an access token verified
// by package claims against a fake pool, and the identity header, as a
// load balancer sends them, agree; every other combination is refused.
func TestVerifyHeaders(t *testing.T) {
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

	bob := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithGroups("admin"))
	mallory := pool.AccessToken(fakepool.WithUsername("mallory"))
	tests := []struct {
		name   string
		header func() http.Header
		want   error // nil: verified as bob
	}{
		{"as sent", func() http.Header { return lb.Headers(bob) }, nil},
		{"none", func() http.Header { return http.Header{} }, claims.ErrMissingToken},
		{"only the access token", func() http.Header {
			h := lb.Headers(bob)
			h.Del(alb.DataHeader)
			h.Del(alb.IdentityHeader)
			return h
		}, claims.ErrMissingToken},
		{"data twice", func() http.Header {
			h := lb.Headers(bob)
			h.Add(alb.DataHeader, lb.Data(fakealb.WithUsername("mallory")))
			return h
		}, claims.ErrMalformed},
		{"no access token", func() http.Header { return lb.Headers("") }, claims.ErrMalformed},
		{"access token twice", func() http.Header {
			h := lb.Headers(bob)
			h.Add(alb.AccessTokenHeader, bob)
			return h
		}, claims.ErrMalformed},
		{"no identity", func() http.Header {
			h := lb.Headers(bob)
			h.Del(alb.IdentityHeader)
			return h
		}, claims.ErrMalformed},
		{"identity twice", func() http.Header {
			h := lb.Headers(bob)
			h.Add(alb.IdentityHeader, h.Get(alb.IdentityHeader))
			return h
		}, claims.ErrMalformed},
		{"forged identity", func() http.Header {
			h := lb.Headers(bob)
			h.Set(alb.IdentityHeader, "5a1f0b7e-0c9d-4e8a-9b6f-3d2c1b0a9f8e")
			return h
		}, alb.ErrIdentityMismatch},
		{"another user's access token", func() http.Header {
			h := lb.Headers(mallory)
			h.Set(alb.AccessTokenHeader, bob)
			return h
		}, alb.ErrIdentityMismatch},
		{"an ID token as access token", func() http.Header {
			return lb.Headers(pool.IDToken(fakepool.WithUsername("bob")))
		}, claims.ErrWrongTokenUse},
		{"a forged access token", func() http.Header {
			return lb.Headers(bob[:len(bob)-4] + "AAAA")
		}, claims.ErrBadSignature},
		{"a forged data token", func() http.Header {
			h := lb.Headers(bob)
			h.Set(alb.DataHeader, lb.Data(fakealb.WithDERSignature()))
			return h
		}, claims.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, access, err := av.VerifyHeaders(context.Background(), tt.header(), cv)
			if tt.want != nil {
				wantErr(t, err, tt.want)
				if data != nil || access != nil {
					t.Error("tokens returned with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if access.Use != claims.AccessToken || access.Username != "bob" || !access.HasGroup("admin") || data.Subject != access.Subject {
				t.Errorf("data %+v, access %+v", data, access)
			}
		})
	}
	if _, _, err := av.VerifyHeaders(context.Background(), lb.Headers(bob), nil); !errors.Is(err, alb.ErrConfig) {
		t.Errorf("without an AccessVerifier: %v, want ErrConfig", err)
	}
}
