package jwks_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// TestErrorsDoNotStutter: an error names the package once, however many of
// its errors it wraps ("jwks: key set unavailable: jwks: jwks: fetch
// failed" was the old style), and still matches each of them.
func TestErrorsDoNotStutter(t *testing.T) {
	k := newTestKeys(t)
	check := func(name string, err error, want ...error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") { // one per joined error
			if n := strings.Count(line, "jwks: "); n != 1 || !strings.HasPrefix(line, "jwks: ") {
				t.Errorf("%s: %q names the package %d times", name, line, n)
			}
		}
		for _, w := range want {
			if !errors.Is(err, w) {
				t.Errorf("%s: %v does not match %v", name, err, w)
			}
		}
	}
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(nil)
		f.Set(http.StatusBadGateway, nil)
		c := newCache(t, f, jwks.Config{MaxStaleness: time.Hour})
		err := c.Hydrate(bg)
		check("status", err, jwks.ErrUnavailable, jwks.ErrStatus)
		if !strings.Contains(err.Error(), "key set unavailable: get https://") || !strings.Contains(err.Error(), "status 502: unexpected http status") {
			t.Errorf("status: %q", err)
		}
		_, err = c.Key(bg, issuer, "x")
		check("key during outage", err, jwks.ErrUnavailable, jwks.ErrStatus)

		f.Set(http.StatusOK, []byte(`<html>`))
		time.Sleep(jwks.DefaultMaxBackoff)
		_, err = c.Key(bg, issuer, "x")
		check("malformed", err, jwks.ErrUnavailable, jwks.ErrMalformed)

		f.Set(http.StatusOK, set(k.a))
		time.Sleep(jwks.DefaultMaxBackoff)
		_, err = c.Key(bg, issuer, "nowhere")
		check("unknown kid", err, jwks.ErrKeyNotFound)

		f.SetDelay(0, true)
		time.Sleep(2 * time.Hour)
		_, err = c.Key(bg, issuer, k.kidA)
		check("stale after a timeout", err, jwks.ErrUnavailable, jwks.ErrFetch)
	})

	keys, _, err := jwks.Parse(set(k.a))
	if err != nil {
		t.Fatal(err)
	}
	check("alg", keys[k.kidA].Verify("RS384", []byte("x"), make([]byte, 256)), jwks.ErrAlgMismatch)
	check("short signature", keys[k.kidA].Verify("RS256", []byte("x"), []byte("y")), jwks.ErrBadSignature)
	_, _, err = jwks.Parse([]byte(`[]`))
	check("parse", err, jwks.ErrMalformed)
	_, _, err = jwks.Parse(set())
	check("no keys", err, jwks.ErrNoUsableKeys)
	check("config", jwks.Validate(jwks.Config{Cooldown: -1}, jwks.Source{}), jwks.ErrConfig)
}

// TestConfigErrorText: Error speaks Go (field names), Problem speaks the
// configuration file (keys), and quoted values are left as they are.
func TestConfigErrorText(t *testing.T) {
	err := jwks.Validate(jwks.Config{RefreshInterval: time.Second},
		jwks.Source{Issuer: issuer, URL: "http://allow_http.example/jwks_url"})
	var got []string
	for _, e := range configErrors(t, err) {
		got = append(got, e.Problem+" | "+e.Error())
	}
	want := []string{
		"1s is shorter than jwks.cooldown (10s) | jwks: config: RefreshInterval: 1s is shorter than Cooldown (10s)",
		`jwks_url "http://allow_http.example/jwks_url" is plain http; set allow_http for local development only | ` +
			`jwks: config: source 0: AllowHTTP: URL "http://allow_http.example/jwks_url" is plain http; set AllowHTTP for local development only`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A ConfigError made by hand renders the same way.
	e := &jwks.ConfigError{Source: -1, Field: "MaxBackoff", Key: "jwks.max_backoff", Problem: `"jwks.cooldown" stays; jwks.cooldown goes`}
	if got, want := e.Error(), `jwks: config: MaxBackoff: "jwks.cooldown" stays; Cooldown goes`; got != want || !errors.Is(e, jwks.ErrConfig) {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
