package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// problem is a configuration problem the verifier found, placed in the
// file.
type problem struct{ field, msg string }

// claimsProblems has the verifier check cc, everything New would check,
// and places each problem at the YAML field it is about, in YAML terms.
//
// The key set's problems are typed (*jwks.ConfigError: the key and the
// problem in YAML terms); claims reports its own as text ("claims: config:
// pool 0 (…): …"), which this attributes by matching, until claims has a
// typed error too.
func claimsProblems(cc claims.Config) []problem {
	err := cc.Validate()
	if err == nil {
		return nil
	}
	var out []problem
	for _, e := range joined(err) {
		msg := strings.TrimPrefix(e.Error(), "claims: config: ")
		m := poolErrPrefix.FindStringSubmatch(msg)
		prefix := ""
		if m != nil {
			i, _ := strconv.Atoi(m[1])
			prefix = fmt.Sprintf("pools[%d].", i)
		}
		if kerrs := keySetErrors(e); len(kerrs) > 0 {
			for _, ke := range kerrs {
				out = append(out, problem{prefix + orDefault(ke.Key, "jwks"), ke.Problem})
			}
			continue
		}
		if m != nil {
			rest := msg[len(m[0]):]
			if strings.HasPrefix(rest, "TokenUse") {
				continue // the binary checks token_use itself (pools)
			}
			out = append(out, problem{prefix + poolKey(rest), yamlKeys.Replace(rest)})
			continue
		}
		switch {
		case msg == "no user pools", strings.HasPrefix(msg, "Leeway"):
			continue // the binary checks pools and leeway itself
		case strings.Contains(msg, "lgorithm"):
			out = append(out, problem{"algorithms", yamlKeys.Replace(msg)})
		case strings.HasPrefix(msg, "Cache"):
			out = append(out, problem{"token_cache", yamlKeys.Replace(msg)})
		default:
			out = append(out, problem{"", yamlKeys.Replace(msg)})
		}
	}
	return out
}

// keySetErrors returns the key-set problems err holds, however wrapped
// and joined.
func keySetErrors(err error) []*jwks.ConfigError {
	var ke *jwks.ConfigError
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var out []*jwks.ConfigError
		for _, e := range u.Unwrap() {
			out = append(out, keySetErrors(e)...)
		}
		return out
	case interface{ Unwrap() error }:
		return keySetErrors(u.Unwrap())
	}
	if errors.As(err, &ke) {
		return []*jwks.ConfigError{ke}
	}
	return nil
}

// poolErrPrefix is the part of a claims pool error that the file position
// replaces; it captures the pool's index.
var poolErrPrefix = regexp.MustCompile(`^pool (\d+)( \([^)]*\))?: `)

// yamlKeys turns the Go field names of claims' and jwks' errors into the
// configuration file's keys.
var yamlKeys = strings.NewReplacer(
	"UserPoolID", "user_pool_id", "SkipClientIDCheck", "skip_client_id_check", "ClientIDs", "client_ids",
	"TokenUse", "token_use", "AllowHTTP", "allow_http", "JWKSURL", "jwks_url", "Issuer", "issuer",
	"Algorithms", "algorithms", "NoLeeway", "no_leeway", "Leeway", "leeway",
	"RefreshInterval", "jwks.refresh_interval", "Cooldown", "jwks.cooldown", "MaxBackoff", "jwks.max_backoff",
	"MaxStaleness", "jwks.max_staleness", "FetchTimeout", "jwks.fetch_timeout", "MaxResponseBytes", "jwks.max_response_bytes",
	"Cache.Disabled", "token_cache.disabled", "Cache limits", "token_cache limits",
)

// poolKey returns the key of a pool that a pool problem is about.
func poolKey(msg string) string {
	for _, k := range []struct{ prefix, key string }{
		{"user pool id %q is in region", "region"}, {"user pool id", "user_pool_id"}, {"neither UserPoolID", "user_pool_id"},
		{"issuer", "issuer"}, {"ClientIDs and SkipClientIDCheck", "skip_client_id_check"}, {"client id", "client_ids"},
		{"no ClientIDs", "client_ids"},
	} {
		before, _, _ := strings.Cut(k.prefix, "%q")
		if strings.HasPrefix(msg, before) && (before == k.prefix || strings.Contains(msg, k.prefix[len(before)+2:])) {
			return k.key
		}
	}
	return "jwks_url" // the key set's own checks
}
