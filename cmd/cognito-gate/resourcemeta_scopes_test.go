package main

import (
	"slices"
	"testing"

	"github.com/cognito-gate/cognito-gate/policy"
)

// TestResourceMetadataScopesFromThePolicy: without scopes_supported in the
// file, the document lists every scope the policy names (RFC 9728
// scopes_supported "collected from the policy"); listed ones win.
func TestResourceMetadataScopesFromThePolicy(t *testing.T) {
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "read", Route: "GET /orders/", Requirement: policy.Requirement{ScopesAny: []string{"orders/read"}}},
		{Name: "write", Route: "POST /orders/", Requirement: policy.Requirement{ScopesAll: []string{"orders/write"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rc := &resourceMetadataConfig{Resource: "https://api.example.com/mcp"}
	if got := rc.document(tokensConfig{}, nil, p.Scopes()).ScopesSupported; !slices.Equal(got, []string{"orders/read", "orders/write"}) {
		t.Errorf("scopes_supported from the policy = %q", got)
	}
	rc.ScopesSupported = []string{"orders/read"}
	if got := rc.document(tokensConfig{}, nil, p.Scopes()).ScopesSupported; !slices.Equal(got, []string{"orders/read"}) {
		t.Errorf("listed scopes_supported = %q", got)
	}
}
