package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"access token of alice (admin)                 -> 200 ok: access token of alice, groups [admin]",
		"the same token with its claims swapped        -> 401 bad_signature",
		"expired access token                          -> 401 expired",
		"ID token where access tokens are required     -> 401 wrong_token_use",
		"token for another app client                  -> 401 wrong_client",
		"token signed with an unpublished key          -> 401 unknown_kid",
		"alg none                                      -> 401 unsupported_alg",
		"no token                                      -> 401 missing_token",
	}
	for _, line := range want {
		if !strings.Contains(out.String(), line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}
}
