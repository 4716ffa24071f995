package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
)

// problem is a configuration problem the verifier found, placed in the
// file.
type problem struct{ field, msg string }

// claimsProblems has the verifier check cc, everything New would check,
// and places each problem at the YAML field it is about, in YAML terms.
//
// claims reports its problems as text ("claims: config: pool 0 (…): …"),
// which this attributes by matching; a typed error with the pool and the
// key would make it exact (see the report of issue 13).
func claimsProblems(cc claims.Config) []problem {
	err := cc.Validate()
	if err == nil {
		return nil
	}
	var out []problem
	for _, e := range joined(err) {
		msg := strings.TrimPrefix(e.Error(), "claims: config: ")
		if m := poolErrPrefix.FindStringSubmatch(msg); m != nil {
			rest := jwksSourcePrefix.ReplaceAllString(msg[len(m[0]):], "")
			if strings.HasPrefix(rest, "TokenUse") {
				continue // the binary checks token_use itself (pools)
			}
			i, _ := strconv.Atoi(m[1])
			out = append(out, problem{fmt.Sprintf("pools[%d].%s", i, poolKey(rest)), yamlKeys.Replace(rest)})
			continue
		}
		msg = strings.TrimPrefix(msg, "jwks: config: ")
		switch {
		case msg == "no user pools", strings.HasPrefix(msg, "Leeway"):
			continue // the binary checks pools and leeway itself
		case strings.Contains(msg, "lgorithm"):
			out = append(out, problem{"algorithms", yamlKeys.Replace(msg)})
		default:
			out = append(out, problem{fieldOf(msg), yamlKeys.Replace(msg)})
		}
	}
	return out
}

// poolErrPrefix is the part of a claims pool error that the file position
// replaces; it captures the pool's index.
var poolErrPrefix = regexp.MustCompile(`^pool (\d+)( \([^)]*\))?: `)

// jwksSourcePrefix is the key-set part of a pool error, which names the
// issuer again.
var jwksSourcePrefix = regexp.MustCompile(`^jwks: source \S+: `)

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

// fieldOf returns the field of a key-set or cache problem: that of the
// first setting it names.
func fieldOf(msg string) string {
	for _, f := range []struct{ goName, field string }{
		{"RefreshInterval", "jwks.refresh_interval"}, {"Cooldown", "jwks.cooldown"}, {"MaxBackoff", "jwks.max_backoff"},
		{"MaxStaleness", "jwks.max_staleness"}, {"FetchTimeout", "jwks.fetch_timeout"}, {"MaxResponseBytes", "jwks.max_response_bytes"},
		{"Cache", "token_cache"},
	} {
		if strings.HasPrefix(msg, f.goName) {
			return f.field
		}
	}
	return "jwks"
}

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
