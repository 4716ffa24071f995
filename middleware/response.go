package middleware

import (
	"net/http"
	"strconv"
	"strings"
)

// oauthError returns the RFC 6750 error code for e, or "" when the
// response carries none (no token was sent).
func oauthError(e *Error) string {
	switch {
	case e.Status == http.StatusBadRequest:
		return "invalid_request"
	case e.Status == http.StatusForbidden:
		return "insufficient_scope"
	case e.Status == http.StatusUnauthorized && e.TokenSent:
		return "invalid_token"
	}
	return ""
}

// Challenge returns the WWW-Authenticate value for e per RFC 6750 section 3:
// a bare `Bearer realm="..."` when no token was sent, otherwise with error,
// error_description (the reason) and, for insufficient_scope, scope. It
// returns "" for statuses that carry no challenge (500, 503).
func Challenge(realm string, e *Error) string { return challenge(realm, "", e) }

// challenge is Challenge with, when metadataURL is not empty and e is a
// 401, the resource_metadata parameter of RFC 9728 section 5.1 last (see
// ResourceMetadata).
func challenge(realm, metadataURL string, e *Error) string {
	if e.Status != http.StatusUnauthorized && e.Status != http.StatusForbidden && e.Status != http.StatusBadRequest {
		return ""
	}
	var b strings.Builder
	b.WriteString(`Bearer realm=`)
	b.WriteString(quote(realm))
	if code := oauthError(e); code != "" {
		b.WriteString(`, error="`)
		b.WriteString(code)
		b.WriteString(`", error_description="`)
		b.WriteString(string(e.Reason))
		b.WriteString(`"`)
		if len(e.Scopes) > 0 {
			b.WriteString(`, scope=`)
			b.WriteString(quote(strings.Join(e.Scopes, " ")))
		}
	}
	if metadataURL != "" && e.Status == http.StatusUnauthorized {
		b.WriteString(`, resource_metadata=`)
		b.WriteString(quote(metadataURL))
	}
	return b.String()
}

// quote makes an RFC 7230 quoted-string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		if c < 0x20 || c == 0x7f {
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// ErrorCode returns the "error" member of the denial's JSON body: the RFC
// 6750 error code (invalid_request, invalid_token, insufficient_scope), or
// unauthorized (no token was sent), temporarily_unavailable (503) or
// server_error. The body's other member, "reason", is e.Reason.
func (e *Error) ErrorCode() string {
	if code := oauthError(e); code != "" {
		return code
	}
	switch e.Status {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	default:
		return "server_error"
	}
}

// SetErrorHeaders sets the headers of the denial response for e on h: the
// RFC 6750 WWW-Authenticate challenge (Challenge), Cache-Control: no-store,
// X-Content-Type-Options: nosniff and, on a 503, Retry-After. WriteError
// sets them; adapters that write denials in their own idiom set them too.
func SetErrorHeaders(h http.Header, realm string, e *Error) { setErrorHeaders(h, realm, "", e) }

// setErrorHeaders is SetErrorHeaders with the challenge of challenge.
func setErrorHeaders(h http.Header, realm, metadataURL string, e *Error) {
	if c := challenge(realm, metadataURL, e); c != "" {
		h.Set("WWW-Authenticate", c)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "5")
	}
}

// WriteError writes the default denial response for e: the status, the
// headers of SetErrorHeaders (the RFC 6750 WWW-Authenticate challenge,
// Cache-Control: no-store, Retry-After on a 503), and a small JSON body
// {"error": "...", "reason": "..."} (see Error.ErrorCode). Nothing from
// the token or the verification error's text is written.
func WriteError(w http.ResponseWriter, realm string, e *Error) { writeError(w, realm, "", e) }

// writeError is WriteError with the challenge of challenge.
func writeError(w http.ResponseWriter, realm, metadataURL string, e *Error) {
	h := w.Header()
	setErrorHeaders(h, realm, metadataURL, e)
	h.Set("Content-Type", "application/json")
	body := `{"error":"` + e.ErrorCode() + `","reason":"` + string(e.Reason) + `"}` + "\n"
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(body))
}
