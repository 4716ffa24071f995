package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// issuerServer publishes the fake pool's key set under any pool id and,
// for oauth2-proxy, an OpenID discovery document: GET
// /<pool id>/.well-known/jwks.json and /<pool id>/.well-known/openid-configuration.
// The pool's tokens carry the issuer <url>/<pool id>, so that oauth2-proxy
// can discover it; the gate is given that issuer and the key URL.
type issuerServer struct {
	srv     *http.Server
	url     string
	pool    *fakepool.Pool
	fetches atomic.Int64 // key set requests
}

func startIssuerServer() (*issuerServer, net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	s := &issuerServer{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return s, ln, nil
}

// jwksURL returns the key set URL of poolID.
func (s *issuerServer) jwksURL(poolID string) string {
	return s.url + "/" + poolID + "/.well-known/jwks.json"
}

func (s *issuerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	poolID, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch rest {
	case ".well-known/jwks.json":
		s.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.pool.JWKS())
	case ".well-known/openid-configuration":
		iss := s.url + "/" + poolID
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss,
			"authorization_endpoint":                iss + "/oauth2/authorize",
			"token_endpoint":                        iss + "/oauth2/token",
			"jwks_uri":                              s.jwksURL(poolID),
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	default:
		http.NotFound(w, r)
	}
}

// nginxConf is nginx with three servers on the same upstream: alone
// (proxy_pass), with auth_request to the gate over an upstream block with
// keep-alive, and with auth_request as examples/forward-auth/nginx.conf
// writes it (proxy_pass to an address: a new connection per subrequest).
// The location blocks are the example's, identity and X-Forwarded headers
// included; the upstream is reached with keep-alive in all three, and no
// access log is written (the gate logs no allowed request either).
const nginxConf = `daemon off;
master_process on;
worker_processes auto;
pid {{dir}}/nginx.pid;
error_log {{dir}}/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path {{dir}}/nginx-body;
    proxy_temp_path {{dir}}/nginx-proxy;
    fastcgi_temp_path {{dir}}/nginx-fastcgi;
    uwsgi_temp_path {{dir}}/nginx-uwsgi;
    scgi_temp_path {{dir}}/nginx-scgi;
    keepalive_requests 1000000;
    upstream app { server {{upstream}}; keepalive 128; }
    upstream cognito_gate { server {{auth}}; keepalive 128; }

    server {
        listen {{alone}};
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
{{forwarded}}
            proxy_pass http://app;
        }
    }
    server {
        listen {{keepalive}};
{{authlocation}}
        location = /_cognito_gate {
            internal;
            proxy_pass http://cognito_gate/auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
{{subrequest}}
        }
    }
    server {
        listen {{perrequest}};
{{authlocation}}
        location = /_cognito_gate {
            internal;
            proxy_pass http://{{auth}}/auth;
{{subrequest}}
        }
    }
}
`

// nginxAuthLocation is the example's location / with auth_request.
const nginxAuthLocation = `        location / {
            auth_request /_cognito_gate;
{{authset}}
            proxy_http_version 1.1;
            proxy_set_header Connection "";
{{forwarded}}
            proxy_pass http://app;
        }`

const nginxAuthSet = `            auth_request_set $auth_www      $upstream_http_www_authenticate;
            auth_request_set $auth_sub      $upstream_http_x_auth_sub;
            auth_request_set $auth_username $upstream_http_x_auth_username;
            auth_request_set $auth_groups   $upstream_http_x_auth_groups;
            auth_request_set $auth_scopes   $upstream_http_x_auth_scopes;
            auth_request_set $auth_client   $upstream_http_x_auth_client_id;
            auth_request_set $auth_use      $upstream_http_x_auth_token_use;
            auth_request_set $auth_iss      $upstream_http_x_auth_issuer;
            add_header WWW-Authenticate $auth_www always;
            proxy_set_header X-Auth-Sub       $auth_sub;
            proxy_set_header X-Auth-Username  $auth_username;
            proxy_set_header X-Auth-Groups    $auth_groups;
            proxy_set_header X-Auth-Scopes    $auth_scopes;
            proxy_set_header X-Auth-Client-Id $auth_client;
            proxy_set_header X-Auth-Token-Use $auth_use;
            proxy_set_header X-Auth-Issuer    $auth_iss;`

const nginxForwarded = `            proxy_set_header X-Forwarded-For    $remote_addr;
            proxy_set_header X-Forwarded-Host   $host;
            proxy_set_header X-Forwarded-Proto  $scheme;
            proxy_set_header X-Real-IP          $remote_addr;
            proxy_set_header X-Forwarded-Prefix "";
            proxy_set_header X-Forwarded-Path   "";
            proxy_set_header X-Forwarded-Server "";
            proxy_set_header X-Forwarded-Port   "";
            proxy_set_header X-Original-Host    "";
            proxy_set_header X-Host             "";
            proxy_set_header X-Client-IP        "";
            proxy_set_header True-Client-IP     "";`

const nginxSubrequest = `            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-Method $request_method;
            proxy_set_header X-Forwarded-Uri    $request_uri;
            proxy_set_header X-Forwarded-Host   $host;`

// nginxAddrs are the listen addresses of nginxConf's three servers.
type nginxAddrs struct{ alone, keepalive, perRequest string }

// startNginx writes nginxConf into dir and runs bin on it.
func startNginx(ctx context.Context, bin, dir, upstream, auth string) (*proc, nginxAddrs, error) {
	var a nginxAddrs
	for _, p := range []*string{&a.alone, &a.keepalive, &a.perRequest} {
		addr, err := freeAddr()
		if err != nil {
			return nil, a, err
		}
		*p = addr
	}
	conf := strings.NewReplacer("{{dir}}", dir, "{{upstream}}", upstream, "{{auth}}", auth,
		"{{alone}}", a.alone, "{{keepalive}}", a.keepalive, "{{perrequest}}", a.perRequest,
		"{{authset}}", nginxAuthSet, "{{forwarded}}", nginxForwarded, "{{subrequest}}", nginxSubrequest).Replace(
		strings.ReplaceAll(nginxConf, "{{authlocation}}", nginxAuthLocation)) // the location holds placeholders too
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, a, err
	}
	p, _, err := startProc(ctx, dir, "nginx", exec.Command(bin, "-p", dir, "-c", path), "", a.alone)
	if err != nil {
		return nil, a, err
	}
	for _, addr := range []string{a.keepalive, a.perRequest} {
		if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err != nil {
			p.stop()
			return nil, a, fmt.Errorf("nginx: %w", err)
		} else {
			c.Close()
		}
	}
	return p, a, nil
}

// caddyfile is Caddy with two sites on the same upstream: alone
// (reverse_proxy) and with forward_auth to the gate, both with the
// reverse_proxy block of examples/forward-auth/Caddyfile.
const caddyfile = `{
	admin off
}
http://{{alone}} {
	bind 127.0.0.1
	reverse_proxy {{upstream}} {
{{headerup}}
	}
}
http://{{auth}} {
	bind 127.0.0.1
	forward_auth {{gate}} {
		uri /auth
		copy_headers X-Auth-Sub X-Auth-Username X-Auth-Groups X-Auth-Scopes X-Auth-Client-Id X-Auth-Token-Use X-Auth-Issuer
	}
	reverse_proxy {{upstream}} {
{{headerup}}
	}
}
`

const caddyHeaderUp = `		header_up -X-Real-IP
		header_up -X-Forwarded-Prefix
		header_up -X-Forwarded-Path
		header_up -X-Forwarded-Server
		header_up -X-Forwarded-Port
		header_up -X-Original-Host
		header_up -X-Host
		header_up -X-Client-IP
		header_up -True-Client-IP`

// startCaddy writes caddyfile into dir and runs bin on it; it returns the
// addresses of the site alone and of the one with forward_auth.
func startCaddy(ctx context.Context, bin, dir, upstream, gate string) (*proc, [2]string, error) {
	var a [2]string
	for i := range a {
		addr, err := freeAddr()
		if err != nil {
			return nil, a, err
		}
		a[i] = addr
	}
	conf := strings.NewReplacer("{{alone}}", a[0], "{{auth}}", a[1], "{{upstream}}", upstream,
		"{{gate}}", gate, "{{headerup}}", caddyHeaderUp).Replace(caddyfile)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, a, err
	}
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	home := filepath.Join(dir, "caddy-home")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+home, "XDG_CONFIG_HOME="+home)
	p, _, err := startProc(ctx, dir, "caddy", cmd, "", a[0])
	if err != nil {
		return nil, a, err
	}
	if c, err := net.DialTimeout("tcp", a[1], 5*time.Second); err != nil {
		p.stop()
		return nil, a, fmt.Errorf("caddy: %w", err)
	} else {
		c.Close()
	}
	p.stopSig = syscall.SIGTERM
	return p, a, nil
}

// startOAuth2Proxy runs oauth2-proxy in front of upstream, accepting the
// pool's access tokens as bearer JWTs: its OIDC provider is the pool's
// issuer (discovered from iss), the same issuer is an extra JWT issuer
// with the app client id as audience, and the audience is read from
// client_id (Cognito access tokens have no aud). Claims are never fetched
// from a profile URL; request logging is off (the gate logs no allowed
// request either).
func startOAuth2Proxy(ctx context.Context, bin, dir, upstream, issuer, clientID string) (*proc, string, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin,
		"--http-address=http://"+addr,
		"--upstream=http://"+upstream+"/",
		"--provider=oidc",
		"--oidc-issuer-url="+issuer,
		"--client-id="+clientID,
		"--client-secret=proxybench-not-a-secret",
		"--cookie-secret=0123456789abcdef0123456789abcdef",
		"--cookie-secure=false",
		"--email-domain=*",
		"--skip-jwt-bearer-tokens=true",
		"--extra-jwt-issuers="+issuer+"="+clientID,
		"--oidc-audience-claim=client_id",
		"--skip-claims-from-profile-url=true",
		"--request-logging=false",
		"--silence-ping-logging=true",
	)
	p, _, err := startProc(ctx, dir, "oauth2-proxy", cmd, "", addr)
	return p, addr, err
}
