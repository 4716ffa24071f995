package claims_test

import (
	"errors"
	"fmt"
	"slices"
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

// at is where a ConfigError says a problem is.
type at struct {
	pool       int
	field, key string
}

// TestNewRejectsMisconfiguration also guards finding 19: Validate (and the
// CheckPool of then) passed key set URLs that New refused. (Finding 16, an
// empty RequiredScopes or RequiredGroups meaning "no requirement", went
// with those fields: route requirements are the policy's.) Every
// row must fail New and Validate alike, with the same *ConfigErrors (and
// nothing else), each at the expected pool, field and key, matching
// ErrConfig, and jwks.ErrConfig exactly when the key cache's own checks
// found it.
func TestNewRejectsMisconfiguration(t *testing.T) {
	good := goodPool()
	with, pool0 := goodPoolWith, atPool0
	global := func(field, key string) []at { return []at{{-1, field, key}} }
	tests := []struct {
		name    string
		cfg     claims.Config
		want    []at
		wantErr string // a fragment of the joined text
		jwksErr bool   // a key cache problem: also matches jwks.ErrConfig
	}{
		{name: "no pools", cfg: claims.Config{}, want: global("Pools", "pools"), wantErr: "claims: config: Pools: at least one user pool is required"},
		{name: "bad pool id", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.UserPoolID = "AbC123" })}, want: pool0("UserPoolID", "user_pool_id"),
			wantErr: `claims: config: pool 0: UserPoolID: "AbC123" is not <region>_<id>`},
		{name: "pool id with path", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.UserPoolID = "us-east-1_AbC/../x" })}, want: pool0("UserPoolID", "user_pool_id"), wantErr: "is not <region>_<id>"},
		{name: "region mismatch", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Region = "eu-west-1" })}, want: pool0("Region", "region"),
			wantErr: `pool 0: Region: "eu-west-1", but UserPoolID "us-east-1_AbC123" is in us-east-1`},
		{name: "no pool id nor issuer", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.UserPoolID = "" })}, want: pool0("UserPoolID", "user_pool_id"), wantErr: "required unless issuer is set"},
		{name: "http issuer", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Issuer = "http://127.0.0.1:9229/us-east-1_AbC123" })}, want: pool0("AllowHTTP", "allow_http"),
			wantErr: `pool 0: AllowHTTP: issuer "http://127.0.0.1:9229/us-east-1_AbC123" is plain http; set AllowHTTP for local development only`, jwksErr: true},
		{name: "issuer trailing slash", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/" })}, want: pool0("Issuer", "issuer"), wantErr: "trailing slash", jwksErr: true},
		{name: "issuer with query", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Issuer = "https://example.com/pool?x=1" })}, want: pool0("Issuer", "issuer"), wantErr: "query", jwksErr: true},
		{name: "issuer not a url scheme", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.Issuer = "ftp://example.com/pool" })}, want: pool0("Issuer", "issuer"), wantErr: "https", jwksErr: true},
		{name: "http jwks url", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "http://127.0.0.1:1/jwks.json" })}, want: pool0("AllowHTTP", "allow_http"),
			wantErr: `pool 0: AllowHTTP: JWKSURL "http://127.0.0.1:1/jwks.json" is plain http; set AllowHTTP`, jwksErr: true},
		{name: "no client ids", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.ClientIDs = nil })}, want: pool0("ClientIDs", "client_ids"),
			wantErr: "pool 0: ClientIDs: empty; list the app clients or set SkipClientIDCheck"},
		{name: "empty client id", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.ClientIDs = []string{""} })}, want: pool0("ClientIDs", "client_ids"), wantErr: "empty or padded"},
		{name: "client ids and skip", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.SkipClientIDCheck = true })}, want: pool0("SkipClientIDCheck", "skip_client_id_check"),
			wantErr: "SkipClientIDCheck: set together with ClientIDs; set one"},
		{name: "no token use", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.TokenUse = "" })}, want: pool0("TokenUse", "token_use"), wantErr: `TokenUse: required: "access", "id" or "any"`},
		{name: "unknown token use", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.TokenUse = "refresh" })}, want: pool0("TokenUse", "token_use"), wantErr: `TokenUse: "refresh": want`},
		{name: "duplicate pool", cfg: claims.Config{Pools: []claims.Pool{good, good}}, want: []at{{1, "UserPoolID", "user_pool_id"}}, wantErr: "which is also pool 0's"},
		{name: "duplicate issuer", cfg: claims.Config{Pools: []claims.Pool{good, {Issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", SkipClientIDCheck: true, TokenUse: claims.IDToken}}},
			want: []at{{1, "Issuer", "issuer"}}, wantErr: "is also the issuer of pool 0"},
		{name: "alg none", cfg: claims.Config{Pools: []claims.Pool{good}, Algorithms: []string{"none"}}, want: global("Algorithms", "algorithms"), wantErr: `Algorithms: "none" is not supported`},
		{name: "alg HS256", cfg: claims.Config{Pools: []claims.Pool{good}, Algorithms: []string{"RS256", "HS256"}}, want: global("Algorithms", "algorithms"), wantErr: `"HS256" is not supported`},
		{name: "empty algorithms", cfg: claims.Config{Pools: []claims.Pool{good}, Algorithms: []string{}}, want: global("Algorithms", "algorithms"), wantErr: "Algorithms: empty"},
		{name: "negative leeway", cfg: claims.Config{Pools: []claims.Pool{good}, Leeway: -2 * time.Second}, want: global("Leeway", "leeway"), wantErr: "Leeway: -2s is negative; use NoLeeway for none"},
		{name: "huge leeway", cfg: claims.Config{Pools: []claims.Pool{good}, Leeway: time.Hour}, want: global("Leeway", "leeway"), wantErr: "over 5m0s"},
		{name: "tiny max token", cfg: claims.Config{Pools: []claims.Pool{good}, MaxTokenBytes: 10}, want: global("MaxTokenBytes", "max_token_bytes"), wantErr: "too small"},
		{name: "bad jwks timing", cfg: claims.Config{Pools: []claims.Pool{good}, JWKS: jwksConfig(time.Second)}, want: global("JWKS.RefreshInterval", "jwks.refresh_interval"),
			wantErr: "claims: config: JWKS.RefreshInterval: 1s is shorter than JWKS.Cooldown (10s)", jwksErr: true},
		{name: "negative fetch timeout", cfg: claims.Config{Pools: []claims.Pool{good}, JWKS: jwks.Config{FetchTimeout: -time.Second}}, want: global("JWKS.FetchTimeout", "jwks.fetch_timeout"),
			wantErr: "JWKS.FetchTimeout: -1s is negative", jwksErr: true},
		{name: "http jwks url with https issuer", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "http://keys.example.com/jwks.json" })}, want: pool0("AllowHTTP", "allow_http"), wantErr: "plain http", jwksErr: true},
		{name: "jwks url with credentials", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "https://u:p@keys.example.com/jwks.json" })}, want: pool0("JWKSURL", "jwks_url"),
			wantErr: "pool 0: JWKSURL: must not carry credentials", jwksErr: true},
		{name: "jwks url file scheme", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "file:///etc/passwd" })}, want: pool0("JWKSURL", "jwks_url"), wantErr: "scheme must be https", jwksErr: true},
		{name: "jwks url without host", cfg: claims.Config{Pools: with(func(p *claims.Pool) { p.JWKSURL = "https:///jwks.json" })}, want: pool0("JWKSURL", "jwks_url"), wantErr: "no host", jwksErr: true},
		{name: "negative cache entries", cfg: claims.Config{Pools: []claims.Pool{good}, Cache: claims.CacheConfig{MaxEntries: -1}}, want: global("Cache.MaxEntries", "token_cache.max_entries"),
			wantErr: "Cache.MaxEntries: -1 is negative; set Cache.Disabled to turn the cache off"},
		{name: "negative cache bytes", cfg: claims.Config{Pools: []claims.Pool{good}, Cache: claims.CacheConfig{MaxBytes: -1}}, want: global("Cache.MaxBytes", "token_cache.max_bytes"), wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkMisconfiguration(t, tt.cfg, tt.want, tt.wantErr, tt.jwksErr) })
	}
}

// checkMisconfiguration fails the test unless New and Validate both refuse
// cfg with the same *ConfigErrors (and nothing else), each at the expected
// pool, field and key, matching ErrConfig, and jwks.ErrConfig exactly when
// jwksErr says so, their text containing wantErr.
func checkMisconfiguration(t *testing.T, cfg claims.Config, want []at, wantErr string, jwksErr bool) {
	t.Helper()
	verr := cfg.Validate()
	v, err := claims.New(cfg)
	if err == nil {
		v.Close()
		t.Fatalf("New succeeded, want an error containing %q", wantErr)
	}
	if verr == nil || verr.Error() != err.Error() {
		t.Errorf("Validate = %v, New = %v; want the same problems", verr, err)
	}
	if !strings.Contains(err.Error(), wantErr) {
		t.Errorf("error %q does not contain %q", err, wantErr)
	}
	if got := configErrorsAt(t, err, jwksErr); !slices.Equal(got, want) {
		t.Errorf("problems at %v, want %v", got, want)
	}
	if got := configErrorsAt(t, verr, jwksErr); !slices.Equal(got, want) {
		t.Errorf("Validate: problems at %v, want %v", got, want)
	}
}

// configErrors returns the *claims.ConfigErrors joined in err, failing the
// test when err joins anything else or one of them is not well formed.
func configErrors(t *testing.T, err error) []*claims.ConfigError {
	t.Helper()
	var list []error
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		list = j.Unwrap()
	} else if err != nil {
		list = []error{err}
	}
	var out []*claims.ConfigError
	for _, e := range list {
		var ce *claims.ConfigError
		if !errors.As(e, &ce) || !errors.Is(e, claims.ErrConfig) || ce != e {
			t.Fatalf("%T %v is not a *claims.ConfigError matching ErrConfig", e, e)
		}
		if ce.Problem == "" || ce.Key == "" || ce.Field == "" || strings.Count(ce.Error(), "claims: ") != 1 {
			t.Errorf("ConfigError %+v is incomplete or stutters: %q", *ce, ce.Error())
		}
		out = append(out, ce)
	}
	return out
}

// configErrorsAt returns where each ConfigError of err is, and checks that
// each matches jwks.ErrConfig exactly when wantJWKS says so.
func configErrorsAt(t *testing.T, err error, wantJWKS bool) []at {
	t.Helper()
	var out []at
	for _, e := range configErrors(t, err) {
		out = append(out, at{e.Pool, e.Field, e.Key})
		if errors.Is(e, jwks.ErrConfig) != wantJWKS {
			t.Errorf("%v: errors.Is(jwks.ErrConfig) = %v, want %v", e, !wantJWKS, wantJWKS)
		}
	}
	return out
}

// TestValidateReportsEveryProblem: one Validate lists all the problems,
// not only the first, in a fixed order: pools first, in order, each in
// field order; then the other fields in the order Config declares them.
func TestValidateReportsEveryProblem(t *testing.T) {
	bad := goodPool()
	bad.ClientIDs, bad.JWKSURL, bad.TokenUse = nil, "http://keys.example.com/jwks.json", ""
	cfg := claims.Config{
		Pools: []claims.Pool{
			bad,
			{UserPoolID: "nope", TokenUse: claims.AccessToken, SkipClientIDCheck: true},
			{UserPoolID: "eu-west-1_X", Region: "us-east-1", Issuer: "ftp://x/y", JWKSURL: "https://u:p@k/jwks.json", ClientIDs: []string{" c"}, TokenUse: "both"},
		},
		Algorithms:    []string{"HS256"},
		Leeway:        time.Hour,
		MaxTokenBytes: 1,
		JWKS:          jwks.Config{Cooldown: -time.Second, FetchTimeout: -1},
		Cache:         claims.CacheConfig{MaxBytes: -1, MaxEntries: -1},
	}
	err := cfg.Validate()
	want := []at{
		{0, "AllowHTTP", "allow_http"}, {0, "ClientIDs", "client_ids"}, {0, "TokenUse", "token_use"},
		{1, "UserPoolID", "user_pool_id"},
		{2, "Region", "region"}, {2, "Issuer", "issuer"}, {2, "JWKSURL", "jwks_url"}, {2, "ClientIDs", "client_ids"}, {2, "TokenUse", "token_use"},
		{-1, "Algorithms", "algorithms"}, {-1, "Leeway", "leeway"}, {-1, "MaxTokenBytes", "max_token_bytes"},
		{-1, "JWKS.FetchTimeout", "jwks.fetch_timeout"}, {-1, "JWKS.Cooldown", "jwks.cooldown"},
		{-1, "Cache.MaxEntries", "token_cache.max_entries"}, {-1, "Cache.MaxBytes", "token_cache.max_bytes"},
	}
	var got []at
	for _, e := range configErrors(t, err) {
		got = append(got, at{e.Pool, e.Field, e.Key})
	}
	if !slices.Equal(got, want) {
		t.Errorf("Validate = %v\nproblems at %v\nwant %v", err, got, want)
	}
	for _, frag := range []string{"empty; list the app clients", "plain http", `"nope"`, `"HS256" is not supported`, "Leeway: 1h0m0s is over 5m0s", "Cooldown: -1s is negative"} {
		if !strings.Contains(fmt.Sprint(err), frag) {
			t.Errorf("Validate = %v; does not report %q", err, frag)
		}
	}
	if _, nerr := claims.New(cfg); nerr == nil || nerr.Error() != err.Error() {
		t.Errorf("New = %v, want the same as Validate", nerr)
	}
	// The same problems in the same order, every time.
	for range 10 {
		if again := cfg.Validate(); again.Error() != err.Error() {
			t.Fatalf("Validate is not deterministic:\n%v\n%v", err, again)
		}
	}
}

// TestConfigErrorText: Error speaks Go (field names), Problem speaks the
// configuration file (keys); quoted values are never rewritten.
func TestConfigErrorText(t *testing.T) {
	p := goodPool()
	p.ClientIDs, p.JWKSURL = []string{"client_ids "}, "http://allow_http/jwks_url"
	err := claims.Config{Pools: []claims.Pool{p}, Leeway: -time.Second}.Validate()
	var got []string
	for _, e := range configErrors(t, err) {
		got = append(got, e.Problem+" | "+e.Error())
	}
	want := []string{
		`jwks_url "http://allow_http/jwks_url" is plain http; set allow_http for local development only | ` +
			`claims: config: pool 0: AllowHTTP: JWKSURL "http://allow_http/jwks_url" is plain http; set AllowHTTP for local development only`,
		`entry 0, "client_ids ", is empty or padded | claims: config: pool 0: ClientIDs: entry 0, "client_ids ", is empty or padded`,
		"-1s is negative; use no_leeway for none | claims: config: Leeway: -1s is negative; use NoLeeway for none",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	e := &claims.ConfigError{Pool: -1, Field: "Leeway", Key: "leeway", Problem: "x"}
	if !errors.Is(e, claims.ErrConfig) || errors.Is(e, jwks.ErrConfig) || e.Error() != "claims: config: Leeway: x" {
		t.Errorf("a ConfigError made by hand: %q", e)
	}
}

// TestValidateAcceptsWhatNewAccepts: Validate passes a configuration New
// takes.
func TestValidateAcceptsWhatNewAccepts(t *testing.T) {
	for _, p := range []claims.Pool{
		goodPool(),
		{Issuer: "http://127.0.0.1:9229/local_5x1A", AllowHTTP: true, ClientIDs: []string{"c"}, TokenUse: claims.AnyToken},
		{UserPoolID: "eu-west-1_AbC", JWKSURL: "https://keys.example.com/jwks.json", SkipClientIDCheck: true, TokenUse: claims.IDToken},
	} {
		cfg := claims.Config{Pools: []claims.Pool{p}, JWKS: jwksConfig(0)}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Validate(%+v): %v", p, err)
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
			// The primary issuer; TestPoolIssuers lists the others.
			if got := v.Issuers(); len(got) == 0 || got[0] != tt.want {
				t.Errorf("Issuers() = %q, want %q first", got, tt.want)
			}
			if got := v.Keys().Sets(); len(got) != 1 {
				t.Errorf("%d key sets fetched from the start, want 1 (the primary issuer's)", len(got))
			}
			if got := v.Keys().Set(tt.want).URL(); got != tt.want+"/.well-known/jwks.json" {
				t.Errorf("key set URL = %q", got)
			}
		})
	}
}
