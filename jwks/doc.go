// Package jwks fetches, validates and caches the JSON Web Key Sets of
// Amazon Cognito user pools (or any issuer that publishes RSA signing keys),
// one key set per configured issuer.
//
// A [Cache] is built once from the list of issuers it may contact; a token's
// issuer selects one of those or nothing, so a token can never make the cache
// fetch from an address that was not configured. Each issuer's keys live in an
// immutable snapshot that readers load without locks. The cache refreshes
// every set in the background (every [DefaultRefreshInterval], give or take
// up to 10% so that gates started together do not refresh together) and on
// demand when a token names a kid the set does not hold — at most one fetch
// per issuer at a time, and never within [DefaultCooldown] of the previous
// attempt, so a flood of tokens with made-up kids costs no more than one
// fetch per cooldown. When a refresh fails the last good keys keep being
// served, up to [Config.MaxStaleness], while retries back off exponentially.
//
// A source may also give its keys instead of an address ([Source.Keys]): a
// static set, checked like a fetched one, held from the start and never
// fetched, for tests, air-gapped deployments and pools whose keys are known.
//
// Keys are accepted only when they are RSA public keys of 2048 to 8192 bits,
// with "use" "sig" or absent, "key_ops" holding "verify" or absent, "alg"
// RS256, RS384, RS512 or absent, and a
// unique non-empty "kid". Any other entry is skipped and reported (with a
// snake_case reason, [SkippedKey]); a fetched set with no usable key is a
// failed fetch, a static set with any unusable entry a configuration error.
//
// Configuration problems are [*ConfigError] values, one per problem, which
// name the field at fault both as Go spells it and as cognito-gate's
// configuration file does. Every other error wraps one of the sentinel
// errors in errors.go.
//
// All methods are safe for concurrent use. [Cache.Close] stops the background
// goroutines.
package jwks
