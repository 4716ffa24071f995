package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// gatePolicy has an anonymous route and an authenticated one; anything
// else is denied.
const gatePolicy = `default: deny
rules:
  - name: public
    route: /public/
    anonymous: true
  - name: api
    route: /api/
`

// poolSpec is one pool of a gate configuration.
type poolSpec struct {
	id, issuer, jwksURL, clientID string
}

// gateSpec is what varies between the gate configurations of the run.
type gateSpec struct {
	upstream   string // serve only; "" for forward-auth
	pools      []poolSpec
	cacheOff   bool
	maxEntries int // 0: the default
	// noHeapFloor sets server.heap_floor: 0, for the memory measurement:
	// under the floor the heap in use holds up to 32 MiB of garbage
	// besides what the cache keeps.
	noHeapFloor bool
}

// writeGateConfig writes the configuration name.yaml (and the policy) into
// dir and returns its path. Both listeners are on 127.0.0.1, ports chosen
// by the kernel; the log level is the default (info: every denial is
// logged, as in production).
func writeGateConfig(dir, name string, s gateSpec) (string, error) {
	var b strings.Builder
	b.WriteString("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n")
	if s.upstream != "" {
		fmt.Fprintf(&b, "upstream: http://%s\n", s.upstream)
	}
	b.WriteString("pools:\n")
	for _, p := range s.pools {
		fmt.Fprintf(&b, "  - user_pool_id: %s\n", p.id)
		if p.issuer != "" {
			fmt.Fprintf(&b, "    issuer: %s\n", p.issuer)
		}
		fmt.Fprintf(&b, "    jwks_url: %s\n    allow_http: true\n    client_ids: [%s]\n    token_use: access\n", p.jwksURL, p.clientID)
	}
	fmt.Fprintf(&b, "token_cache:\n  disabled: %t\n", s.cacheOff)
	if s.maxEntries > 0 {
		fmt.Fprintf(&b, "  max_entries: %d\n", s.maxEntries)
	}
	b.WriteString("jwks:\n  refresh_interval: 1h\nserver:\n  shutdown_timeout: 5s\n")
	if s.noHeapFloor {
		b.WriteString("  heap_floor: 0\n")
	}
	b.WriteString("policy_file: policy.yaml\n")
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(gatePolicy), 0o600); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+".yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}
