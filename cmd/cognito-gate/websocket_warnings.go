package main

// websocketWarnings are the footguns of the WebSocket token source and the
// RFC 9728 document for cmd: forward-auth can neither remove the token
// entry from what the proxy forwards nor serve the document.
func (gc *gateConfig) websocketWarnings(cmd string) []string {
	if cmd != commandForwardAuth {
		return nil
	}
	var ws []string
	if gc.raw.Tokens.WebSocketSubprotocol {
		ws = append(ws, "tokens.websocket_subprotocol in forward-auth: the gate cannot remove the token entry from what the proxy forwards, so the upstream sees it (and must not choose it as its subprotocol); the proxy must pass Upgrade and Connection in the subrequest, or the entry is refused 400")
	}
	if gc.raw.ResourceMetadata != nil {
		ws = append(ws, "resource_metadata in forward-auth: only serve publishes the RFC 9728 document; route /.well-known/oauth-protected-resource to a serve instance or serve it from the upstream")
	}
	return ws
}
