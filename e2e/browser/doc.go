// Package browser is the end-to-end test of cognito-gate in a real browser:
// Debian's chromium, headless, driven by chromedp, opens a WebSocket from a
// page served through the gate on 127.0.0.1 with the token in the
// subprotocol (browsers cannot set Authorization on new WebSocket()),
// exchanges messages with an upstream (github.com/coder/websocket), and
// sees the gate close the socket when the token expires.
//
// It is its own Go module (replace to the repository root), like bench/,
// so that chromedp and the WebSocket library never enter the main go.mod.
// Run it with `go test ./...` here; it needs /usr/bin/chromium (apt-get
// install chromium) and builds the binary from ../../cmd/cognito-gate.
// Outside CI a missing chromium skips it; in CI (CI set) it fails.
package browser
