package middleware

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// WebSocketTokenPrefix starts the subprotocol that carries a bearer token
// in a WebSocket opening handshake: the client offers, beside the
// subprotocols of its application,
//
//	base64url.bearer.authorization.cognito-gate.<base64url(token), unpadded>
//
// It is the convention of the Kubernetes API server
// ("base64url.bearer.authorization.k8s.io.<...>", which OpenShift, web
// consoles and other gateways follow), under this project's name.
// The token is base64url-encoded again although a JWT's characters are
// all valid in a subprotocol name: clients written for the Kubernetes
// form differ only in the prefix, and a strict decoding leaves no second
// spelling of one token.
const WebSocketTokenPrefix = "base64url.bearer.authorization.cognito-gate."

// WebSocketProtocol reads the token from the Sec-WebSocket-Protocol header
// of a WebSocket opening handshake (RFC 6455 section 4.1), for browsers:
// their WebSocket API cannot set Authorization, only the URL (where a
// token ends up in access logs) and the subprotocols. In JavaScript:
//
//	const b64url = btoa(token).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
//	new WebSocket(url, ["chat.v1", "base64url.bearer.authorization.cognito-gate." + b64url]);
//
// Offer the application's real subprotocol too ("chat.v1" above), and have
// the application choose it: a browser fails a handshake whose answer
// names no subprotocol when it offered some, and the token entry must
// never be the one chosen. A proxy in front of the application removes the
// token entry from the header it forwards (cognito-gate serve does), so
// that the application can neither echo it nor log it.
//
// The source is opt-in (it is not among the defaults) and strict, since a
// token it does not read must never reach an application as "no token":
//
//   - an entry is looked for only when the header holds the prefix in any
//     case; otherwise the header is the application's and no token;
//   - the request must be a WebSocket opening handshake, GET with
//     "Upgrade: websocket" and "Connection: upgrade"; a token entry on any
//     other request is an invalid request (400);
//   - the header must come once (RFC 6455 lets a client repeat it; with a
//     token entry in it, a repeated header is 400), hold the prefix only
//     at the start of one comma-separated entry, spelled exactly (400
//     otherwise: "Base64url.bearer...", a prefix inside another entry, two
//     token entries), and that entry must be an HTTP token (no spaces,
//     quotes or other separators);
//   - what follows the prefix must be unpadded base64url with no stray
//     bits, decoding to a token without spaces or tabs (400 otherwise).
//
// The decoded token's other bytes are the verifier's to refuse, as with
// every source (401 malformed).
func WebSocketProtocol() TokenSource { return webSocketProtocol{} }

type webSocketProtocol struct{}

func (webSocketProtocol) Name() string { return "websocket subprotocol" }

func (webSocketProtocol) Token(r *http.Request) (string, error) {
	vals := r.Header.Values("Sec-WebSocket-Protocol")
	held := 0 // token prefixes in any case, anywhere
	for _, v := range vals {
		held += countFold(v, WebSocketTokenPrefix)
	}
	switch {
	case held == 0:
		return "", nil
	case len(vals) > 1:
		return "", fmt.Errorf("%d Sec-WebSocket-Protocol headers with a token entry: %w", len(vals), errInvalidRequest)
	case !IsWebSocketHandshake(r):
		return "", fmt.Errorf("a WebSocket token entry on a request that is not a WebSocket opening handshake: %w", errInvalidRequest)
	}
	var entry string
	n := 0
	for e := range strings.SplitSeq(vals[0], ",") {
		e = strings.Trim(e, " \t")
		if strings.HasPrefix(e, WebSocketTokenPrefix) {
			entry = e
			n++
		}
	}
	switch {
	case n != held:
		return "", fmt.Errorf("the WebSocket token prefix is misspelled or inside another entry: %w", errInvalidRequest)
	case n > 1:
		return "", fmt.Errorf("%d WebSocket token entries: %w", n, errInvalidRequest)
	case !validToken(entry):
		return "", fmt.Errorf("the WebSocket token entry is not an HTTP token: %w", errInvalidRequest)
	}
	enc := entry[len(WebSocketTokenPrefix):]
	if enc == "" {
		return "", fmt.Errorf("empty WebSocket token: %w", errInvalidRequest)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return "", fmt.Errorf("the WebSocket token is not unpadded base64url: %w", errInvalidRequest)
	}
	tok := string(raw)
	if hasBlank(tok) {
		return "", fmt.Errorf("the WebSocket token contains whitespace: %w", errInvalidRequest)
	}
	return tok, nil
}

// IsWebSocketHandshake reports whether r is a WebSocket opening handshake
// over HTTP/1.1 (RFC 6455 section 4.1): GET, "websocket" among the Upgrade
// header's protocols and "upgrade" among the Connection header's options,
// in any case.
func IsWebSocketHandshake(r *http.Request) bool {
	return r.Method == http.MethodGet &&
		httpguts.HeaderValuesContainsToken(r.Header["Upgrade"], "websocket") &&
		httpguts.HeaderValuesContainsToken(r.Header["Connection"], "upgrade")
}

// countFold counts the occurrences of prefix, which starts with a
// letter, in s, letters compared in any case, without allocating.
func countFold(s, prefix string) int {
	n := 0
	for i := 0; i+len(prefix) <= len(s); i++ {
		if s[i]|0x20 == prefix[0]|0x20 && strings.EqualFold(s[i:i+len(prefix)], prefix) {
			n++
			i += len(prefix) - 1
		}
	}
	return n
}

// validToken reports whether s is an RFC 9110 token (1*tchar), the syntax
// of a subprotocol name.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !httpguts.IsTokenRune(rune(s[i])) {
			return false
		}
	}
	return true
}
