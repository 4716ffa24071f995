package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/proctest"
)

// nginxConf puts cognito-gate forward-auth in front of an upstream with
// auth_request, as README.md documents it.
const nginxConf = `worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen 127.0.0.1:%[2]d;
        location / {
            auth_request /_cognito_gate;
            auth_request_set $auth_www $upstream_http_www_authenticate;
            auth_request_set $auth_sub $upstream_http_x_auth_sub;
            auth_request_set $auth_username $upstream_http_x_auth_username;
            auth_request_set $auth_groups $upstream_http_x_auth_groups;
            auth_request_set $auth_scopes $upstream_http_x_auth_scopes;
            auth_request_set $auth_client $upstream_http_x_auth_client_id;
            auth_request_set $auth_use $upstream_http_x_auth_token_use;
            auth_request_set $auth_iss $upstream_http_x_auth_issuer;
            # Always set (an empty value removes a header the client sent).
            proxy_set_header X-Auth-Sub $auth_sub;
            proxy_set_header X-Auth-Username $auth_username;
            proxy_set_header X-Auth-Groups $auth_groups;
            proxy_set_header X-Auth-Scopes $auth_scopes;
            proxy_set_header X-Auth-Client-Id $auth_client;
            proxy_set_header X-Auth-Token-Use $auth_use;
            proxy_set_header X-Auth-Issuer $auth_iss;
            add_header WWW-Authenticate $auth_www always;
            proxy_pass %[3]s;
        }
        location = /_cognito_gate {
            internal;
            proxy_pass %[4]s/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Forwarded-Method $request_method;
            proxy_set_header X-Forwarded-Host $host;
        }
    }
}
`

func TestNginxAuthRequest(t *testing.T) {
	nginx := proctest.Tool(t, "nginx", "apt-get install nginx", "/usr/sbin")
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, "", e2ePolicy, "")
	gate := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)

	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	port := proctest.FreePort(t)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, port, up.URL, gate.addr["forward-auth"]), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-c", conf, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	proctest.Start(t, "nginx", cmd, &proctest.Buffer{})
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", log)
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	// Wait for nginx to accept connections (it has just been started).
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling a child process's start-up
	}

	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin"))
	reader := pool.AccessToken(cognitotest.WithSubject("sub-bob"), cognitotest.WithUsername("bob"))
	tests := []struct {
		name, method, path, token string
		want                      int
		wantSub                   string
	}{
		{"admin", "DELETE", "/admin/users/1", admin, 200, "sub-alice"},
		{"reader on admin", "GET", "/admin/users/1", reader, 403, ""},
		{"no token", "GET", "/me", "", 401, ""},
		{"reader", "GET", "/me", reader, 200, "sub-bob"},
		{"expired", "GET", "/me", pool.AccessToken(cognitotest.WithIssuedAt(time.Now().Add(-3 * time.Hour))), 401, ""},
		{"anonymous with spoofed identity", "GET", "/public/x", "", 200, ""},
		{"default deny", "GET", "/elsewhere", admin, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.count()
			resp := get(t, tt.method, base+tt.path, tt.token, spoofed)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want != 200 {
				if up.count() != before {
					t.Error("a denied request reached the upstream")
				}
				if tt.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
					t.Errorf("401 without a Bearer challenge through nginx: %v", resp.Header)
				}
				return
			}
			r := up.last(t)
			if r.URL.Path != tt.path || r.Method != tt.method {
				t.Errorf("upstream got %s %s", r.Method, r.URL.Path)
			}
			if tt.token != admin && r.Header.Get("X-Auth-Groups") != "" {
				t.Errorf("upstream X-Auth-Groups = %q for a caller in no group", r.Header.Get("X-Auth-Groups"))
			}
			if got := r.Header.Get("X-Auth-Sub"); got != tt.wantSub {
				t.Errorf("upstream X-Auth-Sub = %q, want %q", got, tt.wantSub)
			}
			for name := range spoofed {
				// X-Auth-Tenant is no identity header of this configuration.
				if name != "X-Auth-Tenant" && r.Header.Get(name) == "spoofed" {
					t.Errorf("spoofed %s reached the upstream", name)
				}
			}
		})
	}
	if resp := get(t, "GET", base+"/me", reader, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("repeat: %d", resp.StatusCode)
	}
}
