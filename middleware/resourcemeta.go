package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
)

// ResourceMetadataPath is the well-known path of OAuth 2.0 protected
// resource metadata (RFC 9728 section 3). A resource whose identifier has
// a path publishes its document at this path followed by its own
// ("/.well-known/oauth-protected-resource/mcp" for
// "https://api.example.com/mcp").
const ResourceMetadataPath = "/.well-known/oauth-protected-resource"

// Bearer methods of RFC 9728 section 2 (bearer_methods_supported): the
// token in the Authorization header, in a form body, in the query (RFC
// 6750 sections 2.1 to 2.3).
const (
	BearerMethodHeader = "header"
	BearerMethodBody   = "body"
	BearerMethodQuery  = "query"
)

// ResourceMetadataConfig describes a protected resource (RFC 9728 section
// 2). Resource is required; an empty list or string leaves its member out
// of the document, as section 3.2 requires of parameters with no value.
type ResourceMetadataConfig struct {
	// Resource is the resource identifier: an absolute https URL with no
	// query or fragment, in its canonical form (lower-case scheme and
	// host, no dot-segments, empty segments or %-escapes), such as
	// "https://api.example.com" or "https://api.example.com/mcp". A
	// client that found the document through a challenge's
	// resource_metadata uses it only when Resource is exactly the URL it
	// requested (RFC 9728 section 3.3), so for an MCP server it is the
	// server's URL. http is accepted for loopback hosts only (localhost,
	// 127.0.0.0/8, ::1), for development.
	Resource string

	// AuthorizationServers are the issuer identifiers (RFC 8414) of the
	// authorization servers whose tokens the resource accepts: for
	// Cognito, the user pools' issuers (claims.Verifier.Issuers), from
	// which clients find the pool's OpenID configuration. Absolute http
	// or https URLs without user information, query or fragment (every
	// issuer the verifier accepts is one), each once.
	AuthorizationServers []string

	// ScopesSupported lists the scopes clients request for access to the
	// resource (RFC 6749 scope tokens, each once). The resource may
	// accept more.
	ScopesSupported []string

	// BearerMethodsSupported lists how a token may be sent:
	// BearerMethodHeader, BearerMethodBody, BearerMethodQuery, each once.
	// Empty leaves the member out, which implies nothing about the
	// methods (a token in a cookie or another header is none of them).
	BearerMethodsSupported []string

	// ResourceName is a human-readable name of the resource (optional).
	ResourceName string

	// ResourceDocumentation is the URL of a page for developers of
	// clients (optional; an absolute http or https URL).
	ResourceDocumentation string
}

// ResourceMetadataError is one problem of a ResourceMetadataConfig, named
// by its member of RFC 9728 ("resource", "scopes_supported[2]").
type ResourceMetadataError struct {
	Key     string
	Problem string
}

func (e *ResourceMetadataError) Error() string {
	return "middleware: resource metadata: " + e.Key + ": " + e.Problem
}

// ResourceMetadata serves the protected resource metadata document of RFC
// 9728 and adds its URL to the challenges of 401 answers (section 5.1),
// which is how MCP clients and other OAuth clients that know nothing of
// the resource find the authorization servers to get a token from. It is
// immutable and safe for concurrent use.
//
// Serve it outside the middleware (the document is public: clients fetch
// it without a token) at Path, and have the middleware answer denials with
// ErrorHandler:
//
//	rm, err := middleware.NewResourceMetadata(middleware.ResourceMetadataConfig{...})
//	m, err := middleware.New(middleware.Config{..., ErrorHandler: rm.ErrorHandler(middleware.DefaultRealm)})
//	mux.Handle("GET "+rm.Path(), rm)
//	mux.Handle("/", m.Handler(app))
type ResourceMetadata struct {
	path string // the document's path
	url  string // the document's URL, for challenges
	doc  []byte // the document, JSON
}

// resourceMetadataDoc is the document's JSON, members in the order of RFC
// 9728 section 2: ResourceMetadataConfig with the members' names.
type resourceMetadataDoc struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers,omitempty"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported,omitempty"`
	ResourceName           string   `json:"resource_name,omitempty"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
}

// NewResourceMetadata validates cfg and builds the document. Every problem
// is reported, as the joined *ResourceMetadataError of each.
func NewResourceMetadata(cfg ResourceMetadataConfig) (*ResourceMetadata, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &ResourceMetadataError{Key: key, Problem: fmt.Sprintf(format, args...)})
	}
	rm := &ResourceMetadata{}
	if p := checkResource(cfg.Resource); p != "" {
		bad("resource", "%s", p)
	} else {
		// The well-known path goes between the host and the path, a
		// path of "/" alone dropped (RFC 9728 section 3.1).
		u, _ := url.Parse(cfg.Resource)
		rm.path = ResourceMetadataPath
		if u.Path != "/" {
			rm.path += u.Path
		}
		rm.url = u.Scheme + "://" + u.Host + rm.path
	}
	eachOnce(cfg.AuthorizationServers, "authorization_servers", bad, func(s string) string {
		return checkURL(s, "want an issuer identifier such as https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123", false)
	})
	eachOnce(cfg.ScopesSupported, "scopes_supported", bad, checkScopeToken)
	eachOnce(cfg.BearerMethodsSupported, "bearer_methods_supported", bad, func(s string) string {
		switch s {
		case BearerMethodHeader, BearerMethodBody, BearerMethodQuery:
			return ""
		}
		return fmt.Sprintf("want %s, %s or %s, got %q", BearerMethodHeader, BearerMethodBody, BearerMethodQuery, s)
	})
	if strings.ContainsFunc(cfg.ResourceName, isControl) {
		bad("resource_name", "contains control characters")
	}
	if cfg.ResourceDocumentation != "" {
		if p := checkURL(cfg.ResourceDocumentation, "want a page's URL such as https://docs.example.com/api", false); p != "" {
			bad("resource_documentation", "%s", p)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	doc, err := json.Marshal(resourceMetadataDoc(cfg))
	if err != nil {
		return nil, fmt.Errorf("middleware: resource metadata: %w", err)
	}
	rm.doc = append(doc, '\n')
	return rm, nil
}

// eachOnce checks every value of list with check, and that none comes
// twice, reporting problems under key[i].
func eachOnce(list []string, key string, bad func(key, format string, args ...any), check func(string) string) {
	for i, s := range list {
		k := fmt.Sprintf("%s[%d]", key, i)
		if p := check(s); p != "" {
			bad(k, "%s", p)
		} else if j := slices.Index(list, s); j < i {
			bad(k, "%q is also %s[%d]", s, key, j)
		}
	}
}

// checkResource returns what is wrong with a resource identifier, or "".
func checkResource(s string) string {
	const want = "want an https URL such as https://api.example.com/mcp"
	if s == "" {
		return "required: " + want
	}
	if p := checkURL(s, want, true); p != "" {
		return p
	}
	u, _ := url.Parse(s)
	switch {
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Sprintf("http only for a loopback host (localhost, 127.0.0.1, [::1]): %s, got %q", want, s)
	case strings.Contains(s, "%"):
		return fmt.Sprintf("%%-escapes are not allowed (clients compare the URL byte for byte): got %q", s)
	case strings.Contains(u.Path, "//"):
		return fmt.Sprintf("empty path segment: got %q", s)
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fmt.Sprintf("dot-segment in the path: got %q", s)
		}
	}
	return ""
}

// checkURL returns what is wrong with s as an absolute http or https URL
// with no query, fragment or user information, and when canonical is set
// in lower-case scheme and host, or "".
func checkURL(s, want string, canonical bool) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("%s, got %q", want, s)
	case canonical && !strings.HasPrefix(s, u.Scheme+"://"):
		return fmt.Sprintf("the scheme must be in lower case: got %q", s)
	case u.User != nil || strings.ContainsAny(s, "?#"):
		return fmt.Sprintf("no user information, query or fragment: got %q", s)
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '"' || r == '\\' }):
		return fmt.Sprintf("spaces, quotes, backslashes, control and non-ASCII characters are not allowed: got %q", s)
	case canonical && u.Host != strings.ToLower(u.Host):
		return fmt.Sprintf("the host must be in lower case: got %q", s)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("bad port %q", port)
		}
	}
	return ""
}

// checkScopeToken returns what is wrong with s as an RFC 6749 scope token
// (1*NQCHAR: printable ASCII but space, '"' and '\'), or "".
func checkScopeToken(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '"' || r == '\\' }) {
		return fmt.Sprintf("not a scope (printable ASCII, no spaces, quotes or backslashes): %q", s)
	}
	return ""
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// isLoopback reports whether host (no port, no brackets) is localhost or a
// loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Path returns the path of the document: ResourceMetadataPath, followed by
// the path of the resource identifier when it has one.
func (rm *ResourceMetadata) Path() string { return rm.path }

// URL returns the document's URL, the resource_metadata of challenges.
func (rm *ResourceMetadata) URL() string { return rm.url }

// ServeHTTP answers GET and HEAD with the document (200, application/json,
// cacheable for five minutes, readable cross-origin: it is public, and
// browser-based clients fetch it from their own origin); any other method
// with 405. It does not look at the path: mount it at Path.
func (rm *ResourceMetadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(rm.doc)))
	h.Set("Cache-Control", "max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(rm.doc)
	}
}

// Challenge is the package's Challenge with, on a 401, the
// resource_metadata parameter naming URL last.
func (rm *ResourceMetadata) Challenge(realm string, e *Error) string {
	return challenge(realm, rm.url, e)
}

// SetErrorHeaders is the package's SetErrorHeaders with the challenge of
// rm.Challenge, for adapters that answer denials in their own idiom.
func (rm *ResourceMetadata) SetErrorHeaders(h http.Header, realm string, e *Error) {
	setErrorHeaders(h, realm, rm.url, e)
}

// WriteError is the package's WriteError with the challenge of
// rm.Challenge.
func (rm *ResourceMetadata) WriteError(w http.ResponseWriter, realm string, e *Error) {
	writeError(w, realm, rm.url, e)
}

// ErrorHandler returns a Config.ErrorHandler that answers denials as
// WriteError does, with the challenge of rm.Challenge; realm must be the
// middleware's (Config.Realm, DefaultRealm when that is empty).
func (rm *ResourceMetadata) ErrorHandler(realm string) func(w http.ResponseWriter, r *http.Request, err error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Status: http.StatusInternalServerError, Reason: claims.ReasonInternal, Err: err}
		}
		rm.WriteError(w, realm, e)
	}
}
