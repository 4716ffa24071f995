package main

import (
	"strings"
	"testing"
)

// FuzzParseConfig feeds arbitrary text to the configuration loader. It must
// never panic, and every error must name the file.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte(validConfig + "leeway: 1h\nlog:\n  level: loud\n"))
	f.Add([]byte("listen: [\n"))
	f.Add([]byte("pools:\n  - &a {user_pool_id: x}\n  - *a\n"))
	f.Add([]byte("identity_headers:\n  claims:\n    \"\": X\n"))
	f.Add([]byte("token_cache:\n  max_bytes: 9999999999GiB\n"))
	f.Add([]byte("upstream: ${A:-http://127.0.0.1:1}\npolicy: {rules: [{name: a, route: /}]}\n"))
	env := func(name string) (string, bool) {
		if name == "SET" {
			return "us-east-1_Env1", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig(data, "fuzz.yaml", env)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		if cfg.policy == nil || len(cfg.claims.Pools) == 0 || len(cfg.sources) == 0 {
			t.Fatalf("accepted an incomplete configuration: %+v", cfg.raw)
		}
		if err := cfg.claims.Validate(); err != nil {
			t.Fatalf("accepted a configuration the verifier rejects: %v", err)
		}
	})
}
