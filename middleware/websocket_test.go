package middleware_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/middleware"
)

// wsEntry is the subprotocol entry that carries tok.
func wsEntry(tok string) string {
	return middleware.WebSocketTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(tok))
}

// wsHandshake is a WebSocket opening handshake for target with the given
// Sec-WebSocket-Protocol headers (none when empty).
func wsHandshake(target string, protocols ...string) *http.Request {
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	for _, p := range protocols {
		r.Header.Add("Sec-WebSocket-Protocol", p)
	}
	return r
}

// TestWebSocketProtocolSource is the source's every rule: what it reads,
// what is no token (the header is the application's), and what is an
// invalid request (400) because a token it did not read could still reach
// the application.
func TestWebSocketProtocolSource(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	entry := wsEntry(jwt)
	tests := []struct {
		name    string
		req     *http.Request
		want    string
		wantErr bool
	}{
		{name: "no header", req: wsHandshake("/ws"), want: ""},
		{name: "application subprotocols only", req: wsHandshake("/ws", "chat.v1, chat.v2"), want: ""},
		{name: "token entry after the application's", req: wsHandshake("/ws", "chat.v1, "+entry), want: jwt},
		{name: "token entry first", req: wsHandshake("/ws", entry+", chat.v1"), want: jwt},
		{name: "token entry alone", req: wsHandshake("/ws", entry), want: jwt},
		{name: "tabs and empty list elements", req: wsHandshake("/ws", " ,chat.v1,\t"+entry+"\t, ,"), want: jwt},
		{name: "a non-JWT token is the verifier's to refuse", req: wsHandshake("/ws", wsEntry("opaque\x01value")), want: "opaque\x01value"},
		{name: "upgrade and connection in other cases and lists", req: func() *http.Request {
			r := wsHandshake("/ws", entry)
			r.Header.Set("Connection", "keep-alive, UPGRADE")
			r.Header.Set("Upgrade", "WebSocket")
			return r
		}(), want: jwt},
		{name: "application header repeated, no token", req: wsHandshake("/ws", "chat.v1", "chat.v2"), want: ""},

		// Not a WebSocket handshake.
		{name: "POST", req: func() *http.Request {
			r := wsHandshake("/ws", entry)
			r.Method = "POST"
			return r
		}(), wantErr: true},
		{name: "no Upgrade header", req: func() *http.Request {
			r := wsHandshake("/ws", entry)
			r.Header.Del("Upgrade")
			return r
		}(), wantErr: true},
		{name: "Upgrade to another protocol", req: func() *http.Request {
			r := wsHandshake("/ws", entry)
			r.Header.Set("Upgrade", "h2c")
			return r
		}(), wantErr: true},
		{name: "no Connection: upgrade", req: func() *http.Request {
			r := wsHandshake("/ws", entry)
			r.Header.Set("Connection", "keep-alive")
			return r
		}(), wantErr: true},
		{name: "plain GET with a token entry", req: func() *http.Request {
			r := httptest.NewRequest("GET", "/ws", nil)
			r.Header.Set("Sec-WebSocket-Protocol", entry)
			return r
		}(), wantErr: true},

		// Ambiguous or malformed entries.
		{name: "header repeated with the token", req: wsHandshake("/ws", "chat.v1", entry), wantErr: true},
		{name: "header repeated, token in each", req: wsHandshake("/ws", entry, entry), wantErr: true},
		{name: "two token entries", req: wsHandshake("/ws", entry+", "+wsEntry("other")), wantErr: true},
		{name: "the same token entry twice", req: wsHandshake("/ws", entry+", "+entry), wantErr: true},
		{name: "prefix in another case", req: wsHandshake("/ws", strings.ToUpper(middleware.WebSocketTokenPrefix)+"YQ"), wantErr: true},
		{name: "prefix capitalised", req: wsHandshake("/ws", "B"+entry[1:]), wantErr: true},
		{name: "prefix inside another entry", req: wsHandshake("/ws", "x-"+entry), wantErr: true},
		{name: "prefix twice in one entry", req: wsHandshake("/ws", entry+middleware.WebSocketTokenPrefix+"YQ"), wantErr: true},
		{name: "prefix alone", req: wsHandshake("/ws", "chat.v1, "+middleware.WebSocketTokenPrefix), wantErr: true},
		{name: "space inside the entry", req: wsHandshake("/ws", entry[:50]+" "+entry[50:]), wantErr: true},
		{name: "quoted entry", req: wsHandshake("/ws", `"`+entry+`"`), wantErr: true},
		{name: "entry with a semicolon", req: wsHandshake("/ws", entry+";q=1"), wantErr: true},
		{name: "padded base64url", req: wsHandshake("/ws", middleware.WebSocketTokenPrefix+"YQ=="), wantErr: true},
		{name: "standard base64 alphabet", req: wsHandshake("/ws", middleware.WebSocketTokenPrefix+base64.RawStdEncoding.EncodeToString([]byte{0xfb, 0xff})), wantErr: true},
		{name: "stray bits", req: wsHandshake("/ws", middleware.WebSocketTokenPrefix+"YR"), wantErr: true},
		{name: "one base64 character", req: wsHandshake("/ws", middleware.WebSocketTokenPrefix+"Y"), wantErr: true},
		{name: "the raw JWT, not encoded", req: wsHandshake("/ws", middleware.WebSocketTokenPrefix+jwt), wantErr: true},
		{name: "token with a space", req: wsHandshake("/ws", wsEntry("a b")), wantErr: true},
		{name: "token with a tab", req: wsHandshake("/ws", wsEntry("a\tb")), wantErr: true},
	}
	src := middleware.WebSocketProtocol()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := src.Token(tc.req)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Token() error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Fatalf("Token() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWebSocketProtocolThroughMiddleware runs the source in the
// middleware: a valid token in the subprotocol opens the route, a forged
// one is refused as any token is, a malformed entry is 400 with the RFC
// 6750 challenge, and without the source configured the entry is not a
// credential at all.
func TestWebSocketProtocolThroughMiddleware(t *testing.T) {
	e := newEnv(t)
	tok := e.Pool.AccessToken()
	ws := []middleware.TokenSource{middleware.AuthorizationHeader(), middleware.WebSocketProtocol()}
	tests := []struct {
		name          string
		sources       []middleware.TokenSource
		req           *http.Request
		want          int
		wantChallenge string
	}{
		{name: "token in the subprotocol", sources: ws, req: wsHandshake("/me", "chat.v1, "+wsEntry(tok)), want: 200},
		{name: "forged token", sources: ws, req: wsHandshake("/me", "chat.v1, "+wsEntry("a.b.c")), want: 401,
			wantChallenge: `Bearer realm="cognito-gate", error="invalid_token", error_description="malformed"`},
		{name: "two entries", sources: ws, req: wsHandshake("/me", wsEntry(tok)+", "+wsEntry(tok)), want: 400,
			wantChallenge: `Bearer realm="cognito-gate", error="invalid_request", error_description="malformed"`},
		{name: "no token", sources: ws, req: wsHandshake("/me", "chat.v1"), want: 401, wantChallenge: `Bearer realm="cognito-gate"`},
		{name: "Authorization comes first", sources: ws, req: func() *http.Request {
			r := wsHandshake("/me", wsEntry("a.b.c"))
			r.Header.Set("Authorization", "Bearer "+tok)
			return r
		}(), want: 200},
		{name: "source not configured", req: wsHandshake("/me", "chat.v1, "+wsEntry(tok)), want: 401, wantChallenge: `Bearer realm="cognito-gate"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, s := serve(t, middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), TokenSources: tc.sources}, tc.req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.want, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.wantChallenge {
				t.Fatalf("challenge %q, want %q", got, tc.wantChallenge)
			}
			if tc.want == 200 && (s.tok == nil || s.rule != "profile") {
				t.Fatalf("handler saw token %v, rule %q", s.tok, s.rule)
			}
		})
	}
}

func TestIsWebSocketHandshake(t *testing.T) {
	tests := []struct {
		name string
		req  *http.Request
		want bool
	}{
		{name: "handshake", req: wsHandshake("/"), want: true},
		{name: "HEAD", req: func() *http.Request { r := wsHandshake("/"); r.Method = "HEAD"; return r }()},
		{name: "Upgrade listing websocket second", req: func() *http.Request {
			r := wsHandshake("/")
			r.Header.Set("Upgrade", "foo, websocket")
			return r
		}(), want: true},
		{name: "Upgrade websocket2", req: func() *http.Request {
			r := wsHandshake("/")
			r.Header.Set("Upgrade", "websocket2")
			return r
		}()},
		{name: "Connection upgrades", req: func() *http.Request {
			r := wsHandshake("/")
			r.Header.Set("Connection", "upgrades")
			return r
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := middleware.IsWebSocketHandshake(tc.req); got != tc.want {
				t.Fatalf("IsWebSocketHandshake = %v, want %v", got, tc.want)
			}
		})
	}
}
