package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// validator checks a decoded configuration file section by section, sets
// the defaults and builds the components' configurations. Each section
// reports all of its problems; none stops the others.
type validator struct {
	d      *yamlstrict.Decoder
	gc     *gateConfig
	fc     *fileConfig
	data   []byte                      // the file, for the inline policy
	env    func(string) (string, bool) // for the inline policy
	errs   []*yamlstrict.Error         // problems of the file
	others []error                     // problems of other files (the policy file)
}

// validate runs every section's checks, in the order of the README's
// table (the order of the file, usually; the report is sorted by line
// anyway). The identity headers come before forward-auth, which must not
// reuse them.
func (v *validator) validate() {
	v.listeners()
	v.upstream()
	v.pools()
	v.verification()
	v.revocation()
	v.albTokens()
	v.tokens()
	v.websocketSettings()
	v.resourceMetadata()
	v.identityHeaders()
	v.assertion()
	v.requestHeaders()
	v.forwardAuth()
	v.extAuthz()
	v.server()
	v.log()
	v.policy()
	v.liveCheck()
	v.operations()
}

// bad records a problem of field, unless the decoder already reported a
// problem there (or in a field containing it, or inside it): a value the
// decoder could not read is left at its zero value, and judging that
// would only repeat the first problem in other words.
func (v *validator) bad(field, format string, args ...any) {
	if v.d.Reported(field) {
		return
	}
	v.errs = append(v.errs, &yamlstrict.Error{File: v.gc.file, Line: v.d.Line(field), Field: field, Msg: fmt.Sprintf(format, args...)})
}

// listeners checks listen and admin_listen.
func (v *validator) listeners() {
	fc := v.fc
	fc.Listen = orDefault(fc.Listen, defaultListen)
	fc.AdminListen = orDefault(fc.AdminListen, defaultAdminListen)
	for _, l := range []struct{ field, addr string }{{"listen", fc.Listen}, {"admin_listen", fc.AdminListen}} {
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			v.bad(l.field, "want host:port, e.g. 127.0.0.1:8080, got %q", l.addr)
		}
	}
	if _, port, _ := net.SplitHostPort(fc.Listen); fc.Listen == fc.AdminListen && port != "0" {
		v.bad("admin_listen", "must differ from listen (%s)", fc.Listen)
	}
}

// upstream checks upstream (required only by serve: see forCommand).
func (v *validator) upstream() {
	raw := v.fc.Upstream
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		v.bad("upstream", "want an http or https URL such as http://127.0.0.1:3000, got %q", raw)
		return
	}
	v.gc.upstream = u
}

// pools builds the verifier's pools, which verification checks.
func (v *validator) pools() {
	for i, p := range v.fc.Pools {
		v.gc.claims.Pools = append(v.gc.claims.Pools, claims.Pool{
			UserPoolID: p.UserPoolID, Region: p.Region, Issuer: p.Issuer, JWKSURL: p.JWKSURL, AllowHTTP: p.AllowHTTP,
			ClientIDs: p.ClientIDs, SkipClientIDCheck: p.SkipClientIDCheck, TokenUse: claims.TokenUse(p.TokenUse),
			Keys: v.keysFile(i, p.KeysFile), IssuerFormats: p.IssuerFormats, Regions: p.Regions,
		})
	}
}

// maxKeysFileBytes bounds a keys_file, as jwks.max_response_bytes bounds a
// fetched key set by default.
const maxKeysFileBytes = jwks.DefaultMaxResponseBytes

// keysFile reads pools[i].keys_file, a JSON Web Key Set on disk (relative
// to the configuration file's directory), or returns nil when none is
// set. The verifier checks its keys (every entry must be usable).
func (v *validator) keysFile(i int, path string) []byte {
	if path == "" {
		return nil
	}
	field := fmt.Sprintf("pools[%d].keys_file", i)
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(v.gc.file), path)
	}
	f, err := os.Open(path)
	if err != nil {
		v.bad(field, "%v", err)
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeysFileBytes+1))
	switch {
	case err != nil:
		v.bad(field, "reading %s: %v", path, err)
		return nil
	case len(data) > maxKeysFileBytes:
		v.bad(field, "%s is larger than %d bytes", path, maxKeysFileBytes)
		return nil
	}
	return data
}

// verification builds the rest of the verifier's configuration
// (algorithms, leeway, jwks, token_cache), then has the verifier check
// everything it is given, the pools included: the checks are the
// verifier's, made once, so that check and start-up agree.
func (v *validator) verification() {
	fc, cc := v.fc, &v.gc.claims
	cc.Algorithms, cc.Leeway = fc.Algorithms, fc.Leeway
	if fc.NoLeeway {
		if fc.Leeway != 0 {
			v.bad("no_leeway", "set leeway or no_leeway, not both")
		}
		cc.Leeway = claims.NoLeeway
	}
	cc.JWKS = jwks.Config{
		RefreshInterval: fc.JWKS.RefreshInterval, Cooldown: fc.JWKS.Cooldown, MaxBackoff: fc.JWKS.MaxBackoff,
		MaxStaleness: fc.JWKS.MaxStaleness, FetchTimeout: fc.JWKS.FetchTimeout, MaxResponseBytes: fc.JWKS.MaxResponseBytes,
		MaxConcurrentFetches: fc.JWKS.MaxConcurrentFetches,
	}
	cc.Cache = claims.CacheConfig{Disabled: fc.TokenCache.Disabled, MaxEntries: fc.TokenCache.MaxEntries, MaxBytes: fc.TokenCache.MaxBytes}
	for _, p := range claimsProblems(*cc) {
		v.bad(p.field, "%s", p.msg)
	}
}

// tokens checks the token sources and the realm.
func (v *validator) tokens() {
	fc, gc := v.fc, v.gc
	add := func(src middleware.TokenSource, c carrier) {
		gc.sources = append(gc.sources, src)
		if gc.credentials.carriers == nil {
			gc.credentials.carriers = make(map[middleware.TokenSource]carrier)
		}
		gc.credentials.carriers[src] = c
	}
	// Behind a load balancer (tokens.alb) its headers are the credential
	// (gc.alb), and Authorization is no longer the default source.
	if fc.Tokens.ALB == nil && (fc.Tokens.Authorization == nil || *fc.Tokens.Authorization) {
		add(middleware.AuthorizationHeader(), carrierAuthorization)
	}
	if fc.Tokens.Header != "" {
		if !validHeaderName(fc.Tokens.Header) {
			v.bad("tokens.header", "not a valid header name: %q", fc.Tokens.Header)
		}
		add(middleware.Header(fc.Tokens.Header), carrierHeader)
		gc.credentials.header = fc.Tokens.Header
	}
	if fc.Tokens.Cookie != "" {
		if !validHeaderName(fc.Tokens.Cookie) { // a cookie-name is a token, as a header name is (RFC 6265)
			v.bad("tokens.cookie", "not a valid cookie name: %q", fc.Tokens.Cookie)
		}
		add(middleware.Cookie(fc.Tokens.Cookie), carrierCookie)
		gc.credentials.cookie = fc.Tokens.Cookie
	}
	v.amplifyTokens(add)
	if fc.Tokens.Query != "" {
		add(middleware.Query(fc.Tokens.Query), carrierQuery)
		gc.credentials.query = fc.Tokens.Query
	}
	if fc.Tokens.WebSocketSubprotocol {
		add(middleware.WebSocketProtocol(), carrierWebSocket)
		gc.credentials.websocket = true
	}
	if len(gc.sources) == 0 && fc.Tokens.ALB == nil {
		v.bad("tokens", "no token source: enable authorization or set cookie, header or query")
	}
	if strings.ContainsAny(fc.Realm, "\"\\\r\n") {
		v.bad("realm", "must not contain quotes, backslashes or line breaks")
	}
}

// identityHeaders checks identity_headers and builds the identity headers.
func (v *validator) identityHeaders() {
	h := v.fc.IdentityHeaders
	ih := &identityHeaders{
		sub: orDefault(h.Sub, "X-Auth-Sub"), username: orDefault(h.Username, "X-Auth-Username"),
		groups: orDefault(h.Groups, "X-Auth-Groups"), scopes: orDefault(h.Scopes, "X-Auth-Scopes"),
		clientID: orDefault(h.ClientID, "X-Auth-Client-Id"), tokenUse: orDefault(h.TokenUse, "X-Auth-Token-Use"),
		issuer: orDefault(h.Issuer, "X-Auth-Issuer"), claims: map[string]string{}, paths: map[string]policy.ClaimPath{},
		caller: orDefault(h.Caller, "X-Auth-Caller"), callerType: orDefault(h.CallerType, "X-Auth-Caller-Type"), poolID: h.PoolID,
	}
	v.gc.headers = ih
	// seen maps a folded name to the field that uses it: two names an
	// upstream would read as one header cannot both carry identity.
	seen := map[string]string{}
	fields := []struct {
		field string
		name  *string
	}{
		{"identity_headers.sub", &ih.sub}, {"identity_headers.username", &ih.username},
		{"identity_headers.groups", &ih.groups}, {"identity_headers.scopes", &ih.scopes},
		{"identity_headers.client_id", &ih.clientID}, {"identity_headers.token_use", &ih.tokenUse},
		{"identity_headers.issuer", &ih.issuer},
		{"identity_headers.caller", &ih.caller}, {"identity_headers.caller_type", &ih.callerType},
		{"identity_headers.pool_id", &ih.poolID}, // off unless set
	}
	for _, f := range fields {
		if *f.name == "" {
			continue // pool_id, not set
		}
		v.identityName(seen, f.field, *f.name)
		if *f.name == "-" {
			*f.name = "" // "-" turns a header off
		}
	}
	// The claims in the file's order, so that a name used twice is
	// reported at its second use.
	for _, claim := range v.claimOrder(h.Claims) {
		name := h.Claims[claim]
		field := "identity_headers.claims." + claim
		if claim == "" {
			v.bad("identity_headers.claims", "empty claim name")
		}
		if name == "-" {
			v.bad(field, `"-" turns off only a built-in header; remove the entry instead`)
			continue
		}
		v.identityName(seen, field, name)
		// A claim path, as in policy conditions: tenant.id reaches into an
		// object, ["custom:org.unit"] names a claim with a dot.
		p, err := policy.ParseClaimPath(claim)
		var pe *policy.ClaimPathError
		switch {
		case errors.As(err, &pe):
			v.bad(field, "%s", pe.Reason)
			continue
		case err != nil:
			v.bad(field, "%v", err)
			continue
		}
		ih.claims[claim], ih.paths[claim] = name, p
	}
	// Every name that is or was an identity header is stripped from client
	// requests: the built-in defaults even when renamed or turned off.
	ih.names = append(ih.names, defaultIdentityNames...)
	for _, f := range fields {
		if *f.name != "" && !slices.ContainsFunc(ih.names, func(n string) bool { return sameHeader(n, *f.name) }) {
			ih.names = append(ih.names, *f.name)
		}
	}
	for _, claim := range slices.Sorted(maps.Keys(ih.claims)) {
		ih.names = append(ih.names, ih.claims[claim])
	}
	// The names setIdentity sets, in canonical form once here: it uses
	// them as keys of the header map as they are.
	for _, f := range fields {
		*f.name = textproto.CanonicalMIMEHeaderKey(*f.name)
	}
	for claim, name := range ih.claims {
		ih.claims[claim] = textproto.CanonicalMIMEHeaderKey(name)
	}
}

// claimOrder returns the keys of identity_headers.claims by line.
func (v *validator) claimOrder(m map[string]string) []string {
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int {
		return v.d.Line("identity_headers.claims."+a) - v.d.Line("identity_headers.claims."+b)
	})
	return keys
}

// identityName checks one identity header name of field.
func (v *validator) identityName(seen map[string]string, field, name string) {
	switch {
	case name == "-":
		return
	case !validHeaderName(name):
		v.bad(field, "not a valid header name: %q", name)
	case isHopOrReserved(name):
		v.bad(field, "%s cannot carry identity", name)
	case hasHeaderPrefix(name, forwardedPrefix) || slices.ContainsFunc(overrideHeaders, func(o string) bool { return sameHeader(o, name) }):
		v.bad(field, "%s is a proxy header the gate strips or sets; choose another name", name)
	case seen[foldName(name)] != "":
		v.bad(field, "header %s is also used by %s (names that differ only in case or punctuation are one header to CGI, WSGI and PHP upstreams)", name, seen[foldName(name)])
	}
	seen[foldName(name)] = field
}

// requestHeaders checks request_headers and forward_authorization.
func (v *validator) requestHeaders() {
	gc := v.gc
	gc.filter = &requestFilter{identity: gc.headers}
	for i, name := range v.fc.RequestHeaders.Keep {
		field := fmt.Sprintf("request_headers.keep[%d]", i)
		switch {
		case !validHeaderName(name):
			v.bad(field, "not a valid header name: %q", name)
		case !keepable(name):
			v.bad(field, "%s is not a header the gate strips by default (see request_headers in README.md); X-Forwarded-For, -Host and -Proto are always set by the gate", name)
		default:
			gc.filter.keep = append(gc.filter.keep, name)
		}
	}
	gc.forwardAuthorization = v.fc.ForwardAuthorization == nil || *v.fc.ForwardAuthorization
}

// forwardAuth checks forward_auth and sets its defaults.
func (v *validator) forwardAuth() {
	fa := &v.fc.ForwardAuth
	switch fa.Mode {
	case "":
		fa.Mode = modeHeaders
	case modeHeaders, modeEnvoy:
	default:
		v.bad("forward_auth.mode", "want %s or %s, got %q", modeHeaders, modeEnvoy, fa.Mode)
	}
	if fa.Mode == modeEnvoy {
		v.envoyHeaders(fa)
	} else {
		v.forwardedHeaders(fa)
	}
	if p := fa.PathPrefix; p != "" && (!strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || path.Clean(p) != p || strings.ContainsAny(p, "%;\\?#")) {
		v.bad("forward_auth.path_prefix", "want a clean path such as /ext-authz, without a trailing slash, got %q", p)
	}
}

// envoyHeaders refuses the headers mode envoy does not read.
func (v *validator) envoyHeaders(fa *forwardAuthConfig) {
	for _, h := range []struct{ field, name string }{
		{"forward_auth.method_header", fa.MethodHeader}, {"forward_auth.uri_header", fa.URIHeader}, {"forward_auth.host_header", fa.HostHeader},
	} {
		if h.name != "" {
			v.bad(h.field, "not read in mode %s, where the subrequest is the original request; remove it", modeEnvoy)
		}
	}
}

// forwardedHeaders checks the three headers of mode headers.
func (v *validator) forwardedHeaders(fa *forwardAuthConfig) {
	if fa.PathPrefix != "" {
		v.bad("forward_auth.path_prefix", "only for mode %s", modeEnvoy)
	}
	fa.MethodHeader = orDefault(fa.MethodHeader, "X-Forwarded-Method")
	fa.URIHeader = orDefault(fa.URIHeader, "X-Forwarded-Uri")
	fa.HostHeader = orDefault(fa.HostHeader, "X-Forwarded-Host")
	names := []struct{ field, name string }{
		{"forward_auth.method_header", fa.MethodHeader}, {"forward_auth.uri_header", fa.URIHeader}, {"forward_auth.host_header", fa.HostHeader},
	}
	for i, n := range names {
		switch {
		case !validHeaderName(n.name):
			v.bad(n.field, "not a valid header name: %q", n.name)
		case v.gc.headers.isIdentity(n.name):
			v.bad(n.field, "%s is an identity header", n.name)
		}
		for _, m := range names[:i] {
			if sameHeader(m.name, n.name) {
				v.bad(n.field, "%s is also %s", n.name, m.field)
			}
		}
	}
}

// server checks server and sets its defaults.
func (v *validator) server() {
	s := &v.fc.Server
	if s.ReadHeaderTimeout == 0 {
		s.ReadHeaderTimeout = defaultReadHeaderTimeout
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = defaultIdleTimeout
	}
	if s.MaxHeaderBytes == 0 {
		s.MaxHeaderBytes = defaultMaxHeaderBytes
	}
	if s.MaxHeaderBytes < 4096 {
		v.bad("server.max_header_bytes", "at least 4096 (tokens travel in headers)")
	}
	if s.ShutdownTimeout == 0 {
		s.ShutdownTimeout = defaultShutdownTimeout
	}
	switch f := s.HeapFloor; {
	case f == nil:
		s.HeapFloor = new(int64(defaultHeapFloor))
	case *f < 0 || *f > maxHeapFloor:
		v.bad("server.heap_floor", "want 0 (off) up to 16GiB, got %d", *f)
	}
}

// log checks log.
func (v *validator) log() {
	switch v.fc.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		v.bad("log.level", "want debug, info, warn or error, got %q", v.fc.Log.Level)
	}
	switch v.fc.Log.Format {
	case "", "json", "console":
	default:
		v.bad("log.format", "want json or console, got %q", v.fc.Log.Format)
	}
}

// policy loads the policy: from policy_file, read as written, or inline,
// read as the rest of the file is (the same decoder, ${VAR} included).
func (v *validator) policy() {
	fc, gc := v.fc, v.gc
	switch {
	case fc.PolicyFile != "" && fc.Policy != nil:
		v.bad("policy", "set policy or policy_file, not both")
	case fc.PolicyFile != "":
		pf := fc.PolicyFile
		if !filepath.IsAbs(pf) {
			pf = filepath.Join(filepath.Dir(gc.file), pf)
		}
		gc.policyFile = pf
		p, err := policy.Load(pf)
		var le *policy.LoadError
		switch {
		case err == nil:
			gc.policy = p
		case errors.As(err, &le):
			v.others = append(v.others, err)
		default:
			v.bad("policy_file", "%s", strings.TrimPrefix(err.Error(), "policy: "))
		}
	case fc.Policy != nil:
		p, err := policy.ParseWith(v.data, gc.file, policy.ParseOptions{Section: "policy", Env: v.env})
		if err != nil {
			v.inlinePolicyErrors(err)
		}
		gc.policy = p
	case v.d.Line("policy_file") > 0:
		v.bad("policy_file", "empty; name the policy file (relative to this file), or write the policy inline under policy")
	default:
		v.bad("policy", "no policy: set policy (inline) or policy_file")
	}
}

// inlinePolicyErrors records the problems of the inline policy with the
// rest of the file's.
func (v *validator) inlinePolicyErrors(err error) {
	for _, e := range joined(err) {
		var le *policy.LoadError
		if !errors.As(e, &le) {
			v.bad("policy", "%v", e)
			continue
		}
		v.errs = append(v.errs, &yamlstrict.Error{File: v.gc.file, Line: le.Line, Field: le.Field, Msg: le.Msg, Err: le.Err})
	}
}

// joined returns the errors err joins (errors.Join), or err alone. It
// asks err itself, not its chain (errors.As would find a join deeper
// down and drop the errors around it).
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
