package fakealb

import (
	"fmt"
	"regexp"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// Defaults used by New for the zero Config. They are fixed so that
// examples and golden outputs are stable, and they match package
// fakepool's: the default fake load balancer signs users of the default
// fake pool in through its default app client.
const (
	// DefaultRegion is the region of a load balancer whose Config has no
	// Region: fakepool.DefaultRegion.
	DefaultRegion = fakepool.DefaultRegion
	// DefaultAccount is the AWS account in the default signer ARN.
	DefaultAccount = "123456789012"
	// DefaultLoadBalancer is the resource of the default signer ARN after
	// "loadbalancer/": an Application Load Balancer's name and id.
	DefaultLoadBalancer = "app/gate-test/50dc6c495c0c9188"
	// DefaultClientID is the listener rule's app client:
	// fakepool.DefaultClientID.
	DefaultClientID = fakepool.DefaultClientID
	// DefaultUsername is the username of tokens minted without
	// WithUsername: fakepool.DefaultUsername.
	DefaultUsername = fakepool.DefaultUsername
	// DefaultTokenLifetime is exp minus now of minted data tokens: this
	// package's choice, short, as a header minted per request may be.
	DefaultTokenLifetime = 2 * time.Minute
)

// regionPattern matches AWS region names such as "eu-west-1" and
// "us-gov-west-1".
var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$`)

// Config describes a fake load balancer. The zero value is a valid one in
// us-east-1 with the Default ids.
type Config struct {
	// Region is the AWS region. Empty means DefaultRegion.
	Region string
	// Signer is the load balancer's ARN, the header's signer. Empty means
	// "arn:aws:elasticloadbalancing:<Region>:" + DefaultAccount +
	// ":loadbalancer/" + DefaultLoadBalancer.
	Signer string
	// ClientID is the listener rule's app client, the header's client.
	// Empty means DefaultClientID.
	ClientID string
	// Issuer is the header's and the payload's iss. Empty means the issuer
	// of fakepool's default pool in Region,
	// "https://cognito-idp.<Region>.amazonaws.com/<Region>_" + fakepool.DefaultPoolSuffix.
	Issuer string
	// Now is the clock for exp. Nil means time.Now.
	Now func() time.Time
	// TokenLifetime is exp minus now of minted tokens. Zero means
	// DefaultTokenLifetime; negative is an error (mint expired tokens with
	// WithExpiry or WithLifetime).
	TokenLifetime time.Duration
}

// withDefaults returns cfg with its empty fields filled in and checked.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if !regionPattern.MatchString(cfg.Region) {
		return cfg, fmt.Errorf("%w: region %q does not look like an AWS region", ErrInvalidConfig, cfg.Region)
	}
	if cfg.Signer == "" {
		cfg.Signer = "arn:aws:elasticloadbalancing:" + cfg.Region + ":" + DefaultAccount + ":loadbalancer/" + DefaultLoadBalancer
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "https://cognito-idp." + cfg.Region + ".amazonaws.com/" + cfg.Region + "_" + fakepool.DefaultPoolSuffix
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
