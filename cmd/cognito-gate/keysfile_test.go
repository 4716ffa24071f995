package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestKeysFile: pools[].keys_file gives a pool its key set from disk
// (claims.Pool.Keys): read relative to the configuration file, bounded,
// every entry checked, never fetched; a bad file is an error at its key.
func TestKeysFile(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("keys.json", pool.JWKS())
	big := write("big.json", []byte(`{"keys":[]}`+strings.Repeat(" ", maxKeysFileBytes)))
	notRSA := write("ec.json", []byte(`{"keys":[{"kty":"EC","kid":"k","crv":"P-256","x":"AAAA","y":"AAAA"}]}`))
	config := func(pool0 string) string {
		return "listen: 127.0.0.1:8080\nupstream: http://127.0.0.1:3000\npools:\n  - user_pool_id: " + pool.PoolID() +
			"\n    client_ids: [" + pool.ClientID() + "]\n    token_use: access\n" + pool0 +
			"policy:\n  rules:\n    - name: all\n      route: /\n"
	}
	file := filepath.Join(dir, "gate.yaml")
	noEnv := func(string) (string, bool) { return "", false }

	t.Run("relative to the configuration file, and never fetched", func(t *testing.T) {
		gc, err := parseConfig([]byte(config("    keys_file: keys.json\n")), file, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		pool.SetFault(cognitotest.Fault{Status: 500}) // the pool's key endpoint is down
		defer pool.ClearFault()
		before := pool.Fetches()
		v, err := claims.New(gc.claims)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if _, err := v.Verify(context.Background(), pool.AccessToken()); err != nil {
			t.Errorf("Verify with the keys file: %v", err)
		}
		if pool.Fetches() != before {
			t.Errorf("the key endpoint was asked %d times", pool.Fetches()-before)
		}
	})
	for _, tt := range []struct{ name, pool0, want string }{
		{"missing", "    keys_file: nope.json\n", "gate.yaml:7: pools[0].keys_file: open " + filepath.Join(dir, "nope.json") + ": no such file"},
		{"too large", "    keys_file: " + big + "\n", "gate.yaml:7: pools[0].keys_file: " + big + " is larger than 1048576 bytes"},
		{"an entry that would be skipped", "    keys_file: " + notRSA + "\n", "gate.yaml:7: pools[0].keys_file: entry 0"},
		{"beside jwks_url", "    keys_file: keys.json\n    jwks_url: https://example.com/jwks.json\n", "gate.yaml:7: pools[0].keys_file: set keys_file or jwks_url, not both"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(config(tt.pool0)), file, noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
