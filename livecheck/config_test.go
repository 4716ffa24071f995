package livecheck_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/livecheck"
)

// TestConfigErrors: every problem is refused by New and Validate, named
// by its Go field and its configuration file key.
func TestConfigErrors(t *testing.T) {
	pool := []livecheck.Pool{{UserPoolID: poolID}}
	tests := []struct {
		name             string
		cfg              livecheck.Config
		pool             int
		field, key, text string
	}{
		{"no pools", livecheck.Config{}, -1, "Pools", "pools", "empty"},
		{"empty pool", livecheck.Config{Pools: []livecheck.Pool{{}}}, 0, "UserPoolID", "user_pool_id", "required"},
		{"bad pool id", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: "LiveTest1"}}}, 0, "UserPoolID", "user_pool_id", `"LiveTest1"`},
		{"id and issuer", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Issuer: issuer}}}, 0, "Issuer", "issuer", "not both"},
		{"bad replica", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Regions: []string{"moon-1"}}}}, 0, "Regions", "regions", `"moon-1"`},
		{"own region as replica", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Regions: []string{"eu-west-1"}}}}, 0, "Regions", "regions", "own region"},
		{"replica twice", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Regions: []string{"us-west-2", "us-west-2"}}}}, 0, "Regions", "regions", "twice"},
		{"regions with an issuer", livecheck.Config{Pools: []livecheck.Pool{{Issuer: issuer, Regions: []string{"us-west-2"}}}}, 0, "Regions", "regions", "only with user_pool_id"},
		{"http issuer", livecheck.Config{Pools: []livecheck.Pool{{Issuer: "http://127.0.0.1:9229/local_abc", Endpoint: "http://127.0.0.1:9229/"}}}, 0, "AllowHTTP", "allow_http", "plain http"},
		{"issuer with a slash", livecheck.Config{Pools: []livecheck.Pool{{Issuer: issuer + "/"}}}, 0, "Issuer", "issuer", "trailing slash"},
		{"emulator issuer without endpoint", livecheck.Config{Pools: []livecheck.Pool{{Issuer: "https://emulator.example/local_abc"}}}, 0, "Endpoint", "live_check_endpoint", "not a Cognito issuer"},
		{"http endpoint", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Endpoint: "http://127.0.0.1:9229/"}}}, 0, "AllowHTTP", "allow_http", "plain http"},
		{"endpoint with a path", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Endpoint: "https://proxy.example/cognito"}}}, 0, "Endpoint", "live_check_endpoint", "path"},
		{"endpoint with a query", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Endpoint: "https://proxy.example/?a=b"}}}, 0, "Endpoint", "live_check_endpoint", "query"},
		{"endpoint with credentials", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Endpoint: "https://u:p@proxy.example/"}}}, 0, "Endpoint", "live_check_endpoint", "credentials"},
		{"endpoint not a URL", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Endpoint: "::"}}}, 0, "Endpoint", "live_check_endpoint", "not a URL"},
		{"endpoint ftp", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Endpoint: "ftp://proxy.example/"}}}, 0, "Endpoint", "live_check_endpoint", "https"},
		{"endpoint without host", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID, Endpoint: "https:///"}}}, 0, "Endpoint", "live_check_endpoint", "no host"},
		{"pool twice", livecheck.Config{Pools: []livecheck.Pool{{UserPoolID: poolID}, {Issuer: issuer}}}, 1, "Issuer", "issuer", "pool 0's"},
		{"negative timeout", livecheck.Config{Pools: pool, Timeout: -1}, -1, "Timeout", "live_check.timeout", "negative"},
		{"long timeout", livecheck.Config{Pools: pool, Timeout: time.Minute}, -1, "Timeout", "live_check.timeout", "more than"},
		{"negative max bytes", livecheck.Config{Pools: pool, MaxResponseBytes: -1}, -1, "MaxResponseBytes", "live_check.max_response_bytes", "negative"},
		{"huge max bytes", livecheck.Config{Pools: pool, MaxResponseBytes: 1 << 30}, -1, "MaxResponseBytes", "live_check.max_response_bytes", "more than"},
		{"negative ttl", livecheck.Config{Pools: pool, CacheTTL: -time.Second}, -1, "CacheTTL", "live_check.cache_ttl", "negative"},
		{"long ttl", livecheck.Config{Pools: pool, CacheTTL: time.Hour}, -1, "CacheTTL", "live_check.cache_ttl", "more than"},
		{"negative entries", livecheck.Config{Pools: pool, MaxEntries: -1}, -1, "MaxEntries", "live_check.max_entries", "negative"},
		{"negative concurrency", livecheck.Config{Pools: pool, MaxConcurrent: -1}, -1, "MaxConcurrent", "live_check.max_concurrent", "negative"},
		{"negative rate", livecheck.Config{Pools: pool, Rate: -1}, -1, "Rate", "live_check.rate", "calls a second"},
		{"NaN rate", livecheck.Config{Pools: pool, Rate: math.NaN()}, -1, "Rate", "live_check.rate", "calls a second"},
		{"infinite rate", livecheck.Config{Pools: pool, Rate: math.Inf(1)}, -1, "Rate", "live_check.rate", "calls a second"},
		{"negative burst", livecheck.Config{Pools: pool, Burst: -1}, -1, "Burst", "live_check.burst", "negative"},
		{"negative cooldown", livecheck.Config{Pools: pool, Cooldown: -1}, -1, "Cooldown", "live_check.cooldown", "negative"},
		{"backoff below cooldown", livecheck.Config{Pools: pool, Cooldown: time.Minute}, -1, "MaxBackoff", "live_check.max_backoff", "shorter than"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if err != nil && strings.Contains(err.Error(), "u:p@") {
			t.Errorf("%s: the endpoint's credentials in %v", tt.name, err)
		}
		var ce *livecheck.ConfigError
		switch {
		case !errors.Is(err, livecheck.ErrConfig) || !errors.As(err, &ce):
			t.Errorf("%s: %v, want a ConfigError", tt.name, err)
			continue
		case ce.Pool != tt.pool || ce.Field != tt.field || ce.Key != tt.key || !strings.Contains(ce.Problem, tt.text):
			t.Errorf("%s: %+v, want pool %d, %s (%s) with %q", tt.name, *ce, tt.pool, tt.field, tt.key, tt.text)
		}
		if c, err2 := livecheck.New(tt.cfg); c != nil || err2 == nil || err2.Error() != err.Error() {
			t.Errorf("%s: New = %v, %v; want Validate's error", tt.name, c, err2)
		}
	}
}

// TestConfigReportsEveryProblem: one error per problem, pools first.
func TestConfigReportsEveryProblem(t *testing.T) {
	err := livecheck.Config{Pools: []livecheck.Pool{{}, {UserPoolID: "x"}}, Timeout: -1, Burst: -1}.Validate()
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *livecheck.ConfigError
		if errors.As(e, &ce) {
			fields = append(fields, ce.Field)
		}
	}
	if got, want := strings.Join(fields, ","), "UserPoolID,UserPoolID,Timeout,Burst"; got != want {
		t.Errorf("fields %s, want %s", got, want)
	}
	if want := "livecheck: config: pool 1: UserPoolID: "; !strings.Contains(err.Error(), want) {
		t.Errorf("%v, want %q", err, want)
	}
}

// TestConfigAccepted: the forms a configuration may take, and the
// endpoints they make.
func TestConfigAccepted(t *testing.T) {
	tests := []struct {
		name string
		pool livecheck.Pool
		want []string
	}{
		{"pool id", livecheck.Pool{UserPoolID: poolID}, []string{"https://cognito-idp.eu-west-1.amazonaws.com/"}},
		{"replicas", livecheck.Pool{UserPoolID: poolID, Regions: []string{"us-west-2", "ap-south-1"}}, []string{
			"https://cognito-idp.ap-south-1.amazonaws.com/", "https://cognito-idp.eu-west-1.amazonaws.com/", "https://cognito-idp.us-west-2.amazonaws.com/"}},
		{"Cognito issuer", livecheck.Pool{Issuer: issuer}, []string{"https://cognito-idp.eu-west-1.amazonaws.com/"}},
		{"updated issuer", livecheck.Pool{Issuer: "https://issuer-cognito-idp.eu-west-1.amazonaws.com/" + poolID}, []string{"https://cognito-idp.eu-west-1.amazonaws.com/"}},
		{"emulator", livecheck.Pool{Issuer: "http://127.0.0.1:9229/local_abc", Endpoint: "http://127.0.0.1:9229", AllowHTTP: true}, []string{"http://127.0.0.1:9229/"}},
		{"endpoint for every issuer", livecheck.Pool{UserPoolID: poolID, Regions: []string{"us-west-2"}, Endpoint: "https://vpce.example/"}, []string{"https://vpce.example/"}},
	}
	for _, tt := range tests {
		c, err := livecheck.New(livecheck.Config{Pools: []livecheck.Pool{tt.pool}})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var got []string
		for _, e := range c.Status().Endpoints {
			got = append(got, e.URL)
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: endpoints %q, want %q", tt.name, got, tt.want)
		}
		c.Close()
	}
}
