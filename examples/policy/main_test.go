package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestExample(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, "", false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(requests) {
		t.Fatalf("%d lines for %d requests:\n%s", len(lines), len(requests), out.String())
	}
	for i, want := range []string{
		"allow 200 ok rule=health",
		"allow 200 ok rule=docs",
		"deny 403 group_denied rule=docs-internal",
		"allow 200 ok rule=docs-internal",
		"deny 401 missing_token rule=profile",
		"allow 200 ok rule=profile",
		"deny 403 group_denied rule=admin",
		"allow 200 ok rule=admin",
		"deny 401 missing_token rule=admin path=/admin/users",
		"deny 400 non_canonical_path rule=non_canonical",
		"allow 200 ok rule=orders-read",
		"deny 403 insufficient_scope rule=orders-read path=/orders/42 scopes=orders/read,orders/write",
		"deny 403 insufficient_scope rule=orders-write path=/orders scopes=orders/write",
		"allow 200 ok rule=orders-write",
		"allow 200 ok rule=orders-write",
		"allow 200 ok rule=user-files-read",
		"deny 403 claim_denied rule=user-files-read",
		"allow 200 ok rule=user-files-read",
		"deny 403 claim_denied rule=user-files-write",
		"allow 200 ok rule=tenant-reports",
		"deny 403 claim_denied rule=tenant-reports",
		"allow 200 ok rule=billing",
		"deny 403 claim_denied rule=billing",
		"deny 403 claim_denied rule=billing",
		"allow 200 ok rule=jobs",
		"deny 403 claim_denied rule=jobs",
		"deny 403 group_denied rule=internal",
		"allow 200 ok rule=internal",
		"deny 403 no_rule rule=default",
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d: %q; want %q", i, lines[i], want)
		}
	}
}

func TestExplain(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, "policy.yaml", true); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\ndecision "); n != len(requests) {
		t.Errorf("%d decisions explained for %d requests", n, len(requests))
	}
	for _, want := range []string{
		"FAIL   claims[2]: want tenant.seats gte 5; got \"25\" (a string; the condition's value is a number, and values are never converted)",
		"ok     claims[3]: want tenant.admins contains \"{claim:username}\" → \"erin\"; got [\"erin\"]",
		"ok     clients: want [" + runnerClient + "]; got " + runnerClient,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the explanations lack %q", want)
		}
	}
}
