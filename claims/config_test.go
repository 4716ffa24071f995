package claims_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// goodPool is a valid pool configuration.
func goodPool() claims.Pool {
	return claims.Pool{UserPoolID: "us-east-1_AbC123", ClientIDs: []string{"client"}, TokenUse: claims.AccessToken}
}

// TestNewRejectsMisconfiguration also guards findings 16 and 19: an empty
// RequiredScopes or RequiredGroups list silently meant "no requirement",
// and Validate (and CheckPool) passed key set URLs that New refused. Every
// row must fail New and Validate alike: both match ErrConfig (and jwks'
// ErrConfig for key-cache problems), with the same problems reported.
func TestNewRejectsMisconfiguration(t *testing.T) {
	good := goodPool()
	with := func(f func(*claims.Pool)) []claims.Pool {
		p := good
		f(&p)
		return []claims.Pool{p}
	}
	tests := []struct {
		name    string
		cfg     claims.Config
		wantErr string
		jwksErr bool // a key cache problem: also matches jwks.ErrConfig
	}{
		{name: "no pools", cfg: claims.Config{}, wantErr: "no user pools"},
		{name: "bad pool id", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.UserPoolID = "AbC123" })}, wantErr: "want <region>_<id>"},
		{name: "pool id with path", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.UserPoolID = "us-east-1_AbC/../x" })}, wantErr: "want <region>_<id>"},
		{name: "region mismatch", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Region = "eu-west-1" })}, wantErr: "is in region us-east-1"},
		{name: "no pool id nor issuer", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.UserPoolID = "" })}, wantErr: "neither UserPoolID nor Issuer"},
		{name: "http issuer", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Issuer = "http://127.0.0.1:9229/us-east-1_AbC123" })}, wantErr: "AllowHTTP"},
		{name: "issuer trailing slash", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/" })}, wantErr: "trailing slash"},
		{name: "issuer with query", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Issuer = "https://example.com/pool?x=1" })}, wantErr: "query"},
		{name: "issuer not a url scheme", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Issuer = "ftp://example.com/pool" })}, wantErr: "https"},
		{name: "http jwks url", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "http://127.0.0.1:1/jwks.json" })}, wantErr: "AllowHTTP", jwksErr: true},
		{name: "no client ids", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.ClientIDs = nil })}, wantErr: "SkipClientIDCheck"},
		{name: "empty client id", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.ClientIDs = []string{""} })}, wantErr: "empty or padded"},
		{name: "client ids and skip", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.SkipClientIDCheck = true })}, wantErr: "both set"},
		{name: "no token use", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.TokenUse = "" })}, wantErr: "TokenUse is required"},
		{name: "unknown token use", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.TokenUse = "refresh" })}, wantErr: `TokenUse "refresh"`},
		{name: "duplicate pool", cfg: claims.Config{Pools: []claims.Pool{good, good}}, wantErr: "listed twice"},
		{name: "alg none", cfg: claims.Config{Pools: []claims.Pool{good}, Algorithms: []string{"none"}}, wantErr: `algorithm "none"`},
		{name: "alg HS256", cfg: claims.Config{Pools: []claims.Pool{good}, Algorithms: []string{"RS256", "HS256"}}, wantErr: `algorithm "HS256"`},
		{name: "empty algorithms", cfg: claims.Config{Pools: []claims.Pool{good}, Algorithms: []string{}}, wantErr: "Algorithms is empty"},
		{name: "negative leeway", cfg: claims.Config{Pools: []claims.Pool{good}, Leeway: -2 * time.Second}, wantErr: "negative"},
		{name: "huge leeway", cfg: claims.Config{Pools: []claims.Pool{good}, Leeway: time.Hour}, wantErr: "over 5m0s"},
		{name: "blank required scope", cfg: claims.Config{Pools: []claims.Pool{good}, RequiredScopes: []string{""}}, wantErr: "RequiredScopes"},
		{name: "scope with space", cfg: claims.Config{Pools: []claims.Pool{good}, RequiredScopes: []string{"a b"}}, wantErr: "RequiredScopes"},
		{name: "tiny max token", cfg: claims.Config{Pools: []claims.Pool{good}, MaxTokenBytes: 10}, wantErr: "too small"},
		{name: "bad jwks timing", cfg: claims.Config{Pools: []claims.Pool{good}, JWKS: jwksConfig(time.Second)}, wantErr: "shorter than Cooldown", jwksErr: true},
		{name: "negative fetch timeout", cfg: claims.Config{Pools: []claims.Pool{good}, JWKS: jwks.Config{FetchTimeout: -time.Second}}, wantErr: "FetchTimeout: -1s is negative", jwksErr: true},
		{name: "empty required scopes", cfg: claims.Config{Pools: []claims.Pool{good}, RequiredScopes: []string{}}, wantErr: "RequiredScopes is empty"},
		{name: "empty required groups", cfg: claims.Config{Pools: []claims.Pool{good}, RequiredGroups: []string{}}, wantErr: "RequiredGroups is empty"},
		{name: "blank required group", cfg: claims.Config{Pools: []claims.Pool{good}, RequiredGroups: []string{""}}, wantErr: "RequiredGroups"},
		{name: "scope with tab", cfg: claims.Config{Pools: []claims.Pool{good}, RequiredScopes: []string{"a\tb"}}, wantErr: "RequiredScopes"},
		{name: "scope with quote", cfg: claims.Config{Pools: []claims.Pool{good}, RequiredScopes: []string{`a"b`}}, wantErr: "RequiredScopes"},
		{name: "http jwks url with https issuer", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "http://keys.example.com/jwks.json" })}, wantErr: "plain http", jwksErr: true},
		{name: "jwks url with credentials", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "https://u:p@keys.example.com/jwks.json" })}, wantErr: "credentials", jwksErr: true},
		{name: "jwks url file scheme", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "file:///etc/passwd" })}, wantErr: "scheme must be https", jwksErr: true},
		{name: "jwks url without host", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "https:///jwks.json" })}, wantErr: "no host", jwksErr: true},
		{name: "negative cache limit", cfg: claims.Config{Pools: []claims.Pool{good}, Cache: claims.CacheConfig{MaxEntries: -1}}, wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verr := tt.cfg.Validate()
			v, err := claims.New(tt.cfg)
			if err == nil {
				v.Close()
				t.Fatalf("New succeeded, want an error containing %q", tt.wantErr)
			}
			for _, sentinel := range []error{claims.ErrConfig, jwks.ErrConfig} {
				if got, want := errors.Is(verr, sentinel), errors.Is(err, sentinel); got != want {
					t.Errorf("errors.Is(Validate, %v) = %v, errors.Is(New, %v) = %v", sentinel, got, sentinel, want)
				}
			}
			if !errors.Is(err, claims.ErrConfig) || errors.Is(err, jwks.ErrConfig) != tt.jwksErr {
				t.Errorf("New: %v; want ErrConfig (and jwks.ErrConfig: %v)", err, tt.jwksErr)
			}
			if verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate = %v, New = %v; want the same problems", verr, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if len(tt.cfg.Pools) == 1 && (strings.Contains(tt.name, "jwks url") || strings.Contains(tt.name, "issuer")) {
				if _, err := claims.CheckPool(tt.cfg.Pools[0]); !errors.Is(err, claims.ErrConfig) {
					t.Errorf("CheckPool: %v, want ErrConfig", err)
				}
			}
		})
	}
}

// TestValidateReportsEveryProblem: one Validate lists all the problems,
// not only the first.
func TestValidateReportsEveryProblem(t *testing.T) {
	bad := goodPool()
	bad.ClientIDs, bad.JWKSURL = nil, "http://keys.example.com/jwks.json"
	cfg := claims.Config{
		Pools:          []claims.Pool{bad, {UserPoolID: "nope", TokenUse: claims.AccessToken}},
		Algorithms:     []string{"HS256"},
		RequiredGroups: []string{},
		JWKS:           jwks.Config{Cooldown: -time.Second},
	}
	err := cfg.Validate()
	for _, want := range []string{"no ClientIDs", "plain http", `"nope"`, `algorithm "HS256"`, "RequiredGroups is empty", "Cooldown: -1s is negative"} {
		if !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("Validate = %v; does not report %q", err, want)
		}
	}
	if _, nerr := claims.New(cfg); nerr == nil || nerr.Error() != err.Error() {
		t.Errorf("New = %v, want the same as Validate", nerr)
	}
}

// TestValidateAcceptsWhatNewAccepts: Validate passes a configuration New
// takes, and CheckPool a pool New takes.
func TestValidateAcceptsWhatNewAccepts(t *testing.T) {
	for _, p := range []claims.Pool{
		goodPool(),
		{Issuer: "http://127.0.0.1:9229/local_5x1A", AllowHTTP: true, ClientIDs: []string{"c"}, TokenUse: claims.AnyToken},
		{UserPoolID: "eu-west-1_AbC", JWKSURL: "https://keys.example.com/jwks.json", SkipClientIDCheck: true, TokenUse: claims.IDToken},
	} {
		cfg := claims.Config{Pools: []claims.Pool{p}, RequiredScopes: []string{"openid"}, RequiredGroups: []string{"admin"}, JWKS: jwksConfig(0)}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate(%+v): %v", p, err)
		}
		if _, err := claims.CheckPool(p); err != nil {
			t.Errorf("CheckPool(%+v): %v", p, err)
		}
		v, err := claims.New(cfg)
		if err != nil {
			t.Fatalf("New(%+v): %v", p, err)
		}
		v.Close()
	}
}

func TestNewAcceptsIssuerForms(t *testing.T) {
	tests := []struct {
		name string
		pool claims.Pool
		want string
	}{
		{name: "pool id", pool: claims.Pool{UserPoolID: "eu-west-1_AbC123"}, want: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"},
		{name: "pool id and region", pool: claims.Pool{UserPoolID: "ap-southeast-2_x9", Region: "ap-southeast-2"}, want: "https://cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_x9"},
		{name: "newer issuer format", pool: claims.Pool{UserPoolID: "us-west-2_Q", Issuer: "https://issuer-cognito-idp.us-west-2.amazonaws.com/us-west-2_Q"}, want: "https://issuer-cognito-idp.us-west-2.amazonaws.com/us-west-2_Q"},
		{name: "emulator over http", pool: claims.Pool{Issuer: "http://127.0.0.1:9229/local_5x1A", AllowHTTP: true}, want: "http://127.0.0.1:9229/local_5x1A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.pool.ClientIDs, tt.pool.TokenUse = []string{"c"}, claims.AccessToken
			v, err := claims.New(claims.Config{Pools: []claims.Pool{tt.pool}, JWKS: jwksConfig(0)})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer v.Close()
			if got := v.Issuers(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("Issuers() = %q, want [%q]", got, tt.want)
			}
			if got := v.Keys().Set(tt.want).URL(); got != tt.want+"/.well-known/jwks.json" {
				t.Errorf("key set URL = %q", got)
			}
		})
	}
}
