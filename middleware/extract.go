package middleware

import (
	"fmt"
	"iter"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/cognito-gate/cognito-gate/internal/cookiepair"
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
//
// A value that starts with the Bearer scheme but is not "Bearer", one or
// more spaces, and a token without spaces or tabs is an invalid request
// (400): "Bearer\tx", "Bearerx", "Bearer\x00x", "Bearer" alone, leading
// or trailing whitespace, two tokens. Such a value must not count as "no
// bearer token": the request would go on anonymously while an upstream (or
// a more lenient parser) may still read a token out of it. The token's
// other bytes are left to the verifier, whose strict base64url decoding
// refuses anything but a JWT's characters (401 malformed): scanning every
// byte here too would double the cost of a cached verification, and any
// token that reaches the upstream has passed that check.
func AuthorizationHeader() TokenSource { return authorizationHeader{} }

type authorizationHeader struct{}

func (authorizationHeader) Name() string { return "header Authorization" }

func (a authorizationHeader) Token(r *http.Request) (string, error) {
	return withBlankCheck(a.tokenBlankUnchecked(r))
}

// tokenBlankUnchecked is Token without the whitespace check of the token
// itself (hasBlank): for the middleware in front of a *claims.Verifier,
// which accepts and caches no token with a space or tab. The middleware
// makes the check only when verification fails, and then refuses the
// token as Token does (errBlankToken, 400): a scan of the whole token
// saved on every request.
func (authorizationHeader) tokenBlankUnchecked(r *http.Request) (string, error) {
	// Indexed with the canonical name itself: what Header.Values does
	// after canonicalising the name it is given, without that work on
	// every request.
	vals := r.Header["Authorization"]
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%d Authorization headers: %w", len(vals), errInvalidRequest)
	}
	if !hasBearerScheme(vals[0]) {
		return "", nil
	}
	return bearerSyntax(vals[0])
}

// errBlankToken refuses a bearer token with a space or tab in it.
var errBlankToken = fmt.Errorf("bearer token contains whitespace: %w", errInvalidRequest)

// withBlankCheck completes a token read without its whitespace check:
// tok, or the refusal of a token with a space or tab.
func withBlankCheck(tok string, err error) (string, error) {
	if err == nil && hasBlank(tok) {
		err = errBlankToken
	}
	if err != nil {
		return "", err
	}
	return tok, nil
}

// hasBearerScheme reports whether v starts with "bearer" in any case,
// after any spaces or tabs (which net/http removes from received headers,
// but a request built in-process may keep).
func hasBearerScheme(v string) bool {
	// A loop, not strings.TrimLeft with a cutset of two bytes, which
	// builds its byte set on every call (a tenth of the bearer parse).
	i := 0
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	v = v[i:]
	return len(v) >= len("bearer") && strings.EqualFold(v[:len("bearer")], "bearer")
}

// bearer extracts the token from a value that hasBearerScheme: exactly
// the scheme, one or more spaces (RFC 6750's 1*SP), and a token with no
// space or tab.
func bearer(v string) (string, error) { return withBlankCheck(bearerSyntax(v)) }

// bearerSyntax is bearer without the check that the token itself holds no
// space or tab.
func bearerSyntax(v string) (string, error) {
	if v[0] == ' ' || v[0] == '\t' {
		return "", fmt.Errorf("bearer credentials with leading whitespace: %w", errInvalidRequest)
	}
	rest := v[len("bearer"):]
	switch {
	case rest == "":
		return "", fmt.Errorf("empty bearer token: %w", errInvalidRequest)
	case rest[0] != ' ':
		// "Bearer\tforged", "Bearerforged", "Bearer\x00...": not a
		// bearer header as RFC 6750 writes it, but one a lenient parser
		// would read a token from.
		return "", fmt.Errorf("bearer scheme followed by %q, not a space: %w", rest[0], errInvalidRequest)
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" {
		return "", fmt.Errorf("empty bearer token: %w", errInvalidRequest)
	}
	return tok, nil
}

// hasBlank reports whether s holds a space or a tab, where parsers
// disagree about where a token ends. (Two vectorised scans: cheap next to
// a byte-by-byte check of the whole token.)
func hasBlank(s string) bool {
	return strings.IndexByte(s, ' ') >= 0 || strings.IndexByte(s, '\t') >= 0
}

// Header reads the token from a custom header. The value may be the bare
// token or "Bearer <token>", read as AuthorizationHeader reads it. Use it
// behind a proxy that moves the token there; make sure clients cannot set
// the header themselves in ways you do not intend.
//
// An empty value, a repeated header, and a value that is neither a
// well-formed bearer credential nor a bare token without spaces and tabs
// are invalid requests (400), never "no token". (net/http has removed the
// spaces and tabs around a received value; nothing else is trimmed.)
func Header(name string) TokenSource { return header{name: http.CanonicalHeaderKey(name)} }

type header struct{ name string }

func (h header) Name() string { return "header " + h.name }

func (h header) Token(r *http.Request) (string, error) {
	vals := r.Header[h.name] // h.name is canonical (see Header)
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%d %s headers: %w", len(vals), h.name, errInvalidRequest)
	}
	v := vals[0]
	if hasBearerScheme(v) {
		return bearer(v)
	}
	if v == "" || hasBlank(v) {
		return "", fmt.Errorf("%s header is empty or has whitespace: %w", h.name, errInvalidRequest)
	}
	return v, nil
}

// Cookie reads the token from the named cookie, e.g. for browser sessions
// that keep the access token in an HttpOnly cookie. Cookie-borne tokens are
// sent by browsers automatically: protect state-changing routes against
// cross-site requests (SameSite cookies, CSRF tokens).
//
// The cookie is found by reading every Cookie header itself, not with
// http.Request.Cookie: the cookie sent twice (which r.Cookie answers with
// the first, while an upstream may read the other) is an invalid request
// (400), and so is a value with a space or tab; a value that r.Cookie
// would silently drop (a backslash, a comma) is read and left to the
// verifier to refuse, never taken for "no cookie". An empty value holds no
// token (what a browser sends after a logout that emptied the cookie). A
// value in double quotes is read without them, as net/http does.
func Cookie(name string) TokenSource { return cookie{name: name} }

type cookie struct{ name string }

func (c cookie) Name() string { return "cookie " + c.name }

func (c cookie) Token(r *http.Request) (string, error) {
	var val string
	n := 0
	for name, v := range cookies(r) {
		switch {
		case name == c.name:
			n++
			val = v
		case cookiepair.Hides(name, v, func(h string) bool { return h == c.name }):
			return "", fmt.Errorf("cookie %s hides a cookie %s in its value: %w", quoted(name), c.name, errInvalidRequest)
		}
	}
	return soleCookie(c.name, n, val)
}

// soleCookie reads the token of the cookie name, sent n times, the last
// with the value val: no token when it was not sent, an invalid request
// when it was sent more than once (a reader that takes the first and one
// that takes the last would read different tokens), else cookieToken.
func soleCookie(name string, n int, val string) (string, error) {
	switch {
	case n == 0:
		return "", nil
	case n > 1:
		return "", fmt.Errorf("cookie %s sent %d times: %w", name, n, errInvalidRequest)
	}
	return cookieToken(name, val)
}

// cookies yields the name and value of every cookie of the request's
// Cookie headers, in order, split on ";" and "=" and trimmed of spaces and
// tabs as RFC 6265 and net/http split them, but kept whatever their bytes
// (http.Request.Cookies drops the pairs it cannot parse, which another
// reader may still read). A pair without "=" is a name with an empty value.
func cookies(r *http.Request) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, line := range r.Header["Cookie"] {
			for part := range strings.SplitSeq(line, ";") {
				name, v, _ := strings.Cut(textproto.TrimString(part), "=")
				if !yield(textproto.TrimString(name), v) {
					return
				}
			}
		}
	}
}

// cookieToken reads the token in the value of the cookie name: without
// double quotes around it, as net/http reads it; "" (no token) when it is
// empty, what a browser sends after a logout emptied the cookie; an
// invalid request when it has a space or a tab, or a double quote or a
// backslash left after that (a lone '"', which net/http drops as not a
// cookie value: the gate and the upstream must not disagree about whether
// the cookie is there).
func cookieToken(name, val string) (string, error) {
	if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
		val = val[1 : len(val)-1]
	}
	if val == "" {
		return "", nil
	}
	if hasBlank(val) {
		return "", fmt.Errorf("cookie %s has whitespace: %w", name, errInvalidRequest)
	}
	if strings.ContainsAny(val, `"\`) {
		return "", fmt.Errorf("cookie %s has a stray double quote or backslash: %w", name, errInvalidRequest)
	}
	return val, nil
}

// Query reads the token from a URL query parameter (RFC 6750 section 2.3,
// conventionally "access_token"). Tokens in URLs end up in access logs,
// browser history and Referer headers; RFC 6750 advises against it, so this
// source is only used when configured explicitly.
//
// A query that does not parse (a semicolon separator, a malformed
// %-escape: parts that net/http's parser drops but another may read), the
// parameter given more than once or empty, or a value with a space or tab
// (after unescaping) is an invalid request (400).
func Query(name string) TokenSource { return query{name: name} }

type query struct{ name string }

func (q query) Name() string { return "query " + q.name }

func (q query) Token(r *http.Request) (string, error) {
	all, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", fmt.Errorf("query does not parse, so it may hide a %s parameter: %w", q.name, errInvalidRequest)
	}
	vals, ok := all[q.name]
	switch {
	case !ok:
		return "", nil
	case len(vals) != 1 || vals[0] == "":
		return "", fmt.Errorf("query parameter %s given %d times or empty: %w", q.name, len(vals), errInvalidRequest)
	}
	if hasBlank(vals[0]) {
		return "", fmt.Errorf("query parameter %s has whitespace: %w", q.name, errInvalidRequest)
	}
	return vals[0], nil
}

// extractFor returns the token of the first source that holds one, trying
// them in order, and that source. With blankLater, the Authorization
// header's token is returned without its whitespace check
// (tokenBlankUnchecked), and unchecked says so: if it fails verification,
// the caller must refuse it (errBlankToken) when it has a space or tab.
func extractFor(r *http.Request, sources []TokenSource, blankLater bool) (_ string, _ TokenSource, unchecked bool, _ error) {
	for _, s := range sources {
		var tok string
		var err error
		a, late := s.(authorizationHeader)
		if late = late && blankLater; late {
			tok, err = a.tokenBlankUnchecked(r)
		} else {
			tok, err = s.Token(r)
		}
		if err != nil || tok != "" {
			return tok, s, late && err == nil, err
		}
	}
	return "", nil, false, nil
}
