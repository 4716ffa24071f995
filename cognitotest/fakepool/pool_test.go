package fakepool_test

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

func TestStartDefaults(t *testing.T) {
	p := sharedPool(t)
	if got, want := p.Region(), "us-east-1"; got != want {
		t.Errorf("Region() = %q, want %q", got, want)
	}
	if got, want := p.PoolID(), "us-east-1_GateTest1"; got != want {
		t.Errorf("PoolID() = %q, want %q", got, want)
	}
	if got, want := p.Issuer(), "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_GateTest1"; got != want {
		t.Errorf("Issuer() = %q, want %q", got, want)
	}
	if !regexp.MustCompile(`^[a-z0-9]{26}$`).MatchString(p.ClientID()) {
		t.Errorf("ClientID() = %q, want 26 lowercase letters and digits", p.ClientID())
	}
	u, err := url.Parse(p.JWKSURL())
	if err != nil {
		t.Fatalf("JWKSURL() = %q: %v", p.JWKSURL(), err)
	}
	if got, want := u.Scheme, "http"; got != want {
		t.Errorf("JWKSURL scheme = %q, want %q", got, want)
	}
	if got, want := u.Hostname(), "127.0.0.1"; got != want {
		t.Errorf("JWKSURL host = %q, want %q", got, want)
	}
	if got, want := u.Path, "/us-east-1_GateTest1/.well-known/jwks.json"; got != want {
		t.Errorf("JWKSURL path = %q, want %q", got, want)
	}
}

func TestStartConfig(t *testing.T) {
	tests := []struct {
		name                        string
		cfg                         fakepool.Config
		region, poolID, issuer, aud string
	}{
		{
			name:   "region only",
			cfg:    fakepool.Config{Region: "eu-west-2"},
			region: "eu-west-2", poolID: "eu-west-2_GateTest1",
			issuer: "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_GateTest1",
			aud:    fakepool.DefaultClientID,
		},
		{
			name:   "pool id gives the region",
			cfg:    fakepool.Config{PoolID: "ap-southeast-1_Ab12Cd34", ClientID: "client"},
			region: "ap-southeast-1", poolID: "ap-southeast-1_Ab12Cd34",
			issuer: "https://cognito-idp.ap-southeast-1.amazonaws.com/ap-southeast-1_Ab12Cd34",
			aud:    "client",
		},
		{
			name:   "explicit issuer",
			cfg:    fakepool.Config{Region: "us-gov-west-1", Issuer: "https://issuer-cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_GateTest1"},
			region: "us-gov-west-1", poolID: "us-gov-west-1_GateTest1",
			issuer: "https://issuer-cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_GateTest1",
			aud:    fakepool.DefaultClientID,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(t, tt.cfg)
			if got := p.Region(); got != tt.region {
				t.Errorf("Region() = %q, want %q", got, tt.region)
			}
			if got := p.PoolID(); got != tt.poolID {
				t.Errorf("PoolID() = %q, want %q", got, tt.poolID)
			}
			if got := p.Issuer(); got != tt.issuer {
				t.Errorf("Issuer() = %q, want %q", got, tt.issuer)
			}
			if got := p.ClientID(); got != tt.aud {
				t.Errorf("ClientID() = %q, want %q", got, tt.aud)
			}
			if !strings.HasSuffix(p.JWKSURL(), "/"+tt.poolID+"/.well-known/jwks.json") {
				t.Errorf("JWKSURL() = %q, want it to end with the pool id's jwks path", p.JWKSURL())
			}
			claims := decode(t, p.IDToken()).claims
			if claims["iss"] != tt.issuer || claims["aud"] != tt.aud {
				t.Errorf("id token iss, aud = %v, %v, want %v, %v", claims["iss"], claims["aud"], tt.issuer, tt.aud)
			}
		})
	}
}

func TestStartInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  fakepool.Config
	}{
		{"bad region", fakepool.Config{Region: "mars"}},
		{"upper-case region", fakepool.Config{Region: "US-EAST-1"}},
		{"pool id without region", fakepool.Config{PoolID: "GateTest1"}},
		{"pool id with bad characters", fakepool.Config{PoolID: "us-east-1_Gate-Test"}},
		{"pool id in another region", fakepool.Config{Region: "eu-west-1", PoolID: "us-east-1_GateTest1"}},
		{"issuer and local issuer", fakepool.Config{Issuer: "https://example.com", LocalIssuer: true}},
		{"negative lifetime", fakepool.Config{TokenLifetime: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fakepool.New(tt.cfg)
			if err == nil {
				p.Close()
				t.Fatalf("New(%+v) succeeded, want an error", tt.cfg)
			}
			if !errors.Is(err, fakepool.ErrInvalidConfig) {
				t.Errorf("New(%+v) = %v, want ErrInvalidConfig", tt.cfg, err)
			}
		})
	}
}

func TestLocalIssuer(t *testing.T) {
	p := newPool(t, fakepool.Config{LocalIssuer: true})
	if got, want := p.Issuer()+"/.well-known/jwks.json", p.JWKSURL(); got != want {
		t.Errorf("Issuer() + jwks path = %q, want JWKSURL() %q", got, want)
	}
	if !strings.HasPrefix(p.Issuer(), "http://127.0.0.1:") {
		t.Errorf("Issuer() = %q, want the local server", p.Issuer())
	}
	if got := decode(t, p.AccessToken()).claims["iss"]; got != p.Issuer() {
		t.Errorf("iss = %v, want %q", got, p.Issuer())
	}
}

func TestJWKSDocument(t *testing.T) {
	p := sharedPool(t)
	kids := p.KeyIDs()
	if len(kids) != 2 {
		t.Fatalf("KeyIDs() = %q, want two keys like Cognito", kids)
	}
	kidPattern := regexp.MustCompile(`^[A-Za-z0-9+/]{43}=$`)
	for _, kid := range kids {
		if !kidPattern.MatchString(kid) {
			t.Errorf("kid %q is not standard base64 of 32 bytes", kid)
		}
		pub := p.PublicKey(kid)
		if pub == nil || pub.N.BitLen() != 2048 || pub.E != 65537 {
			t.Errorf("PublicKey(%q) = %v, want an RSA-2048 key with e 65537", kid, pub)
		}
	}
	served := fetchKeys(t, p.JWKSURL())
	fromJWKS := parseKeys(t, p.JWKS())
	for _, kid := range kids {
		if served[kid] == nil || !served[kid].Equal(p.PublicKey(kid)) {
			t.Errorf("served jwks key %q differs from PublicKey", kid)
		}
		if fromJWKS[kid] == nil || !fromJWKS[kid].Equal(p.PublicKey(kid)) {
			t.Errorf("JWKS() key %q differs from PublicKey", kid)
		}
	}
	if len(served) != len(kids) {
		t.Errorf("served %d keys, want %d", len(served), len(kids))
	}
	if p.PublicKey("no such kid") != nil {
		t.Errorf("PublicKey(unknown) != nil")
	}
}

func TestRotateAndRetire(t *testing.T) {
	p := newPool(t, fakepool.Config{})
	before := p.KeyIDs()
	oldAccess := p.AccessToken()

	kid := p.Rotate()
	if got, want := p.KeyIDs(), append(slices.Clone(before), kid); !slices.Equal(got, want) {
		t.Fatalf("KeyIDs() after Rotate = %q, want %q", got, want)
	}
	keys := fetchKeys(t, p.JWKSURL())
	if len(keys) != 3 {
		t.Errorf("served %d keys after Rotate, want 3", len(keys))
	}
	for name, tok := range map[string]string{"access": p.AccessToken(), "id": p.IDToken()} {
		if got := decode(t, tok).header["kid"]; got != kid {
			t.Errorf("%s token kid after Rotate = %v, want the new key %q", name, got, kid)
		}
		if err := verify(t, tok, keys); err != nil {
			t.Errorf("%s token after Rotate does not verify: %v", name, err)
		}
	}
	if err := verify(t, oldAccess, keys); err != nil {
		t.Errorf("token of the old key does not verify before Retire: %v", err)
	}

	p.Retire(before[0])
	if got, want := p.KeyIDs(), []string{before[1], kid}; !slices.Equal(got, want) {
		t.Fatalf("KeyIDs() after Retire = %q, want %q", got, want)
	}
	keys = fetchKeys(t, p.JWKSURL())
	if err := verify(t, oldAccess, keys); !errors.Is(err, errNoKey) {
		t.Errorf("token of the retired key: verify = %v, want no key", err)
	}
	if err := verify(t, p.AccessToken(), keys); err != nil {
		t.Errorf("new token does not verify after Retire: %v", err)
	}

	// The retired key is still the pool's: it can sign and be looked up.
	if p.PublicKey(before[0]) == nil {
		t.Errorf("PublicKey(retired) = nil")
	}
	retired := p.AccessToken(fakepool.WithKeyID(before[0]))
	if err := verifyWith(decode(t, retired), p.PublicKey(before[0])); err != nil {
		t.Errorf("token signed with the retired key: %v", err)
	}

	p.Retire(before[0]) // no-op
	if got := len(p.KeyIDs()); got != 2 {
		t.Errorf("second Retire changed the keys: %d left, want 2", got)
	}
	msg := mustPanic(t, func() { p.Retire("never a kid of this pool") })
	if !strings.Contains(msg, "never a kid of this pool") {
		t.Errorf("Retire(unknown) panic = %q, want it to name the kid", msg)
	}

	p.Retire(before[1])
	p.Retire(kid)
	if got, want := string(p.JWKS()), `{"keys":[]}`; got != want {
		t.Errorf("JWKS() with every key retired = %s, want %s", got, want)
	}
}

func TestTwoPoolsHaveDifferentKeys(t *testing.T) {
	a := sharedPool(t)
	b := fixedPool(t)
	for _, kid := range b.KeyIDs() {
		if slices.Contains(a.KeyIDs(), kid) {
			t.Errorf("pools share kid %q", kid)
		}
	}
	if a.JWKSURL() == b.JWKSURL() {
		t.Errorf("pools share the jwks url %q", a.JWKSURL())
	}
	bKeys := fetchKeys(t, b.JWKSURL())
	for name, tok := range map[string]string{"access": a.AccessToken(), "id": a.IDToken()} {
		if err := verify(t, tok, bKeys); err == nil {
			t.Errorf("%s token of pool a verifies with the keys of pool b", name)
		}
		// Even under a kid pool b publishes, a's signature does not verify.
		forged := a.AccessToken(fakepool.WithHeader("kid", b.KeyIDs()[0]))
		if err := verify(t, forged, bKeys); err == nil {
			t.Errorf("token of pool a with pool b's kid verifies with pool b's keys")
		}
	}
}
