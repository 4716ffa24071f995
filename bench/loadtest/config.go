package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// admin-only route; anything else is denied.
const policyYAML = `default: deny
rules:
  - name: public
    route: /public/
    anonymous: true
  - name: api
    route: /api/
  - name: admin
    route: /admin/
    groups_any: [admin]
`

// writeGatewayConfig writes the gateway's configuration and policy into
// dir and returns the configuration's path.
func writeGatewayConfig(dir string, pool *fakepool.Pool, upstreamURL string, cooldown time.Duration, logLevel string, tokenCache bool) (string, error) {
	text := fmt.Sprintf(`listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
upstream: %s
pools:
  - user_pool_id: %s
    jwks_url: %s
    allow_http: true
    client_ids: [%s]
    token_use: access
jwks:
  cooldown: %s
  max_backoff: 1s
  refresh_interval: 1h
token_cache:
  disabled: %t
server:
  shutdown_timeout: 5s
log:
  level: %s
policy_file: policy.yaml
`, upstreamURL, pool.PoolID(), pool.JWKSURL(), pool.ClientID(), cooldown, !tokenCache, logLevel)
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policyYAML), 0o600); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "gate.yaml")
	return path, os.WriteFile(path, []byte(text), 0o600)
}
