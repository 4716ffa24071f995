package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestResourceMetadataConfig: resource_metadata's problems are reported
// under its keys (and, for an issuer the document would carry, under the
// pool's), with the others of the file.
func TestResourceMetadataConfig(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // fragments of the error; none: valid
	}{
		{name: "valid", text: validConfig + "resource_metadata:\n  resource: https://api.example.com/mcp\n  scopes_supported: [orders/read]\n"},
		{name: "no resource", text: validConfig + "resource_metadata:\n  resource_name: Orders\n",
			want: []string{"gate.yaml:11: resource_metadata.resource: required: want an https URL"}},
		{name: "http resource", text: validConfig + "resource_metadata:\n  resource: http://api.example.com\n",
			want: []string{"gate.yaml:12: resource_metadata.resource: http only for a loopback host"}},
		{name: "bad scope and documentation", text: validConfig + "resource_metadata:\n  resource: https://api.example.com\n  scopes_supported: [a, \"b c\"]\n  resource_documentation: docs\n",
			want: []string{"gate.yaml:13: resource_metadata.scopes_supported[1]: not a scope", "gate.yaml:14: resource_metadata.resource_documentation: want a page's URL"}},
		{name: "unknown key", text: validConfig + "resource_metadata:\n  resource: https://api.example.com\n  jwks_uri: x\n",
			want: []string{"gate.yaml:13: resource_metadata.jwks_uri: unknown key"}},
		{name: "an issuer that is no authorization server", text: strings.Replace(validConfig, "    token_use: access\n",
			"    token_use: access\n    issuer: \"https://u@cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123\"\n", 1) + "resource_metadata:\n  resource: https://api.example.com\n",
			want: []string{"pools[0].issuer"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gc, err := parseConfig([]byte(tc.text), "gate.yaml", nil)
			if len(tc.want) == 0 {
				if err != nil || gc.resourceMetadata == nil {
					t.Fatalf("parseConfig: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %v\nwant %q", err, w)
				}
			}
		})
	}
}

// TestResourceMetadataServed runs the binary with resource_metadata and
// reads the document as a client of RFC 9728 does, member by member: at
// the path made from the resource (section 3.1), 200 application/json
// (3.2), resource identical to the configured identifier (3.3), the
// verifier's issuers as authorization servers, the configured scopes, the
// bearer methods of the configured token sources; without a token and
// never reaching the upstream. Another path, and another method, are not
// the document.
func TestResourceMetadataServed(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	extra := "tokens:\n  query: access_token\nresource_metadata:\n  resource: https://api.example.com/mcp\n  scopes_supported: [orders/read, orders/write]\n  resource_name: Orders\n"
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, up.URL, e2ePolicy, extra))
	url := p.addr["proxy"] + "/.well-known/oauth-protected-resource/mcp"

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s, Content-Type %q: %s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	var doc struct {
		Resource               *string  `json:"resource"`
		AuthorizationServers   []string `json:"authorization_servers"`
		ScopesSupported        []string `json:"scopes_supported"`
		BearerMethodsSupported []string `json:"bearer_methods_supported"`
		ResourceName           string   `json:"resource_name"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("document %s: %v", body, err)
	}
	// The verifier's issuers, the pool's own first.
	if len(doc.AuthorizationServers) == 0 || doc.AuthorizationServers[0] != pool.Issuer() {
		t.Errorf("authorization_servers %q, want %s first", doc.AuthorizationServers, pool.Issuer())
	}
	for _, iss := range doc.AuthorizationServers {
		if info, ok := claims.ParseIssuer(iss); !ok || info.PoolID != pool.PoolID() {
			t.Errorf("authorization server %q is not an issuer of pool %s", iss, pool.PoolID())
		}
	}
	for _, c := range []struct {
		member    string
		got, want any
	}{
		{"resource", *doc.Resource, "https://api.example.com/mcp"},
		{"scopes_supported", doc.ScopesSupported, []string{"orders/read", "orders/write"}},
		{"bearer_methods_supported", doc.BearerMethodsSupported, []string{"header", "query"}},
		{"resource_name", doc.ResourceName, "Orders"},
	} {
		if fmtAny(c.got) != fmtAny(c.want) {
			t.Errorf("%s = %v, want %v", c.member, c.got, c.want)
		}
	}
	if up.count() != 0 {
		t.Fatal("the document request reached the upstream")
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"HEAD", "/.well-known/oauth-protected-resource/mcp", 200},
		{"POST", "/.well-known/oauth-protected-resource/mcp", 405},
		{"GET", "/.well-known/oauth-protected-resource", 401},       // not this resource's: the policy judges it
		{"GET", "/.well-known/oauth-protected-resource/mcp/", 401},  // another path
		{"GET", "/.well-known/oauth-protected-resource/%6dcp", 401}, // an escaped spelling is not the document
	} {
		if resp := get(t, tc.method, p.addr["proxy"]+tc.path, "", nil); resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
	if n := metric(t, p, `cognito_gate_requests_total{reason="ok",result="skipped"}`); n != 3 {
		t.Errorf("%v document requests recorded as skipped, want 3 (GET, HEAD, POST)", n)
	}
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
