package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestNestedClaimHeaders: identity_headers.claims takes claim paths, as
// policy conditions do; strings travel as they are, other values as compact
// JSON; an absent or null value sets no header, nor does a string with a
// line break; a path the policy would refuse is an error at its key.
func TestNestedClaimHeaders(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	extra := "identity_headers:\n  claims:\n" +
		"    tenant.id: X-Tenant\n    tenant.regions: X-Regions\n    tenant.seats: X-Seats\n    tenant.meta: X-Meta\n" +
		"    tenant.none: X-None\n    tenant.missing: X-Missing\n    '[\"custom:org.unit\"]': X-Unit\n    note: X-Note\n"
	cfg, err := loadConfig(writeConfig(t, pool, "http://127.0.0.1:1", boundaryPolicy, extra), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	v, err := claims.New(cfg.claims)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok, err := v.Verify(t.Context(), pool.AccessToken(
		cognitotest.WithClaim("tenant", map[string]any{"id": "t-1", "regions": []string{"eu", "us"}, "seats": 25, "meta": map[string]any{"a": 1, "b": true}, "none": nil}),
		cognitotest.WithClaim("custom:org.unit", "sales"), cognitotest.WithClaim("note", "a\nb")))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	cfg.headers.setIdentity(h, tok)
	for name, want := range map[string]string{
		"X-Tenant": "t-1", "X-Regions": `["eu","us"]`, "X-Seats": "25", "X-Meta": `{"a":1,"b":true}`,
		"X-None": "", "X-Missing": "", "X-Unit": "sales", "X-Note": "",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// A dot in a claim name must be bracketed, as in policies.
	_, err = loadConfig(writeConfig(t, pool, "http://127.0.0.1:1", boundaryPolicy, "identity_headers:\n  claims:\n    custom:org.unit: X-Unit\n"), func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "identity_headers.claims.custom:org.unit") {
		t.Errorf("custom:org.unit unbracketed: %v", err)
	}
}
