package main

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// fileConfig is the YAML configuration file. Every key is documented in
// README.md; examples/gate.yaml is a complete example.
type fileConfig struct {
	Listen      string `yaml:"listen"`
	AdminListen string `yaml:"admin_listen"`
	Upstream    string `yaml:"upstream"`

	Pools      []poolConfig  `yaml:"pools"`
	Algorithms []string      `yaml:"algorithms"`
	Leeway     time.Duration `yaml:"leeway"`
	NoLeeway   bool          `yaml:"no_leeway"`
	JWKS       jwksConfig    `yaml:"jwks"`
	TokenCache cacheConfig   `yaml:"token_cache"`

	Tokens        tokensConfig `yaml:"tokens"`
	Realm         string       `yaml:"realm"`
	CORSPreflight bool         `yaml:"cors_preflight"`

	IdentityHeaders      headersConfig        `yaml:"identity_headers"`
	RequestHeaders       requestHeadersConfig `yaml:"request_headers"`
	ForwardAuthorization *bool                `yaml:"forward_authorization"`
	ForwardAuth          forwardAuthConfig    `yaml:"forward_auth"`

	PolicyFile string     `yaml:"policy_file"`
	Policy     *yaml.Node `yaml:"policy"`

	Server serverConfig `yaml:"server"`
	Log    logConfig    `yaml:"log"`
}

type poolConfig struct {
	UserPoolID        string   `yaml:"user_pool_id"`
	Region            string   `yaml:"region"`
	Issuer            string   `yaml:"issuer"`
	JWKSURL           string   `yaml:"jwks_url"`
	AllowHTTP         bool     `yaml:"allow_http"`
	ClientIDs         []string `yaml:"client_ids"`
	SkipClientIDCheck bool     `yaml:"skip_client_id_check"`
	TokenUse          string   `yaml:"token_use"`
}

type jwksConfig struct {
	RefreshInterval  time.Duration `yaml:"refresh_interval"`
	Cooldown         time.Duration `yaml:"cooldown"`
	MaxBackoff       time.Duration `yaml:"max_backoff"`
	MaxStaleness     time.Duration `yaml:"max_staleness"`
	FetchTimeout     time.Duration `yaml:"fetch_timeout"`
	MaxResponseBytes int64         `yaml:"max_response_bytes"`
}

type cacheConfig struct {
	Disabled   bool  `yaml:"disabled"`
	MaxEntries int   `yaml:"max_entries"`
	MaxBytes   int64 `yaml:"max_bytes"`
}

type tokensConfig struct {
	Authorization *bool  `yaml:"authorization"`
	Cookie        string `yaml:"cookie"`
	Header        string `yaml:"header"`
	Query         string `yaml:"query"`
}

type headersConfig struct {
	Sub      string            `yaml:"sub"`
	Username string            `yaml:"username"`
	Groups   string            `yaml:"groups"`
	Scopes   string            `yaml:"scopes"`
	ClientID string            `yaml:"client_id"`
	TokenUse string            `yaml:"token_use"`
	Issuer   string            `yaml:"issuer"`
	Claims   map[string]string `yaml:"claims"`
}

type requestHeadersConfig struct {
	Keep []string `yaml:"keep"`
}

type forwardAuthConfig struct {
	Mode         string `yaml:"mode"`
	MethodHeader string `yaml:"method_header"`
	URIHeader    string `yaml:"uri_header"`
	HostHeader   string `yaml:"host_header"`
	PathPrefix   string `yaml:"path_prefix"`
}

// Forward-auth modes (forward_auth.mode).
const (
	// modeHeaders: the proxy describes the original request in the method,
	// URI and host headers; a subrequest without them is refused.
	modeHeaders = "headers"
	// modeEnvoy: the subrequest is the original request (Envoy's ext_authz
	// HTTP service), less forward_auth.path_prefix.
	modeEnvoy = "envoy"
)

type serverConfig struct {
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	MaxHeaderBytes    int           `yaml:"max_header_bytes"`
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`
}

type logConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Defaults.
const (
	defaultListen            = "127.0.0.1:8080"
	defaultAdminListen       = "127.0.0.1:9090"
	defaultReadHeaderTimeout = 10 * time.Second
	defaultIdleTimeout       = 120 * time.Second
	defaultMaxHeaderBytes    = 64 << 10
	defaultShutdownTimeout   = 30 * time.Second
	maxConfigBytes           = 1 << 20
)

// gateConfig is a loaded, validated configuration.
type gateConfig struct {
	file                 string
	raw                  fileConfig
	claims               claims.Config
	policyFile           string // absolute path when the policy comes from a file
	policy               *policy.Policy
	sources              []middleware.TokenSource
	credentials          credentials
	headers              *identityHeaders
	filter               *requestFilter
	upstream             *url.URL
	forwardAuthorization bool
}

// loadConfig reads and validates a configuration file. Environment
// variables fill ${VAR} references; env may be nil for the process
// environment.
func loadConfig(path string, env func(string) (string, bool)) (*gateConfig, error) {
	data, err := readLimited(path, maxConfigBytes)
	if err != nil {
		return nil, err
	}
	return parseConfig(data, path, env)
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", path, st.Size(), limit)
	}
	return os.ReadFile(path)
}

// parseConfig parses configuration text; path names it in errors and
// anchors a relative policy_file.
func parseConfig(data []byte, path string, env func(string) (string, bool)) (*gateConfig, error) {
	if env == nil {
		env = osEnv
	}
	d := &decoder{file: path, lines: map[string]int{}, env: env}
	var fc fileConfig
	if err := d.decodeDocument(data, &fc); err != nil {
		return nil, err
	}
	gc := &gateConfig{file: path, raw: fc}
	errs := gc.validate(d)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return gc, nil
}

// validate checks the decoded file and builds the components' configs.
func (gc *gateConfig) validate(d *decoder) []error {
	fc := &gc.raw
	var errs []error
	bad := func(field, format string, args ...any) { errs = append(errs, d.at(field, format, args...)) }

	if fc.Listen == "" {
		fc.Listen = defaultListen
	}
	if fc.AdminListen == "" {
		fc.AdminListen = defaultAdminListen
	}
	for field, addr := range map[string]string{"listen": fc.Listen, "admin_listen": fc.AdminListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(field, "want host:port, e.g. 127.0.0.1:8080, got %q", addr)
		}
	}
	if _, port, _ := net.SplitHostPort(fc.Listen); fc.Listen == fc.AdminListen && port != "0" {
		bad("admin_listen", "must differ from listen (%s)", fc.Listen)
	}
	if fc.Upstream != "" {
		u, err := url.Parse(fc.Upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			bad("upstream", "want an http or https URL such as http://127.0.0.1:3000, got %q", fc.Upstream)
		} else {
			gc.upstream = u
		}
	}

	// Pools and verification.
	if len(fc.Pools) == 0 {
		bad("pools", "at least one user pool is required")
	}
	cc := claims.Config{Algorithms: fc.Algorithms, Leeway: fc.Leeway}
	if fc.NoLeeway {
		if fc.Leeway != 0 {
			bad("no_leeway", "set leeway or no_leeway, not both")
		}
		cc.Leeway = claims.NoLeeway
	}
	for i, p := range fc.Pools {
		f := fmt.Sprintf("pools[%d]", i)
		use := claims.TokenUse(p.TokenUse)
		switch use {
		case claims.AccessToken, claims.IDToken, claims.AnyToken:
		case "":
			bad(f, "token_use is required: access, id or any")
		default:
			bad(f+".token_use", "want access, id or any, got %q", p.TokenUse)
		}
		cp := claims.Pool{UserPoolID: p.UserPoolID, Region: p.Region, Issuer: p.Issuer, JWKSURL: p.JWKSURL, AllowHTTP: p.AllowHTTP,
			ClientIDs: p.ClientIDs, SkipClientIDCheck: p.SkipClientIDCheck, TokenUse: use}
		// Let the verifier validate the pool alone, to attribute its errors.
		if use != "" {
			if _, err := claims.CheckPool(cp); err != nil {
				for _, e := range joined(err) {
					bad(f, "%s", poolErrPrefix.ReplaceAllString(e.Error(), ""))
				}
			}
		}
		cc.Pools = append(cc.Pools, cp)
	}
	cc.JWKS = jwks.Config{
		RefreshInterval: fc.JWKS.RefreshInterval, Cooldown: fc.JWKS.Cooldown, MaxBackoff: fc.JWKS.MaxBackoff,
		MaxStaleness: fc.JWKS.MaxStaleness, FetchTimeout: fc.JWKS.FetchTimeout, MaxResponseBytes: fc.JWKS.MaxResponseBytes,
	}
	cc.Cache = claims.CacheConfig{Disabled: fc.TokenCache.Disabled, MaxEntries: fc.TokenCache.MaxEntries, MaxBytes: fc.TokenCache.MaxBytes}
	gc.claims = cc
	if fc.Leeway > claims.MaxLeeway {
		bad("leeway", "at most %s, got %s", claims.MaxLeeway, fc.Leeway)
	}
	if len(errs) == 0 {
		// Whatever the pools and leeway checks above did not catch: the
		// algorithms, the key-set timings.
		if err := cc.Validate(); err != nil {
			field := "jwks"
			if strings.Contains(err.Error(), "algorithm") || strings.Contains(err.Error(), "Algorithms") {
				field = "algorithms"
			}
			for _, e := range joined(err) {
				bad(field, "%s", strings.TrimPrefix(strings.TrimPrefix(e.Error(), "claims: config: "), "jwks: config: "))
			}
		}
	}

	// Token sources.
	if fc.Tokens.Authorization == nil || *fc.Tokens.Authorization {
		gc.sources = append(gc.sources, middleware.AuthorizationHeader())
		gc.credentials.authorization = true
	}
	if fc.Tokens.Header != "" {
		if !validHeaderName(fc.Tokens.Header) {
			bad("tokens.header", "not a valid header name: %q", fc.Tokens.Header)
		}
		gc.sources = append(gc.sources, middleware.Header(fc.Tokens.Header))
		gc.credentials.header = fc.Tokens.Header
	}
	if fc.Tokens.Cookie != "" {
		gc.sources = append(gc.sources, middleware.Cookie(fc.Tokens.Cookie))
		gc.credentials.cookie = fc.Tokens.Cookie
	}
	if fc.Tokens.Query != "" {
		gc.sources = append(gc.sources, middleware.Query(fc.Tokens.Query))
		gc.credentials.query = fc.Tokens.Query
	}
	if len(gc.sources) == 0 {
		bad("tokens", "no token source: enable authorization or set cookie, header or query")
	}
	if strings.ContainsAny(fc.Realm, "\"\\\r\n") {
		bad("realm", "must not contain quotes, backslashes or line breaks")
	}

	// Identity headers.
	h := fc.IdentityHeaders
	ih := &identityHeaders{
		sub: orDefault(h.Sub, "X-Auth-Sub"), username: orDefault(h.Username, "X-Auth-Username"),
		groups: orDefault(h.Groups, "X-Auth-Groups"), scopes: orDefault(h.Scopes, "X-Auth-Scopes"),
		clientID: orDefault(h.ClientID, "X-Auth-Client-Id"), tokenUse: orDefault(h.TokenUse, "X-Auth-Token-Use"),
		issuer: orDefault(h.Issuer, "X-Auth-Issuer"), claims: map[string]string{},
	}
	gc.headers = ih
	// seen maps a folded name to the field that uses it: two names an
	// upstream would read as one header cannot both carry identity.
	seen := map[string]string{}
	check := func(field, name string) {
		switch {
		case name == "-":
			return
		case !validHeaderName(name):
			bad(field, "not a valid header name: %q", name)
		case isHopOrReserved(name):
			bad(field, "%s cannot carry identity", name)
		case hasHeaderPrefix(name, forwardedPrefix) || slices.ContainsFunc(overrideHeaders, func(o string) bool { return sameHeader(o, name) }):
			bad(field, "%s is a proxy header the gate strips or sets; choose another name", name)
		case seen[foldName(name)] != "":
			bad(field, "header %s is also used by %s (names that differ only in case or punctuation are one header to CGI, WSGI and PHP upstreams)", name, seen[foldName(name)])
		}
		seen[foldName(name)] = field
	}
	fields := []struct {
		field string
		name  *string
	}{
		{"identity_headers.sub", &ih.sub}, {"identity_headers.username", &ih.username},
		{"identity_headers.groups", &ih.groups}, {"identity_headers.scopes", &ih.scopes},
		{"identity_headers.client_id", &ih.clientID}, {"identity_headers.token_use", &ih.tokenUse},
		{"identity_headers.issuer", &ih.issuer},
	}
	for _, f := range fields {
		check(f.field, *f.name)
		if *f.name == "-" {
			*f.name = "" // "-" turns a header off
		}
	}
	for _, claim := range slices.Sorted(maps.Keys(h.Claims)) {
		name := h.Claims[claim]
		if claim == "" {
			bad("identity_headers.claims", "empty claim name")
		}
		if name == "-" {
			bad("identity_headers.claims."+claim, `"-" turns off only a built-in header; remove the entry instead`)
			continue
		}
		check("identity_headers.claims."+claim, name)
		ih.claims[claim] = name
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

	// Client headers that frameworks route by.
	gc.filter = &requestFilter{identity: ih}
	for i, name := range fc.RequestHeaders.Keep {
		field := fmt.Sprintf("request_headers.keep[%d]", i)
		switch {
		case !validHeaderName(name):
			bad(field, "not a valid header name: %q", name)
		case !keepable(name):
			bad(field, "%s is not a header the gate strips by default (see request_headers in README.md); X-Forwarded-For, -Host and -Proto are always set by the gate", name)
		default:
			gc.filter.keep = append(gc.filter.keep, name)
		}
	}
	gc.forwardAuthorization = fc.ForwardAuthorization == nil || *fc.ForwardAuthorization

	fa := &fc.ForwardAuth
	switch fa.Mode {
	case "":
		fa.Mode = modeHeaders
	case modeHeaders, modeEnvoy:
	default:
		bad("forward_auth.mode", "want %s or %s, got %q", modeHeaders, modeEnvoy, fa.Mode)
	}
	if fa.Mode == modeEnvoy {
		for field, v := range map[string]string{"forward_auth.method_header": fa.MethodHeader, "forward_auth.uri_header": fa.URIHeader, "forward_auth.host_header": fa.HostHeader} {
			if v != "" {
				bad(field, "not read in mode %s, where the subrequest is the original request; remove it", modeEnvoy)
			}
		}
	} else {
		if fa.PathPrefix != "" {
			bad("forward_auth.path_prefix", "only for mode %s", modeEnvoy)
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
				bad(n.field, "not a valid header name: %q", n.name)
			case ih.isIdentity(n.name):
				bad(n.field, "%s is an identity header", n.name)
			}
			for _, m := range names[:i] {
				if sameHeader(m.name, n.name) {
					bad(n.field, "%s is also %s", n.name, m.field)
				}
			}
		}
	}
	if p := fa.PathPrefix; p != "" && (!strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || path.Clean(p) != p || strings.ContainsAny(p, "%;\\?#")) {
		bad("forward_auth.path_prefix", "want a clean path such as /ext-authz, without a trailing slash, got %q", p)
	}

	// Server.
	s := &fc.Server
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
		bad("server.max_header_bytes", "at least 4096 (tokens travel in headers)")
	}
	if s.ShutdownTimeout == 0 {
		s.ShutdownTimeout = defaultShutdownTimeout
	}

	// Logging.
	switch fc.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		bad("log.level", "want debug, info, warn or error, got %q", fc.Log.Level)
	}
	switch fc.Log.Format {
	case "", "json", "console":
	default:
		bad("log.format", "want json or console, got %q", fc.Log.Format)
	}

	// Policy.
	switch {
	case fc.PolicyFile != "" && fc.Policy != nil:
		bad("policy", "set policy or policy_file, not both")
	case fc.PolicyFile != "":
		pf := fc.PolicyFile
		if !filepath.IsAbs(pf) {
			pf = filepath.Join(filepath.Dir(gc.file), pf)
		}
		gc.policyFile = pf
		p, err := policy.Load(pf)
		if err != nil {
			errs = append(errs, err)
		}
		gc.policy = p
	case fc.Policy != nil:
		p, err := policy.ParseNode(fc.Policy, gc.file)
		if err != nil {
			errs = append(errs, err)
		}
		gc.policy = p
	default:
		bad("policy", "no policy: set policy (inline) or policy_file")
	}
	return errs
}

// joined returns the errors err joins (errors.Join), or err alone.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// poolErrPrefix is the part of a claims pool error that the file position
// replaces.
var poolErrPrefix = regexp.MustCompile(`^claims: config: pool 0( \([^)]*\))?: `)

// foldName is a header name as sameHeader compares it, for map keys.
func foldName(name string) string {
	b := []byte(name)
	for i, c := range b {
		b[i] = foldByte(c)
	}
	return string(b)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// validHeaderName reports whether s is an RFC 7230 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// isHopOrReserved reports header names that must not carry identity.
func isHopOrReserved(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Cookie", "Host", "Connection", "Content-Length", "Content-Type", "Transfer-Encoding",
		"Upgrade", "Te", "Trailer", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded":
		return true
	}
	return false
}
