package main

import (
	"strings"
	"testing"
)

// TestWebSocketWarnings: forward-auth warns about the settings only serve
// can honour; serve does not.
func TestWebSocketWarnings(t *testing.T) {
	gc := &gateConfig{}
	gc.raw.Tokens.WebSocketSubprotocol = true
	gc.raw.ResourceMetadata = &resourceMetadataConfig{}
	ws := gc.websocketWarnings(commandForwardAuth)
	if len(ws) != 2 || !strings.Contains(ws[0], "websocket_subprotocol") || !strings.Contains(ws[1], "resource_metadata") {
		t.Errorf("forward-auth warnings = %q", ws)
	}
	if ws := gc.websocketWarnings(commandServe); len(ws) != 0 {
		t.Errorf("serve warnings = %q", ws)
	}
}
