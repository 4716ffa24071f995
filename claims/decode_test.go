package claims_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestDecode: Decode fills a struct of the application's own claims from
// the signed payload, and a map with json.Numbers, leaving the token as it
// was.
func TestDecode(t *testing.T) {
	f := newFixture(t, nil)
	raw := f.pool.AccessToken(
		cognitotest.WithClaim("custom:tenant", "acme"),
		cognitotest.WithClaim("custom:limits", map[string]any{"rps": 50, "burst": 1.5}),
		cognitotest.WithClaim("big", json.Number("9007199254740993")),
		cognitotest.WithGroups("admin"),
	)
	tok, err := f.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	before := tok.Payload()

	var c struct {
		Tenant string `json:"custom:tenant"`
		Limits struct {
			RPS   int     `json:"rps"`
			Burst float64 `json:"burst"`
		} `json:"custom:limits"`
		Big    int64    `json:"big"`
		Groups []string `json:"cognito:groups"`
		Exp    int64    `json:"exp"`
	}
	if err := tok.Decode(&c); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if c.Tenant != "acme" || c.Limits.RPS != 50 || c.Limits.Burst != 1.5 || c.Big != 9007199254740993 ||
		len(c.Groups) != 1 || c.Groups[0] != "admin" || c.Exp != tok.Expiry.Unix() {
		t.Errorf("decoded %+v", c)
	}

	var m map[string]any
	if err := tok.Decode(&m); err != nil {
		t.Fatalf("Decode into a map: %v", err)
	}
	if n, ok := m["big"].(json.Number); !ok || n.String() != "9007199254740993" {
		t.Errorf("big = %#v, want json.Number 9007199254740993", m["big"])
	}
	if m["token_use"] != "access" || m["iss"] != f.pool.Issuer() {
		t.Errorf("map = %v", m)
	}

	c.Groups[0] = "changed"
	if !bytes.Equal(tok.Payload(), before) || tok.Groups[0] != "admin" {
		t.Error("Decode's result shares memory with the token")
	}
	if err := tok.Decode(c); err == nil {
		t.Error("Decode into a non-pointer succeeded")
	}
}

// TestDecodeRefusesCaseVariants: encoding/json matches names to fields
// case-insensitively, so a payload with names that differ only in case
// (valid for Verify, whose names are exact) would let either fill one
// field: Decode refuses it, at any depth, for any target.
func TestDecodeRefusesCaseVariants(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{Now: clk.Now})
	f := newFixtureWith(t, pool, clk, nil)
	tests := []struct {
		name  string
		extra string // members added to the claims object
		ok    bool
	}{
		{"distinct names", `,"custom:role":"user","custom:roles":"x"`, true},
		{"name and its capital", `,"custom:role":"user","Custom:Role":"admin"`, false},
		{"Kelvin sign folds to k", `,"kid_hint":"a","\u212aid_hint":"b"`, false},
		{"long s folds to s", `,"scope_x":"a","\u017fcope_x":"b"`, false},
		{"in a nested object", `,"custom:o":{"a":1,"b":{"role":"x","ROLE":"y"}}`, false},
		{"in an array", `,"custom:l":[{"id":1},{"ID":2,"id":3}]`, false},
		{"same name in sibling objects", `,"custom:l":[{"id":1},{"id":2}]`, true},
		{"a claim of this package in another case", `,"Token_Use":"id"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := signRaw(f, header(f, "RS256"), validClaimsJSON(f, tt.extra))
			tok, err := f.v.Verify(context.Background(), raw)
			if err != nil {
				t.Fatalf("Verify: %v (the payload is valid strict JSON)", err)
			}
			for _, target := range []any{&struct {
				Role string `json:"custom:role"`
			}{}, &map[string]any{}} {
				err := tok.Decode(target)
				if tt.ok != (err == nil) {
					t.Errorf("Decode(%T) = %v, want ok %v", target, err, tt.ok)
				}
				if err != nil && (!strings.Contains(err.Error(), "differ only in case") || strings.Count(err.Error(), "claims: ") != 1) {
					t.Errorf("Decode error %q", err)
				}
			}
			if tt.name == "name and its capital" {
				// The hazard is real: plain encoding/json takes the later,
				// differently spelled member for the field.
				var plain struct {
					Role string `json:"custom:role"`
				}
				if err := json.Unmarshal(tok.Payload(), &plain); err != nil || plain.Role != "admin" {
					t.Errorf("json.Unmarshal gave %q, %v; the test no longer shows the hazard", plain.Role, err)
				}
			}
		})
	}
}
