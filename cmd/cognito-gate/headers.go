package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// Header names are compared the way the upstream's runtime will read them,
// not the way Go's http.Header stores them. CGI, WSGI (Werkzeug, Django),
// PHP and Rack turn a header name into an environment variable by
// upper-casing it and replacing every character that is not a letter or a
// digit with '_': "X-Auth-Groups", "X_Auth_Groups", "x.auth.groups" and
// "X~Auth~Groups" all become HTTP_X_AUTH_GROUPS, and the last one wins. So
// two names are the same header when they have the same length and agree
// on every letter (ignoring case) and digit, whatever punctuation stands
// between them. Every comparison of a client-sent header name with a name
// the gate owns goes through sameHeader or hasHeaderPrefix.

// sameHeader reports whether header names a and b are read as one header by
// some upstream runtime. It does not allocate.
func sameHeader(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if foldByte(a[i]) != foldByte(b[i]) {
			return false
		}
	}
	return true
}

// hasHeaderPrefix reports whether name starts with prefix, compared as
// sameHeader compares.
func hasHeaderPrefix(name, prefix string) bool {
	return len(name) >= len(prefix) && sameHeader(name[:len(prefix)], prefix)
}

// foldByte maps a header-name byte to its class: lower-case letters and
// digits stand for themselves, everything else is '_'.
func foldByte(c byte) byte {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return c
	case 'A' <= c && c <= 'Z':
		return c + 'a' - 'A'
	}
	return '_'
}

// defaultIdentityNames are the built-in identity header names. They are
// removed from client requests whatever the configuration says, so that
// renaming a header (or turning it off with "-") never lets a client-sent
// X-Auth-Groups through to an upstream that still reads it. X-Auth-Pool-Id
// is among them, though it is set only when identity_headers.pool_id
// names it.
var defaultIdentityNames = []string{
	"X-Auth-Sub", "X-Auth-Username", "X-Auth-Groups", "X-Auth-Scopes",
	"X-Auth-Client-Id", "X-Auth-Token-Use", "X-Auth-Issuer",
	"X-Auth-Caller", "X-Auth-Caller-Type", "X-Auth-Pool-Id",
}

// overrideHeaders are request headers with which frameworks let a client
// change the method, path or host a request is routed by, or its apparent
// origin: Symfony and IIS read X-Original-URL and X-Rewrite-URL, Rails,
// Express (method-override) and Laravel the method overrides, Werkzeug's
// ProxyFix and Spring the X-Forwarded-Prefix family. The policy judged the
// request line, so in serve mode they are removed unless listed in
// request_headers.keep; the forward-auth endpoint refuses a subrequest that
// carries one of routingOverrides.
var overrideHeaders = []string{
	"X-Original-URL", "X-Rewrite-URL", "X-Original-URI", "X-Original-Method",
	"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
	"X-Original-Host", "X-Host", "X-Real-IP", "X-Client-IP", "True-Client-IP",
	"X-Forwarded-Prefix", "X-Forwarded-Path", "X-Forwarded-Server", "X-Forwarded-Port",
	"X-Forwarded-Scheme", "X-Forwarded-Ssl", "X-Forwarded-Uri", "X-Forwarded-Method",
	"X-Url-Scheme", "Front-End-Https",
	// Flask's ReverseProxied recipe mounts the app under X-Script-Name and
	// takes the scheme from X-Scheme; Rails' RemoteIp reads Client-IP,
	// others X-Cluster-Client-IP and ingress-nginx's
	// X-Original-Forwarded-For.
	"X-Script-Name", "X-Scheme", "Client-IP", "X-Cluster-Client-IP", "X-Original-Forwarded-For",
}

// routingOverrides are the override headers that change which route a
// framework runs. No proxy in front of the forward-auth endpoint sets them
// on its own, so a subrequest that carries one comes from a client and is
// refused.
var routingOverrides = []string{
	"X-Original-URL", "X-Rewrite-URL",
	"X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
}

// methodParam is the query parameter with which Symfony (with
// http_method_override) and Express's method-override (given the name)
// let a client turn a POST into another method: the policy judged the
// request line's method. Serve removes it in every spelling PHP reads as
// it (sameParam); forward-auth and ext_authz refuse a request that
// carries it. The same field in a form body is not read (docs/security.md).
const methodParam = "_method"

// methodOverride returns the raw key of the first parameter of the raw
// query q that an upstream may read as methodParam, or "".
func methodOverride(q string) string {
	for q != "" {
		var p string
		p, q, _ = strings.Cut(q, "&")
		if k, _, _ := strings.Cut(p, "="); sameParam(k, methodParam) {
			return k
		}
	}
	return ""
}

// forwardedPrefix is the family of headers the gate sets itself (For, Host,
// Proto) or removes: in serve mode no client-sent X-Forwarded-* header
// reaches the upstream.
const forwardedPrefix = "X-Forwarded-"

// identityHeaders maps verified claims to the headers sent upstream, and
// knows every name a client could use to pose as one of them.
type identityHeaders struct {
	sub, username, groups, scopes, clientID, tokenUse, issuer string
	claims                                                    map[string]string           // claim path -> header
	paths                                                     map[string]policy.ClaimPath // claim path -> parsed
	// caller and callerType carry tok.Caller and "machine" or "user";
	// poolID, "" unless configured, tok.UserPoolID.
	caller, callerType, poolID string
	// names lists every identity header name — the built-in defaults and
	// each configured name, emitted or not — to strip from client requests
	// in any spelling.
	names []string
}

// isIdentity reports whether a header name is, or would be read as, one of
// the identity headers.
func (ih *identityHeaders) isIdentity(name string) bool {
	for _, n := range ih.names {
		if sameHeader(name, n) {
			return true
		}
	}
	return false
}

// identityHeaderCount is how many identity headers setIdentity sets
// besides the configured claim headers: the capacity it allocates for
// their values.
const identityHeaderCount = 10

// setIdentity removes from h every header that could pass for an identity
// header, in any spelling, and sets the real ones from tok (nil: anonymous,
// none set). Values that cannot travel in a header (control characters)
// are left out.
func (ih *identityHeaders) setIdentity(h http.Header, tok *claims.Token) {
	for name := range h {
		if ih.isIdentity(name) {
			delete(h, name)
		}
	}
	if tok == nil {
		return
	}
	// The values share one backing array, each a slice of one with its
	// capacity cut to its length (an append by a later handler
	// reallocates): one allocation for every header instead of one each.
	// Should vals outgrow its capacity, append moves it, and the headers
	// already set keep the old array.
	vals := make([]string, 0, identityHeaderCount+len(ih.claims))
	set := func(name, v string) {
		if name == "" || v == "" || hasControl(v) {
			return
		}
		vals = append(vals, v)
		h[name] = vals[len(vals)-1 : len(vals) : len(vals)] // name is canonical (see validator.identityHeaders)
	}
	set(ih.sub, tok.Subject)
	set(ih.username, tok.Username)
	// The values that cost work (a join, the issuer's parse) are made
	// only for headers that are on; pool_id is off unless set.
	if ih.groups != "" {
		set(ih.groups, strings.Join(tok.Groups, ","))
	}
	if ih.scopes != "" {
		set(ih.scopes, strings.Join(tok.Scopes, " "))
	}
	set(ih.clientID, tok.ClientID)
	set(ih.tokenUse, string(tok.Use))
	set(ih.issuer, tok.Issuer)
	set(ih.caller, tok.Caller())
	set(ih.callerType, callerType(tok))
	if ih.poolID != "" {
		set(ih.poolID, tok.UserPoolID())
	}
	for claim, name := range ih.claims {
		if v, ok := claimHeaderValue(ih.paths[claim], tok); ok {
			set(name, v)
		}
	}
}

// hasControl reports whether s holds a control character
// (unicode.IsControl: C0, DEL or C1), as strings.ContainsFunc(s,
// unicode.IsControl) does (FuzzHasControl holds it to that), but reads
// ASCII a byte at a time instead of decoding every rune: identity header
// values are ASCII but for the odd name or claim.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return true
		case c >= utf8.RuneSelf:
			// Everything before i is ASCII, so i starts a rune.
			return strings.ContainsFunc(s[i:], unicode.IsControl)
		}
	}
	return false
}

// claimHeaderValue is the identity header value of the claim path p in
// tok: a string as it is, any other value (number, boolean, array, object)
// as compact JSON; no value for a claim that is absent or null.
func claimHeaderValue(p policy.ClaimPath, tok *claims.Token) (string, bool) {
	raw, ok := p.Lookup(tok)
	if !ok || string(raw) == "null" {
		return "", false
	}
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", false
	}
	return b.String(), true
}

// callerType is the identity_headers.caller_type value of tok: "machine"
// for a machine-to-machine token (client credentials), "user" for every
// other, so that an upstream never takes a client id for a username.
func callerType(tok *claims.Token) string {
	if tok.IsMachine() {
		return "machine"
	}
	return "user"
}

// requestFilter decides which client-sent headers reach the upstream.
type requestFilter struct {
	identity *identityHeaders
	// keep lists override headers the configuration lets through
	// (request_headers.keep).
	keep []string
}

// overridden reports whether name is one of the override headers (any
// spelling) or an X-Forwarded-* header, and not kept.
func (f *requestFilter) overridden(name string) bool {
	listed := hasHeaderPrefix(name, forwardedPrefix)
	if !listed {
		for _, o := range overrideHeaders {
			if sameHeader(name, o) {
				listed = true
				break
			}
		}
	}
	if !listed {
		return false
	}
	for _, k := range f.keep {
		if sameHeader(name, k) {
			return false
		}
	}
	return true
}

// strip removes from h the identity and override headers a client sent.
func (f *requestFilter) strip(h http.Header) {
	for name := range h {
		if f.identity.isIdentity(name) || f.overridden(name) {
			delete(h, name)
		}
	}
}

// smuggled returns the name of the first header in h that a forward-auth
// subrequest must not carry: a spelling of an identity header (the proxy
// would pass it on to the upstream beside the real one), a routing
// override unless kept, or an override or X-Forwarded-* header spelled
// with other punctuation than '-' (X_Forwarded_Host, X-Forwarded.Uri: no
// proxy sets such a name, the proxy passes it on, and a CGI-style upstream
// reads it as the real one, which the proxy set). It returns "" when there
// is none.
func (f *requestFilter) smuggled(h http.Header) string {
	for name := range h {
		if f.identity.isIdentity(name) {
			return name
		}
		if punctuated(name) && (hasHeaderPrefix(name, forwardedPrefix) || slices.ContainsFunc(overrideHeaders, func(o string) bool { return sameHeader(o, name) })) {
			return name
		}
		for _, o := range routingOverrides {
			if sameHeader(name, o) && !slices.ContainsFunc(f.keep, func(k string) bool { return sameHeader(k, name) }) {
				return name
			}
		}
	}
	return ""
}

// punctuated reports whether a header name holds a byte other than a
// letter, a digit or '-'.
func punctuated(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i] | 0x20; (c < 'a' || c > 'z') && (name[i] < '0' || name[i] > '9') && name[i] != '-' {
			return true
		}
	}
	return false
}

// keepable reports whether name may be listed in request_headers.keep: an
// override header other than the X-Forwarded-For, -Host and -Proto the gate
// sets itself.
func keepable(name string) bool {
	for _, own := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if sameHeader(name, own) {
			return false
		}
	}
	if hasHeaderPrefix(name, forwardedPrefix) {
		return true
	}
	return slices.ContainsFunc(overrideHeaders, func(o string) bool { return sameHeader(name, o) })
}
