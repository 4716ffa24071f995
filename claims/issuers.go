package claims

import (
	"slices"
	"strings"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// IssuerFormat is one of the two forms of a Cognito user pool's issuer, as
// Cognito's IssuerConfigurationType names them (ORIGINAL, UPDATED).
type IssuerFormat string

// Issuer formats, for Pool.IssuerFormats.
const (
	// IssuerOriginal is https://cognito-idp.<region>.amazonaws.com/<pool>,
	// where region is the region that issued the token: the pool's own
	// region, or a replica's (Multi-Region Replication). Every pool has it.
	IssuerOriginal IssuerFormat = "original"
	// IssuerUpdated is https://issuer-cognito-idp.<region>.amazonaws.com/<pool>,
	// where region is always the pool's primary region, whichever region
	// issued the token: the issuer of pools switched to the updated issuer
	// configuration, whose key set is the same in every region.
	IssuerUpdated IssuerFormat = "updated"
)

// isRegion reports whether s is an AWS region name as the region part of
// a user pool id: two lower-case letters, one or more words of lower-case
// letters each after a "-", then "-" and one digit ("eu-west-1",
// "us-gov-west-1"; the regular expression ^[a-z]{2}(?:-[a-z]+)+-[0-9]$,
// which FuzzRegionAndPoolID holds it to). It is written out rather than a
// regexp because ParseIssuer, which calls it, runs on every request that
// reads a token's pool id (identity headers, policy conditions on pools),
// where the two regexps were 12% of a forward-auth subrequest's handler.
func isRegion(s string) bool {
	n := len(s)
	if n < len("ab-c-1") || !isLower(s[0]) || !isLower(s[1]) || s[n-2] != '-' || s[n-1] < '0' || s[n-1] > '9' {
		return false
	}
	// Between the first two letters and the final "-<digit>": one or more
	// "-" each followed by at least one letter.
	words := s[2 : n-2]
	if words[0] != '-' || words[len(words)-1] == '-' {
		return false
	}
	for i := 0; i < len(words); i++ {
		switch c := words[i]; {
		case c == '-':
			if words[i+1] == '-' { // i+1 < len(words): words does not end with '-'
				return false
			}
		case !isLower(c):
			return false
		}
	}
	return true
}

// poolRegion returns the region of poolID when poolID is a user pool id,
// <region>_<suffix> with a suffix of one or more ASCII letters and digits
// (^([a-z]{2}(?:-[a-z]+)+-[0-9])_[0-9A-Za-z]+$, held to it by
// FuzzRegionAndPoolID), and ok false otherwise.
func poolRegion(poolID string) (region string, ok bool) {
	region, suffix, found := strings.Cut(poolID, "_")
	if !found || suffix == "" || !isRegion(region) {
		return "", false
	}
	for i := 0; i < len(suffix); i++ {
		if c := suffix[i]; !isLower(c) && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return "", false
		}
	}
	return region, true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// UpdatedIssuer returns the issuer URL of a user pool in the updated
// format, "https://issuer-cognito-idp.<region>.amazonaws.com/<poolID>",
// region being the pool id's (its primary region). CognitoIssuer returns
// the original one.
func UpdatedIssuer(poolID string) (string, error) { return issuerOf(poolID, updatedIssuer) }

// issuerOf is the issuer form makes of poolID and its region, or an error
// when poolID is not <region>_<id>.
func issuerOf(poolID string, form func(region, poolID string) string) (string, error) {
	region, ok := poolRegion(poolID)
	if !ok {
		return "", errorf("user pool id %q: want <region>_<id>, e.g. us-east-1_AbC123", poolID)
	}
	return form(region, poolID), nil
}

// updatedIssuer is the issuer of the pool poolID in the updated format;
// region is the pool's primary region.
func updatedIssuer(region, poolID string) string {
	return "https://issuer-cognito-idp." + region + ".amazonaws.com/" + poolID
}

// IssuerInfo describes a Cognito issuer URL: see ParseIssuer.
type IssuerInfo struct {
	// Format is the issuer's form.
	Format IssuerFormat
	// Region is the region in the host: the region that issued the token
	// (original format) or the pool's primary region (updated format).
	Region string
	// PoolID is the user pool id, the issuer's path. A replica shares its
	// primary's id, so PoolID names the pool whichever region issued the
	// token.
	PoolID string
}

// ParseIssuer reports whether iss is a Cognito user pool issuer, exactly
// https://cognito-idp.<region>.amazonaws.com/<pool id> or
// https://issuer-cognito-idp.<region>.amazonaws.com/<pool id> (lower-case,
// nothing before or after), and describes it. The region of an original
// issuer may be any region (a replica's issuer names the replica's region
// and the primary's pool id); that of an updated issuer must be the pool
// id's own, as Cognito issues it. Anything else — an emulator's issuer, a
// custom domain, another case or a trailing slash — is not one (ok false).
//
// ParseIssuer does not say that a token is genuine: use it on the Issuer of
// a Token that Verify returned, whose issuer is one the verifier accepts.
// It makes no allocation.
func ParseIssuer(iss string) (info IssuerInfo, ok bool) {
	const suffix = ".amazonaws.com/"
	rest, found := strings.CutPrefix(iss, "https://")
	if !found {
		return IssuerInfo{}, false
	}
	if r, found := strings.CutPrefix(rest, "issuer-cognito-idp."); found {
		info.Format, rest = IssuerUpdated, r
	} else if r, found := strings.CutPrefix(rest, "cognito-idp."); found {
		info.Format, rest = IssuerOriginal, r
	} else {
		return IssuerInfo{}, false
	}
	i := strings.Index(rest, suffix)
	if i < 0 {
		return IssuerInfo{}, false
	}
	info.Region, info.PoolID = rest[:i], rest[i+len(suffix):]
	region, ok := poolRegion(info.PoolID)
	switch {
	case !ok, !isRegion(info.Region):
		return IssuerInfo{}, false
	case info.Format == IssuerUpdated && info.Region != region:
		return IssuerInfo{}, false
	}
	return info, true
}

// UserPoolID returns the id of the user pool that issued t, read from its
// issuer (see ParseIssuer), or "" when the issuer is not a Cognito issuer
// (an emulator's, say). Tokens of a replicated pool carry the primary's
// pool id whichever region issued them, so this names the pool where the
// issuer alone would name one region: compare it, not the issuer, to say
// "a token of this pool" whatever its format and region.
func (t *Token) UserPoolID() string {
	info, _ := ParseIssuer(t.Issuer)
	return info.PoolID
}

// poolIssuer is one issuer a pool accepts, with the source of its keys.
type poolIssuer struct {
	src jwks.Source
	// primary marks the pool's primary issuer, whose key set is fetched
	// from the start (Hydrate and Ready wait for it); every other issuer
	// of the pool is fetched on demand.
	primary bool
	// implicit marks an issuer accepted only because IssuerFormats is nil
	// (the updated format): it yields to a pool that names it.
	implicit bool
	// field is the Pool field that made the issuer, for problems.
	field string
}

// secondaryIssuers returns the issuers of the pool at index i other than
// its primary one, which compile makes: its replica regions (original
// format) in order, then the updated format when both are accepted; and
// the problems of IssuerFormats and Regions beyond those formats found.
// region is the region of UserPoolID ("" when the pool has no usable id);
// original, updated and implicit are what formats returned.
func (p Pool) secondaryIssuers(i int, region string, original, updated, implicit bool) ([]poolIssuer, []*ConfigError) {
	var errs []*ConfigError
	fail := func(field, format string, a ...any) { errs = append(errs, poolError(i, field, format, a...)) }

	switch {
	case p.IssuerFormats == nil:
	case p.UserPoolID == "":
		fail("IssuerFormats", "needs user_pool_id: the issuers are made from the pool id")
	case p.Issuer != "":
		fail("IssuerFormats", "set together with issuer, which is one issuer; set one")
	case original && updated && (p.JWKSURL != "" || p.Keys != nil):
		fail("IssuerFormats", "both formats, but jwks_url or keys is one key set and each format has its own; list one format")
	}
	switch {
	case p.Regions == nil:
	case p.UserPoolID == "":
		fail("Regions", "needs user_pool_id: replica issuers are made from the pool id")
	case len(p.Regions) == 0:
		fail("Regions", "empty; leave it unset for a pool that is not replicated")
	case p.Issuer != "":
		fail("Regions", "set together with issuer; replica issuers are made from user_pool_id")
	case p.JWKSURL != "" || p.Keys != nil:
		fail("Regions", "set together with jwks_url or keys, which is one key set; each region has its own")
	case !original:
		fail("Regions", "needs the original issuer format: with the updated format every region's tokens carry the primary region's issuer")
	}
	for k, r := range p.Regions {
		switch {
		case !isRegion(r):
			fail("Regions", "entry %d, %q, is not an AWS region such as us-west-2", k, r)
		case r == region:
			fail("Regions", "entry %d, %q, is the pool's own region; list only the replicas' regions", k, r)
		case slices.Contains(p.Regions[:k], r):
			fail("Regions", "entry %d, %q, is listed twice", k, r)
		}
	}
	if len(errs) > 0 || p.Issuer != "" || region == "" {
		return nil, errs
	}
	var out []poolIssuer
	for _, r := range p.Regions {
		out = append(out, poolIssuer{src: jwks.Source{Issuer: cognitoIssuer(r, p.UserPoolID)}, field: "Regions"})
	}
	if original && updated {
		out = append(out, poolIssuer{src: jwks.Source{Issuer: updatedIssuer(region, p.UserPoolID)}, implicit: implicit, field: "IssuerFormats"})
	}
	return out, nil
}

// formats returns which formats the pool accepts and whether they are
// IssuerFormats' default (nil), appending the list's problems to errs.
// Nil means both for a pool given by UserPoolID alone, and the original
// format alone for a pool with JWKSURL or Keys, which are one issuer's
// key set (and for one with an Issuer, which is then the only issuer).
func (p Pool) formats(i int, errs *[]*ConfigError) (original, updated, implicit bool) {
	if p.IssuerFormats == nil {
		if p.Issuer != "" || p.JWKSURL != "" || p.Keys != nil {
			return true, false, true
		}
		return true, true, true
	}
	fail := func(format string, a ...any) { *errs = append(*errs, poolError(i, "IssuerFormats", format, a...)) }
	if len(p.IssuerFormats) == 0 {
		fail("empty; leave it unset for both formats")
	}
	for k, f := range p.IssuerFormats {
		switch {
		case slices.Contains(p.IssuerFormats[:k], f):
			fail("entry %d, %q, is listed twice", k, f)
		case f == IssuerOriginal:
			original = true
		case f == IssuerUpdated:
			updated = true
		default:
			fail("entry %d, %q: want %q or %q", k, f, IssuerOriginal, IssuerUpdated)
		}
	}
	return original, updated, false
}

// poolError is configErrorf for pool i.
func poolError(i int, field, format string, a ...any) *ConfigError {
	return configErrorf(i, field, format, a...)
}

// alsoAccepted is the problem of pool i, whose issuer iss (made by its
// field) pool j accepts already.
func alsoAccepted(i int, field, iss string, j int) *ConfigError {
	return poolError(i, field, "issuer %q is also accepted by pool %d", iss, j)
}
