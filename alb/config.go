package alb

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// Defaults for the zero values of Config.
const (
	// DefaultMaxKeys is how many keys the cache holds when Config.MaxKeys
	// is zero. A region's load balancers sign with a handful of keys at a
	// time.
	DefaultMaxKeys = 16
	// DefaultMaxNewKeyFetches is how many fetches of kids the cache does
	// not hold may start within one cooldown when Config.MaxNewKeyFetches
	// is zero.
	DefaultMaxNewKeyFetches = 4
	// DefaultMaxKeyBytes caps a key endpoint's answer when
	// Config.Keys.MaxResponseBytes is zero: a PEM-encoded P-256 public key
	// is 178 bytes.
	DefaultMaxKeyBytes = 8 << 10
)

// Config configures a Verifier. There is no usable zero value: Region,
// Issuer, Signers and ClientIDs name what the load balancer is, and New
// refuses a Config without them rather than accept tokens of load
// balancers nobody listed.
type Config struct {
	// Region is the AWS region of the load balancers, e.g. "eu-west-1".
	// Required. Keys are regional: the region's key endpoint signs for
	// the region's load balancers only, so every signer must be in it.
	// The region is configuration, never read from a token.
	Region string

	// KeyURL is the base of the key endpoint: the key of kid K is fetched
	// from KeyURL + "/" + K. Empty means DefaultKeyURL(Region): the
	// endpoint AWS documents for the region (commercial regions and the
	// two GovCloud regions); other partitions (China, the ISO regions,
	// the European Sovereign Cloud) must set it. It must be https (http
	// with AllowHTTP) with a host, without credentials, query, fragment
	// or trailing slash.
	KeyURL string

	// AllowHTTP permits a plain-http KeyURL and Issuer: for tests against
	// a fake load balancer (cognitotest/fakealb) and emulators only. Keys
	// fetched over http can be replaced by anyone on the path.
	AllowHTTP bool

	// Issuer is the exact iss of the tokens: with authenticate-cognito,
	// the user pool's issuer, "https://cognito-idp.<region>.amazonaws.com/<pool id>";
	// with authenticate-oidc, the identity provider's. Required; https
	// (http with AllowHTTP), no query, fragment or trailing slash.
	Issuer string

	// Signers lists the ARNs of the load balancers whose tokens are
	// accepted, compared exactly with the header's signer, e.g.
	// "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188".
	// Required. Each must be an Application Load Balancer's ARN in Region
	// and its partition. The key endpoint is the region's, not one load
	// balancer's: a token of any load balancer in the region verifies
	// under a key it serves, and the signer is what tells yours from
	// another account's.
	Signers []string

	// ClientIDs lists the app clients of the listener rules (the header's
	// client). Required; no empty or padded entry.
	ClientIDs []string

	// Leeway is the clock-skew allowance for exp (and a payload's nbf and
	// iat), as claims.Config.Leeway: zero means claims.DefaultLeeway
	// (5 s), claims.NoLeeway none, at most claims.MaxLeeway.
	Leeway time.Duration

	// MaxTokenBytes caps the header value, checked before anything is
	// decoded. Zero means claims.DefaultMaxTokenBytes (16 KiB): the load
	// balancer refuses user claims and access token over 11 KiB together,
	// so a genuine data token is smaller.
	MaxTokenBytes int

	// Now is the clock. Nil means time.Now. It is also the key cache's,
	// unless Keys.Now is set.
	Now func() time.Time

	// MaxKeys bounds the key cache: at most this many keys are held (the
	// one used least recently is forgotten first), and at most this many
	// kids whose fetch failed are remembered for their cooldown (the
	// oldest first forgotten). Zero means DefaultMaxKeys.
	MaxKeys int

	// MaxNewKeyFetches bounds the fetches for kids the cache does not
	// hold: at most this many start within any Keys.Cooldown (a token
	// bucket refilled evenly over the cooldown). A token whose kid would
	// need a fetch beyond it fails at once with claims.ErrUnknownKID,
	// without a request. Zero means DefaultMaxNewKeyFetches.
	MaxNewKeyFetches int

	// Keys tunes the key cache as it tunes a key set cache: HTTPClient
	// (nil: a client like jwks.DefaultHTTPClient's, which follows no
	// redirects, with FetchTimeout as its timeout), FetchTimeout,
	// MaxResponseBytes (zero here means DefaultMaxKeyBytes, 8 KiB),
	// RefreshInterval (a held key older than this is fetched again, in
	// the background, when next used), Cooldown (the shortest time
	// between two fetches of one kid, doubling after each failure up to
	// MaxBackoff), MaxStaleness (a held key whose fetches have failed for
	// this long is not used any more), Now and Observer. Their defaults
	// and checks are jwks.Config's.
	Keys jwks.Config
}

// compiled is a validated Config with its defaults.
type compiled struct {
	issuer           string
	signers, clients []string
	leeway           time.Duration
	maxBytes         int
	now              func() time.Time
	keyURL           string
	maxKeys          int
	maxNewFetches    int
	keys             jwks.Config
	ownClient        bool // keys.HTTPClient was made here
}

// Validate reports whether cfg is usable: nil exactly when New(cfg) would
// succeed, or the joined *ConfigErrors of every problem, in the order
// Config declares its fields.
func (cfg Config) Validate() error {
	_, err := cfg.compile()
	return err
}

// compile validates cfg and fills in its defaults.
func (cfg Config) compile() (*compiled, error) {
	var errs []*ConfigError
	fail := func(field, format string, a ...any) { errs = append(errs, configErrorf(field, format, a...)) }
	cc := &compiled{
		issuer:        cfg.Issuer,
		signers:       slices.Clone(cfg.Signers),
		clients:       slices.Clone(cfg.ClientIDs),
		leeway:        cfg.Leeway,
		maxBytes:      cmp.Or(cfg.MaxTokenBytes, claims.DefaultMaxTokenBytes),
		now:           cfg.Now,
		keyURL:        cfg.KeyURL,
		maxKeys:       cmp.Or(cfg.MaxKeys, DefaultMaxKeys),
		maxNewFetches: cmp.Or(cfg.MaxNewKeyFetches, DefaultMaxNewKeyFetches),
		keys:          cfg.Keys,
	}

	if cc.now == nil {
		cc.now = time.Now
	}
	partition, regionOK := "", false
	switch {
	case cfg.Region == "":
		fail("Region", "required, e.g. \"eu-west-1\"")
	case !regionPattern.MatchString(cfg.Region):
		fail("Region", "%q does not look like an AWS region, e.g. \"eu-west-1\"", cfg.Region)
	default:
		partition, regionOK = partitionOf(cfg.Region), true
	}

	switch {
	case cfg.KeyURL != "":
		if err := checkKeyURL(cfg.KeyURL, cfg.AllowHTTP); err != nil {
			errs = append(errs, err)
		}
	case regionOK:
		u, err := DefaultKeyURL(cfg.Region)
		if err != nil {
			fail("KeyURL", "required in region %q: %v", cfg.Region, err)
		}
		cc.keyURL = u
	}

	if cfg.Issuer == "" {
		fail("Issuer", "required: the iss of the tokens, e.g. the user pool's issuer")
	} else {
		// The module's one issuer check: https (or allowed http), a host,
		// no credentials, query, fragment or trailing slash.
		for _, e := range unjoin(jwks.Source{Issuer: cfg.Issuer, AllowHTTP: cfg.AllowHTTP}.Validate()) {
			je := &jwks.ConfigError{Field: "Issuer", Problem: e.Error()}
			errors.As(e, &je)
			fail(je.Field, "%s", je.Problem)
		}
	}

	if len(cfg.Signers) == 0 {
		fail("Signers", "empty; list the ARNs of the load balancers whose tokens are accepted")
	}
	for i, arn := range cfg.Signers {
		if p := checkSigner(arn, cfg.Region, partition, regionOK); p != "" {
			fail("Signers", "entry %d, %q: %s", i, arn, p)
		}
	}
	if len(cfg.ClientIDs) == 0 {
		fail("ClientIDs", "empty; list the app clients of the listener rules")
	}
	for i, id := range cfg.ClientIDs {
		if strings.TrimSpace(id) == "" || id != strings.TrimSpace(id) {
			fail("ClientIDs", "entry %d, %q, is empty or padded", i, id)
		}
	}

	switch {
	case cc.leeway == 0:
		cc.leeway = claims.DefaultLeeway
	case cc.leeway == claims.NoLeeway:
		cc.leeway = 0
	case cc.leeway < 0:
		fail("Leeway", "%s is negative; use no_leeway for none", cc.leeway)
	case cc.leeway > claims.MaxLeeway:
		fail("Leeway", "%s is over %s", cc.leeway, claims.MaxLeeway)
	}
	if cc.maxBytes < 256 {
		fail("MaxTokenBytes", "%d is too small for any token", cfg.MaxTokenBytes)
	}
	if cfg.MaxKeys < 0 {
		fail("MaxKeys", "%d is negative", cfg.MaxKeys)
	}
	if cfg.MaxNewKeyFetches < 0 {
		fail("MaxNewKeyFetches", "%d is negative", cfg.MaxNewKeyFetches)
	}
	errs = append(errs, fromJWKS(cfg.Keys.Validate())...)
	if len(errs) > 0 {
		list := make([]error, len(errs))
		for i, e := range errs {
			list[i] = e
		}
		return nil, errors.Join(list...)
	}

	k := &cc.keys
	k.FetchTimeout = cmp.Or(k.FetchTimeout, jwks.DefaultFetchTimeout)
	k.MaxResponseBytes = cmp.Or(k.MaxResponseBytes, DefaultMaxKeyBytes)
	k.RefreshInterval = cmp.Or(k.RefreshInterval, jwks.DefaultRefreshInterval)
	k.Cooldown = cmp.Or(k.Cooldown, jwks.DefaultCooldown)
	k.MaxBackoff = cmp.Or(k.MaxBackoff, jwks.DefaultMaxBackoff)
	k.MaxStaleness = cmp.Or(k.MaxStaleness, jwks.DefaultMaxStaleness)
	if k.Now == nil {
		k.Now = cc.now
	}
	if k.HTTPClient == nil {
		k.HTTPClient, cc.ownClient = newHTTPClient(k.FetchTimeout), true
	}
	return cc, nil
}

// newHTTPClient returns jwks.DefaultHTTPClient (no redirects followed,
// 2 s to connect) with fetchTimeout as its response and overall timeout,
// so that the client never gives up before FetchTimeout does.
func newHTTPClient(fetchTimeout time.Duration) *http.Client {
	c := jwks.DefaultHTTPClient()
	c.Timeout = fetchTimeout
	if t, ok := c.Transport.(*http.Transport); ok {
		t.ResponseHeaderTimeout = fetchTimeout
	}
	return c
}

// regionPattern matches AWS region names: "eu-west-1", "us-gov-west-1",
// "us-isob-east-1", "eusc-de-east-1".
var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}$`)

// partitionOf returns the AWS partition of a region name.
func partitionOf(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"us-gov-", "aws-us-gov"},
		{"cn-", "aws-cn"},
		{"us-isob-", "aws-iso-b"},
		{"us-isof-", "aws-iso-f"},
		{"eu-isoe-", "aws-iso-e"},
		{"us-iso-", "aws-iso"},
		{"eusc-", "aws-eusc"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// DefaultKeyURL returns the key endpoint AWS documents for the load
// balancers of region (Elastic Load Balancing user guide, "User claims
// encoding and signature verification"): in the commercial regions
// "https://public-keys.auth.elb.<region>.amazonaws.com", in AWS GovCloud
// (US-West and US-East) "https://s3-<region>.amazonaws.com/aws-elb-public-keys-prod-<region>".
// For a region of another partition it returns an error: no endpoint is
// documented there, and guessing one would send every kid to an address
// nobody chose.
func DefaultKeyURL(region string) (string, error) {
	if !regionPattern.MatchString(region) {
		return "", fmt.Errorf("alb: %q is not an AWS region", region)
	}
	switch p := partitionOf(region); {
	case p == "aws":
		return "https://public-keys.auth.elb." + region + ".amazonaws.com", nil
	case region == "us-gov-west-1" || region == "us-gov-east-1":
		return "https://s3-" + region + ".amazonaws.com/aws-elb-public-keys-prod-" + region, nil
	default:
		return "", fmt.Errorf("alb: no documented key endpoint for region %q (partition %s); set key_url", region, p)
	}
}

// checkKeyURL validates a configured key endpoint base.
func checkKeyURL(raw string, allowHTTP bool) *ConfigError {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return configErrorf("KeyURL", "%q is not a URL", raw)
	case u.Scheme == "http" && !allowHTTP:
		return configErrorf("AllowHTTP", "key_url %q is plain http; set allow_http for tests only", raw)
	case u.Scheme != "https" && u.Scheme != "http":
		return configErrorf("KeyURL", "%q: scheme must be https", raw)
	case u.User != nil:
		// Not quoted back: the URL holds a secret.
		return configErrorf("KeyURL", "must not carry credentials")
	case u.Host == "":
		return configErrorf("KeyURL", "%q has no host", raw)
	case strings.ContainsAny(raw, "?#") || strings.HasSuffix(raw, "/"):
		return configErrorf("KeyURL", "%q: want scheme://host[/path] with no query, fragment or trailing slash (the kid is appended after a slash)", raw)
	}
	return nil
}

// signerPattern matches an Application Load Balancer's ARN: partition,
// region, account, name (1 to 32 letters, digits and hyphens) and id.
var signerPattern = regexp.MustCompile(`^arn:([a-z-]+):elasticloadbalancing:([a-z0-9-]+):[0-9]{12}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)

// checkSigner returns what is wrong with the configured signer arn, or "".
func checkSigner(arn, region, partition string, regionOK bool) string {
	m := signerPattern.FindStringSubmatch(arn)
	switch {
	case m == nil:
		return "not an Application Load Balancer ARN, arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>"
	case !regionOK:
		return ""
	case m[2] != region:
		return fmt.Sprintf("in region %q, not %q (keys are regional)", m[2], region)
	case m[1] != partition:
		return fmt.Sprintf("partition %q, but region %q is in %q", m[1], region, partition)
	}
	return ""
}
