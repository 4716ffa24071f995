package alb_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

const (
	testARN    = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188"
	testIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
)

// validConfig is a usable Config for eu-west-1.
func validConfig() alb.Config {
	return alb.Config{Region: "eu-west-1", Issuer: testIssuer, Signers: []string{testARN}, ClientIDs: []string{"6q7exampleclient0id12345ab"}}
}

// configErrors returns the *ConfigErrors joined in err.
func configErrors(t *testing.T, err error) []*alb.ConfigError {
	t.Helper()
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else if err != nil {
		list = []error{err}
	}
	out := make([]*alb.ConfigError, len(list))
	for i, e := range list {
		if !errors.As(e, &out[i]) {
			t.Fatalf("error %d is %T, not a *ConfigError: %v", i, e, e)
		}
		if !errors.Is(e, alb.ErrConfig) {
			t.Errorf("error %d does not match ErrConfig: %v", i, e)
		}
	}
	return out
}

func TestConfigValid(t *testing.T) {
	tests := []struct {
		name   string
		change func(*alb.Config)
	}{
		{"minimal", nil},
		{"several signers and clients", func(c *alb.Config) {
			c.Signers = append(c.Signers, strings.Replace(testARN, "my-alb/50dc6c495c0c9188", "other-alb/0123456789abcdef", 1))
			c.ClientIDs = append(c.ClientIDs, "second")
		}},
		{"GovCloud", func(c *alb.Config) {
			c.Region = "us-gov-west-1"
			c.Signers = []string{"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/gov/50dc6c495c0c9188"}
		}},
		{"China with a key URL", func(c *alb.Config) {
			c.Region, c.KeyURL = "cn-north-1", "https://keys.example.cn/elb"
			c.Signers = []string{"arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/cn/50dc6c495c0c9188"}
		}},
		{"key URL with a path", func(c *alb.Config) { c.KeyURL = "https://keys.example/a/b" }},
		{"http with allow_http", func(c *alb.Config) {
			c.KeyURL, c.Issuer, c.AllowHTTP = "http://127.0.0.1:8080/keys", "http://127.0.0.1:9229/local_pool", true
		}},
		{"no leeway", func(c *alb.Config) { c.Leeway = claims.NoLeeway }},
		{"most leeway", func(c *alb.Config) { c.Leeway = claims.MaxLeeway }},
		{"key cache settings", func(c *alb.Config) {
			c.MaxKeys, c.MaxNewKeyFetches = 1, 1
			c.Keys = jwks.Config{Cooldown: time.Second, RefreshInterval: time.Minute, MaxResponseBytes: 512}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			if tt.change != nil {
				tt.change(&cfg)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			v, err := alb.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_ = v.Close()
		})
	}
}

// TestConfigErrors has a row per check of Config: each names its field
// and key, and New refuses what Validate refuses.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name      string
		change    func(*alb.Config)
		field     string
		key       string
		problem   string // a part of the problem
		notInText string // what the error must not quote
	}{
		{"no region", func(c *alb.Config) { c.Region = "" }, "Region", "region", "required", ""},
		{"region upper case", func(c *alb.Config) { c.Region = "EU-WEST-1" }, "Region", "region", "does not look like", ""},
		{"region without number", func(c *alb.Config) { c.Region = "eu-west" }, "Region", "region", "does not look like", ""},
		{"China without a key URL", func(c *alb.Config) {
			c.Region = "cn-north-1"
			c.Signers = []string{"arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/cn/50dc6c495c0c9188"}
		}, "KeyURL", "key_url", "no documented key endpoint", ""},
		{"ISO region without a key URL", func(c *alb.Config) {
			c.Region = "us-iso-east-1"
			c.Signers = []string{"arn:aws-iso:elasticloadbalancing:us-iso-east-1:123456789012:loadbalancer/app/iso/50dc6c495c0c9188"}
		}, "KeyURL", "key_url", "aws-iso", ""},
		{"key URL plain http", func(c *alb.Config) { c.KeyURL = "http://keys.example" }, "AllowHTTP", "allow_http", "plain http", ""},
		{"key URL other scheme", func(c *alb.Config) { c.KeyURL = "ftp://keys.example" }, "KeyURL", "key_url", "scheme", ""},
		{"key URL with credentials", func(c *alb.Config) { c.KeyURL = "https://user:s3cret@keys.example" }, "KeyURL", "key_url", "credentials", "s3cret"},
		{"key URL trailing slash", func(c *alb.Config) { c.KeyURL = "https://keys.example/keys/" }, "KeyURL", "key_url", "trailing slash", ""},
		{"key URL query", func(c *alb.Config) { c.KeyURL = "https://keys.example/keys?kid=" }, "KeyURL", "key_url", "query", ""},
		{"key URL fragment", func(c *alb.Config) { c.KeyURL = "https://keys.example/keys#" }, "KeyURL", "key_url", "fragment", ""},
		{"key URL without host", func(c *alb.Config) { c.KeyURL = "https:///keys" }, "KeyURL", "key_url", "no host", ""},
		{"key URL not a URL", func(c *alb.Config) { c.KeyURL = "https://keys example/%zz" }, "KeyURL", "key_url", "not a URL", ""},
		{"no issuer", func(c *alb.Config) { c.Issuer = "" }, "Issuer", "issuer", "required", ""},
		{"issuer plain http", func(c *alb.Config) { c.Issuer = "http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123" }, "AllowHTTP", "allow_http", "plain http", ""},
		{"issuer trailing slash", func(c *alb.Config) { c.Issuer = testIssuer + "/" }, "Issuer", "issuer", "trailing slash", ""},
		{"issuer without scheme", func(c *alb.Config) { c.Issuer = "eu-west-1_AbC123" }, "Issuer", "issuer", "scheme", ""},
		{"no signers", func(c *alb.Config) { c.Signers = nil }, "Signers", "signers", "empty", ""},
		{"empty signer", func(c *alb.Config) { c.Signers = []string{""} }, "Signers", "signers", "not an Application Load Balancer ARN", ""},
		{"signer wildcard", func(c *alb.Config) { c.Signers = []string{"*"} }, "Signers", "signers", "not an Application Load Balancer ARN", ""},
		{"signer prefix", func(c *alb.Config) { c.Signers = []string{strings.TrimSuffix(testARN, "/50dc6c495c0c9188")} }, "Signers", "signers", "not an Application Load Balancer ARN", ""},
		{"signer of a network load balancer", func(c *alb.Config) { c.Signers = []string{strings.Replace(testARN, "/app/", "/net/", 1)} }, "Signers", "signers", "not an Application Load Balancer ARN", ""},
		{"signer of a listener", func(c *alb.Config) {
			c.Signers = []string{strings.Replace(testARN, "loadbalancer/", "listener/", 1) + "/f2f7dc8efc522ab2"}
		}, "Signers", "signers", "not an Application Load Balancer ARN", ""},
		{"signer in another region", func(c *alb.Config) { c.Signers = []string{strings.Replace(testARN, "eu-west-1", "us-east-1", 1)} }, "Signers", "signers", "keys are regional", ""},
		{"signer in another partition", func(c *alb.Config) { c.Signers = []string{strings.Replace(testARN, "arn:aws:", "arn:aws-cn:", 1)} }, "Signers", "signers", "partition", ""},
		{"signer padded", func(c *alb.Config) { c.Signers = []string{testARN + " "} }, "Signers", "signers", "not an Application Load Balancer ARN", ""},
		{"no client ids", func(c *alb.Config) { c.ClientIDs = nil }, "ClientIDs", "client_ids", "empty", ""},
		{"empty client id", func(c *alb.Config) { c.ClientIDs = []string{""} }, "ClientIDs", "client_ids", "empty or padded", ""},
		{"padded client id", func(c *alb.Config) { c.ClientIDs = []string{" x"} }, "ClientIDs", "client_ids", "empty or padded", ""},
		{"negative leeway", func(c *alb.Config) { c.Leeway = -2 * time.Second }, "Leeway", "leeway", "negative", ""},
		{"leeway over the maximum", func(c *alb.Config) { c.Leeway = claims.MaxLeeway + time.Second }, "Leeway", "leeway", "over", ""},
		{"token bound too small", func(c *alb.Config) { c.MaxTokenBytes = 100 }, "MaxTokenBytes", "max_token_bytes", "too small", ""},
		{"negative max keys", func(c *alb.Config) { c.MaxKeys = -1 }, "MaxKeys", "max_keys", "negative", ""},
		{"negative max new key fetches", func(c *alb.Config) { c.MaxNewKeyFetches = -1 }, "MaxNewKeyFetches", "max_new_key_fetches", "negative", ""},
		{"negative cooldown", func(c *alb.Config) { c.Keys.Cooldown = -time.Second }, "Keys.Cooldown", "jwks.cooldown", "negative", ""},
		{"refresh shorter than cooldown", func(c *alb.Config) { c.Keys.RefreshInterval = time.Second }, "Keys.RefreshInterval", "jwks.refresh_interval", "shorter", ""},
		{"negative response bound", func(c *alb.Config) { c.Keys.MaxResponseBytes = -1 }, "Keys.MaxResponseBytes", "jwks.max_response_bytes", "negative", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.change(&cfg)
			err := cfg.Validate()
			errs := configErrors(t, err)
			if len(errs) != 1 {
				t.Fatalf("%d problems, want 1: %v", len(errs), err)
			}
			e := errs[0]
			if e.Field != tt.field || e.Key != tt.key || !strings.Contains(e.Problem, tt.problem) {
				t.Errorf("got field %q key %q problem %q; want %q, %q, containing %q", e.Field, e.Key, e.Problem, tt.field, tt.key, tt.problem)
			}
			if tt.notInText != "" && strings.Contains(err.Error(), tt.notInText) {
				t.Errorf("the error quotes %q: %v", tt.notInText, err)
			}
			if strings.HasPrefix(tt.field, "Keys.") && !errors.Is(err, jwks.ErrConfig) {
				t.Errorf("a key setting's problem does not match jwks.ErrConfig: %v", err)
			}
			if v, nerr := alb.New(cfg); nerr == nil || nerr.Error() != err.Error() || v != nil {
				t.Errorf("New: %v, %v; want Validate's error", v, nerr)
			}
		})
	}
}

// TestZeroConfig: nothing in the zero Config is allowed by default; every
// required field is reported at once, in field order.
func TestZeroConfig(t *testing.T) {
	var got []string
	for _, e := range configErrors(t, alb.Config{}.Validate()) {
		got = append(got, e.Field)
	}
	want := []string{"Region", "Issuer", "Signers", "ClientIDs"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("problems with %v, want %v", got, want)
	}
}

func TestDefaultKeyURL(t *testing.T) {
	tests := []struct {
		region, want string
	}{
		{"us-east-1", "https://public-keys.auth.elb.us-east-1.amazonaws.com"},
		{"eu-west-1", "https://public-keys.auth.elb.eu-west-1.amazonaws.com"},
		{"ap-southeast-5", "https://public-keys.auth.elb.ap-southeast-5.amazonaws.com"},
		{"us-gov-west-1", "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1"},
		{"us-gov-east-1", "https://s3-us-gov-east-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-east-1"},
		{"cn-north-1", ""},
		{"cn-northwest-1", ""},
		{"us-iso-east-1", ""},
		{"us-isob-east-1", ""},
		{"eusc-de-east-1", ""},
		{"us-gov-central-1", ""}, // a GovCloud region AWS documents no endpoint for
		{"not a region", ""},
		{"eu-west-1/x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			got, err := alb.DefaultKeyURL(tt.region)
			if got != tt.want || (err == nil) != (tt.want != "") {
				t.Errorf("DefaultKeyURL(%q) = %q, %v; want %q", tt.region, got, err, tt.want)
			}
		})
	}
}

// TestConfigIsCopied: changing the Config's lists after New changes
// nothing the Verifier checks.
func TestConfigIsCopied(t *testing.T) {
	r := newRig(t, nil)
	good := r.lb.Data()
	r.cfg.Signers[0] = "arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/x/50dc6c495c0c9188"
	r.cfg.ClientIDs[0] = "other"
	if _, err := r.verify(good); err != nil {
		t.Errorf("after changing the caller's slices: %v", err)
	}
}
