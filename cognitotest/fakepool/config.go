package fakepool

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Defaults used by New for the zero Config. They are fixed so that
// examples and golden outputs are stable.
const (
	// DefaultRegion is the AWS region of a pool whose Config has neither a
	// Region nor a PoolID.
	DefaultRegion = "us-east-1"
	// DefaultPoolSuffix is the part after "<region>_" of the default user
	// pool id, e.g. "us-east-1_GateTest1".
	DefaultPoolSuffix = "GateTest1"
	// DefaultClientID is the default app client id: 26 lowercase letters
	// and digits, like the ids Cognito gives app clients.
	DefaultClientID = "6q7gatetest0client0id12345"
	// DefaultTokenLifetime is how long minted tokens are valid, like
	// Cognito's default for access and ID tokens.
	DefaultTokenLifetime = time.Hour
	// DefaultUsername is the username of tokens minted without WithUsername.
	DefaultUsername = "alice"
	// DefaultScope is the scope of access tokens minted without WithScopes:
	// the scope Cognito grants to tokens from its user-pool API sign-in.
	DefaultScope = "aws.cognito.signin.user.admin"
)

// defaultClientScope is the scope of client-credentials tokens minted
// without WithScopes (see Pool.ClientCredentialsToken).
const defaultClientScope = "gate-test/read"

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	poolPattern   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$`)
)

// Config describes a fake user pool. The zero value is a valid pool in
// us-east-1 with fixed ids (see the Default constants).
type Config struct {
	// Region is the AWS region, e.g. "eu-west-1". Empty means the region
	// of PoolID, or DefaultRegion when PoolID is empty too.
	Region string
	// PoolID is the user pool id, "<region>_<alnum>". Empty means
	// Region + "_" + DefaultPoolSuffix. Its region part must equal Region.
	PoolID string
	// ClientID is the app client id: the client_id claim of access tokens
	// and the aud claim of ID tokens. Empty means DefaultClientID.
	ClientID string
	// Issuer is the iss claim of minted tokens. Empty means the real
	// Cognito form "https://cognito-idp.<Region>.amazonaws.com/<PoolID>"
	// (or the updated form, see UpdatedIssuer; unless LocalIssuer is set).
	// The keys are served by the local server whatever the issuer is; see
	// Pool.JWKSURL.
	Issuer string
	// LocalIssuer, when set, makes the issuer "http://127.0.0.1:<port>/<PoolID>",
	// the local server, so that "<issuer>/.well-known/jwks.json" is
	// JWKSURL, as with Cognito. It cannot be combined with Issuer,
	// UpdatedIssuer or ReplicaRegions. A verifier has to allow plain-HTTP
	// issuers to accept such tokens.
	LocalIssuer bool
	// UpdatedIssuer puts the pool on the updated issuer configuration (as
	// Cognito's IssuerConfigurationType UPDATED), instead of the original
	// one (ORIGINAL). On the original issuer, tokens carry
	// https://cognito-idp.<region>.amazonaws.com/<PoolID>, region being the
	// region that issued them (Region, or a replica's, see Pool.InRegion),
	// each region serves its own key set at <issuer>/.well-known/jwks.json,
	// and the updated endpoint
	// https://issuer-cognito-idp.<Region>.amazonaws.com/<PoolID>/.well-known/jwks.json
	// answers 403, as Cognito's does for a pool never switched to the
	// updated issuer. On the updated issuer, tokens of every region carry
	// https://issuer-cognito-idp.<Region>.amazonaws.com/<PoolID> (Region is
	// the primary region; it is the default Issuer), whose key set holds
	// every region's keys (Cognito hosts the same key set in every region),
	// and the original endpoints keep serving each region's keys. See
	// Pool.HTTPClient for reaching these endpoints.
	UpdatedIssuer bool
	// ReplicaRegions lists the regions the pool is replicated to (Cognito
	// Multi-Region Replication), not Region itself: each gets signing keys
	// of its own and a key endpoint at its region's original issuer, and
	// Pool.InRegion mints its tokens. Regions must look like AWS regions and
	// appear once.
	ReplicaRegions []string
	// Now is the clock for the iat, auth_time and exp claims. Nil means
	// time.Now.
	Now func() time.Time
	// TokenLifetime is exp minus iat of minted tokens. Zero means
	// DefaultTokenLifetime; negative is an error (mint expired tokens with
	// WithExpiry or WithIssuedAt instead).
	TokenLifetime time.Duration
}

// withDefaults returns cfg with its empty fields filled in and checked. The
// issuer of a LocalIssuer pool is left empty: it needs the port.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.PoolID != "" {
		if !poolPattern.MatchString(cfg.PoolID) {
			return cfg, fmt.Errorf("%w: pool id %q does not look like <region>_<alnum>", ErrInvalidConfig, cfg.PoolID)
		}
		region, _, _ := strings.Cut(cfg.PoolID, "_")
		if cfg.Region == "" {
			cfg.Region = region
		} else if cfg.Region != region {
			return cfg, fmt.Errorf("%w: pool id %q is not in region %q", ErrInvalidConfig, cfg.PoolID, cfg.Region)
		}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if !regionPattern.MatchString(cfg.Region) {
		return cfg, fmt.Errorf("%w: region %q does not look like an AWS region", ErrInvalidConfig, cfg.Region)
	}
	if cfg.PoolID == "" {
		cfg.PoolID = cfg.Region + "_" + DefaultPoolSuffix
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	for i, r := range cfg.ReplicaRegions {
		switch {
		case !regionPattern.MatchString(r):
			return cfg, fmt.Errorf("%w: replica region %q does not look like an AWS region", ErrInvalidConfig, r)
		case r == cfg.Region:
			return cfg, fmt.Errorf("%w: replica region %q is the pool's own region", ErrInvalidConfig, r)
		case slices.Contains(cfg.ReplicaRegions[:i], r):
			return cfg, fmt.Errorf("%w: replica region %q is listed twice", ErrInvalidConfig, r)
		}
	}
	cfg.ReplicaRegions = slices.Clone(cfg.ReplicaRegions)
	switch {
	case cfg.LocalIssuer && cfg.Issuer != "":
		return cfg, fmt.Errorf("%w: both Issuer and LocalIssuer are set", ErrInvalidConfig)
	case cfg.LocalIssuer && (cfg.UpdatedIssuer || len(cfg.ReplicaRegions) > 0):
		return cfg, fmt.Errorf("%w: LocalIssuer is one issuer; it cannot be combined with UpdatedIssuer or ReplicaRegions", ErrInvalidConfig)
	case cfg.Issuer != "" || cfg.LocalIssuer:
	case cfg.UpdatedIssuer:
		cfg.Issuer = "https://issuer-cognito-idp." + cfg.Region + ".amazonaws.com/" + cfg.PoolID
	default:
		cfg.Issuer = "https://cognito-idp." + cfg.Region + ".amazonaws.com/" + cfg.PoolID
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.TokenLifetime < 0:
		return cfg, fmt.Errorf("%w: negative token lifetime %v", ErrInvalidConfig, cfg.TokenLifetime)
	case cfg.TokenLifetime == 0:
		cfg.TokenLifetime = DefaultTokenLifetime
	}
	return cfg, nil
}
