package livecheck_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/livecheck"
)

// TestRefusedWithoutACall: tokens the live check cannot ask about are
// refused before any request — whatever the endpoint would have said.
func TestRefusedWithoutACall(t *testing.T) {
	rawA, _ := forge(t, map[string]any{"jti": "a"})
	_, tokB := forge(t, map[string]any{"jti": "b"})
	tests := []struct {
		name   string
		edit   map[string]any
		raw    string // replaces the forged raw token when set
		tok    *claims.Token
		nilTok bool
		want   error
		reason claims.Reason
	}{
		{name: "issuer of no pool", edit: map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"}, want: claims.ErrWrongIssuer, reason: claims.ReasonWrongIssuer},
		{name: "issuer with a trailing slash", edit: map[string]any{"iss": issuer + "/"}, want: claims.ErrWrongIssuer, reason: claims.ReasonWrongIssuer},
		{name: "issuer in upper case", edit: map[string]any{"iss": strings.ToUpper(issuer)}, want: claims.ErrWrongIssuer, reason: claims.ReasonWrongIssuer},
		{name: "issuer of another region", edit: map[string]any{"iss": "https://cognito-idp.us-east-1.amazonaws.com/" + poolID}, want: claims.ErrWrongIssuer, reason: claims.ReasonWrongIssuer},
		{name: "attacker's host", edit: map[string]any{"iss": "https://attacker.example/" + poolID}, want: claims.ErrWrongIssuer, reason: claims.ReasonWrongIssuer},
		{name: "ID token", edit: map[string]any{"token_use": "id"}, want: claims.ErrWrongTokenUse, reason: claims.ReasonWrongTokenUse},
		{name: "no admin scope", edit: map[string]any{"scope": "openid email"}, want: claims.ErrInsufficientScope, reason: claims.ReasonInsufficientScope},
		{name: "no scope", edit: map[string]any{"scope": nil}, want: claims.ErrInsufficientScope, reason: claims.ReasonInsufficientScope},
		{name: "machine token", edit: map[string]any{"username": nil, "sub": "1example23456789abcdefghij", "scope": "gate-test/read"}, want: claims.ErrInsufficientScope, reason: claims.ReasonInsufficientScope},
		{name: "expired", edit: map[string]any{"exp": t0.Unix()}, want: claims.ErrExpired, reason: claims.ReasonExpired},
		{name: "raw of another token", raw: rawA, tok: tokB, want: livecheck.ErrIdentityMismatch, reason: claims.ReasonIdentityMismatch},
		{name: "raw not a JWS", raw: "garbage", want: livecheck.ErrIdentityMismatch, reason: claims.ReasonIdentityMismatch},
		{name: "raw a JWE", raw: "a.b.c.d.e", want: livecheck.ErrIdentityMismatch, reason: claims.ReasonIdentityMismatch},
		{name: "no token", nilTok: true, want: claims.ErrMissingToken, reason: claims.ReasonMissingToken},
	}
	for _, tt := range tests {
		a := newAPI(200, userAnswer(user, sub))
		ev := &events{}
		c := checkerFor(t, a, newClock().Now, ev, func(cfg *livecheck.Config) { cfg.FailOpen = true })
		raw, tok := forge(t, tt.edit)
		if tt.raw != "" {
			raw = tt.raw
		}
		if tt.tok != nil {
			tok = tt.tok
		}
		if tt.nilTok {
			tok = nil
		}
		err := c.Check(context.Background(), tok, raw)
		if !errors.Is(err, tt.want) || claims.ReasonOf(err) != tt.reason {
			t.Errorf("%s: %v (%s), want %v (%s)", tt.name, err, claims.ReasonOf(err), tt.want, tt.reason)
		}
		if a.calls() != 0 {
			t.Errorf("%s: %d requests, want none", tt.name, a.calls())
		}
		if e := ev.last(t); e.Source != livecheck.SourceLocal || e.FailOpen {
			t.Errorf("%s: event %+v, want a local refusal", tt.name, e)
		}
	}
	// The scope refusal names the scope, for the challenge.
	_, tok := forge(t, map[string]any{"scope": "openid"})
	raw, _ := forge(t, map[string]any{"scope": "openid"})
	var se *claims.ScopeError
	c := checkerFor(t, newAPI(200, ""), newClock().Now, nil, nil)
	if err := c.Check(context.Background(), tok, raw); !errors.As(err, &se) || len(se.AnyOf) != 1 || se.AnyOf[0] != "aws.cognito.signin.user.admin" {
		t.Errorf("scope refusal %v, want a ScopeError naming aws.cognito.signin.user.admin", err)
	}
}

// TestRedirectsAreNotFollowed: a redirect would carry the token in its
// body to wherever it points (307, 308); it is never followed, with the
// default client nor with a given one that would follow it.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	for _, status := range []int{301, 302, 307, 308} {
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/", status)
		}))
		for _, client := range []*http.Client{nil, {}} {
			c, err := livecheck.New(livecheck.Config{
				Pools:      []livecheck.Pool{{UserPoolID: poolID, Endpoint: redirect.URL, AllowHTTP: true}},
				HTTPClient: client,
				Now:        newClock().Now,
			})
			if err != nil {
				t.Fatal(err)
			}
			raw, tok := forge(t, nil)
			if err := c.Check(context.Background(), tok, raw); !errors.Is(err, livecheck.ErrUnexpectedAnswer) {
				t.Errorf("%d (client %v): %v, want an unexpected answer", status, client != nil, err)
			}
			c.Close()
		}
		redirect.Close()
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

// TestHugeAnswers: answers over MaxResponseBytes, announced or not, are
// refused having read at most MaxResponseBytes + 1 bytes.
func TestHugeAnswers(t *testing.T) {
	const max = 1 << 10
	var written atomic.Int64
	for _, announce := range []bool{true, false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			if announce {
				w.Header().Set("Content-Length", strconv.Itoa(64<<20))
			}
			chunk := []byte(`{"Username":"alice","pad":"` + strings.Repeat("x", 4<<10))
			for range (64 << 20) / len(chunk) {
				n, err := w.Write(chunk)
				written.Add(int64(n))
				if err != nil {
					return
				}
			}
		}))
		c, err := livecheck.New(livecheck.Config{
			Pools:            []livecheck.Pool{{UserPoolID: poolID, Endpoint: srv.URL, AllowHTTP: true}},
			MaxResponseBytes: max,
			Now:              newClock().Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		raw, tok := forge(t, nil)
		start := time.Now()
		if err := c.Check(context.Background(), tok, raw); !errors.Is(err, livecheck.ErrUnexpectedAnswer) {
			t.Errorf("announce %v: %v, want an unexpected answer", announce, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("announce %v: took %s", announce, d)
		}
		c.Close()
		srv.Close()
	}
	if n := written.Load(); n >= 64<<20 {
		t.Errorf("the server wrote the whole %d bytes: the body was read to its end", n)
	}
}
