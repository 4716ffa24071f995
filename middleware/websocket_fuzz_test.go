package middleware

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// FuzzWebSocketProtocol checks the WebSocket subprotocol source on
// arbitrary headers: it never panics; it reads no token from a header
// without the prefix in any case; a token comes only from a handshake with
// exactly one Sec-WebSocket-Protocol header holding exactly one entry that
// is the prefix and the token's unpadded base64url, and the token has no
// space or tab; a header with the prefix that yields no token is an error,
// never "no token".
func FuzzWebSocketProtocol(f *testing.F) {
	entry := WebSocketTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte("a.b.c"))
	for _, s := range []string{"chat.v1", "chat.v1, " + entry, entry + ", " + entry, " ," + entry + "\t",
		WebSocketTokenPrefix, WebSocketTokenPrefix + "YQ==", strings.ToUpper(entry), "x" + entry, `"` + entry + `"`, ""} {
		f.Add(s, "", true)
		f.Add(s, "chat.v2", false)
	}
	f.Fuzz(func(t *testing.T, v, second string, handshake bool) {
		h := http.Header{"Sec-Websocket-Protocol": {v}}
		if second != "" {
			h["Sec-Websocket-Protocol"] = append(h["Sec-Websocket-Protocol"], second)
		}
		if handshake {
			h.Set("Upgrade", "websocket")
			h.Set("Connection", "Upgrade")
		}
		r := &http.Request{Method: http.MethodGet, Header: h}
		tok, err := webSocketProtocol{}.Token(r)
		held := countFold(v, WebSocketTokenPrefix) + countFold(second, WebSocketTokenPrefix)
		switch {
		case err != nil:
			if tok != "" {
				t.Fatalf("%q: token %q with error %v", v, tok, err)
			}
		case tok == "":
			if held != 0 {
				t.Fatalf("%q, %q: a token prefix read as no token", v, second)
			}
		default:
			if !handshake || second != "" || held != 1 || hasBlank(tok) {
				t.Fatalf("%q, %q (handshake %v): read token %q", v, second, handshake, tok)
			}
			want := WebSocketTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(tok))
			found := false
			for e := range strings.SplitSeq(v, ",") {
				found = found || strings.Trim(e, " \t") == want
			}
			if !found {
				t.Fatalf("%q: token %q is not one of its entries", v, tok)
			}
		}
	})
}
