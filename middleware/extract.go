package middleware

import (
	"fmt"
	"net/http"
	"strings"
)

// TokenSource finds a bearer token in a request. It returns the token, or
// "" when the source holds none, or an error when the source is present but
// unusable (e.g. "Authorization: Bearer" with nothing after it).
type TokenSource interface {
	Token(r *http.Request) (string, error)
	// Name describes the source for logs, e.g. "header Authorization".
	Name() string
}

// AuthorizationHeader reads "Authorization: Bearer <token>" (RFC 6750
// section 2.1). The scheme is matched case-insensitively; a header with
// another scheme (Basic, say) holds no bearer token.
func AuthorizationHeader() TokenSource { return authorizationHeader{} }

type authorizationHeader struct{}

func (authorizationHeader) Name() string { return "header Authorization" }

func (authorizationHeader) Token(r *http.Request) (string, error) {
	vals := r.Header.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%d Authorization headers: %w", len(vals), errInvalidRequest)
	}
	return bearer(vals[0])
}

// bearer extracts the token from an Authorization header value.
func bearer(v string) (string, error) {
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", nil
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" {
		return "", fmt.Errorf("empty bearer token: %w", errInvalidRequest)
	}
	if strings.IndexByte(tok, ' ') >= 0 || strings.IndexByte(tok, '\t') >= 0 {
		return "", fmt.Errorf("bearer token contains whitespace: %w", errInvalidRequest)
	}
	return tok, nil
}

// Header reads the token from a custom header. The value may be the bare
// token or "Bearer <token>". Use it behind a proxy that moves the token
// there; make sure clients cannot set the header themselves in ways you do
// not intend.
func Header(name string) TokenSource { return header{name: http.CanonicalHeaderKey(name)} }

type header struct{ name string }

func (h header) Name() string { return "header " + h.name }

func (h header) Token(r *http.Request) (string, error) {
	vals := r.Header.Values(h.name)
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%d %s headers: %w", len(vals), h.name, errInvalidRequest)
	}
	v := strings.TrimSpace(vals[0])
	if scheme, _, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return bearer(v)
	}
	if v == "" || strings.ContainsAny(v, " \t") {
		return "", fmt.Errorf("%s header is empty or has whitespace: %w", h.name, errInvalidRequest)
	}
	return v, nil
}

// Cookie reads the token from the named cookie, e.g. for browser sessions
// that keep the access token in an HttpOnly cookie. Cookie-borne tokens are
// sent by browsers automatically: protect state-changing routes against
// cross-site requests (SameSite cookies, CSRF tokens).
func Cookie(name string) TokenSource { return cookie{name: name} }

type cookie struct{ name string }

func (c cookie) Name() string { return "cookie " + c.name }

func (c cookie) Token(r *http.Request) (string, error) {
	ck, err := r.Cookie(c.name)
	if err != nil || ck.Value == "" {
		return "", nil
	}
	return ck.Value, nil
}

// Query reads the token from a URL query parameter (RFC 6750 section 2.3,
// conventionally "access_token"). Tokens in URLs end up in access logs,
// browser history and Referer headers; RFC 6750 advises against it, so this
// source is only used when configured explicitly.
func Query(name string) TokenSource { return query{name: name} }

type query struct{ name string }

func (q query) Name() string { return "query " + q.name }

func (q query) Token(r *http.Request) (string, error) {
	vals, ok := r.URL.Query()[q.name]
	switch {
	case !ok:
		return "", nil
	case len(vals) != 1 || vals[0] == "":
		return "", fmt.Errorf("query parameter %s given %d times or empty: %w", q.name, len(vals), errInvalidRequest)
	}
	return vals[0], nil
}

// extract returns the token of the first source that holds one, trying
// them in order.
func extract(r *http.Request, sources []TokenSource) (string, error) {
	for _, s := range sources {
		tok, err := s.Token(r)
		if err != nil || tok != "" {
			return tok, err
		}
	}
	return "", nil
}
