package main

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/alb"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
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
	// WebSocket and ResourceMetadata: websocket.go, resourcemeta.go.
	WebSocket        websocketConfig         `yaml:"websocket"`
	ResourceMetadata *resourceMetadataConfig `yaml:"resource_metadata"`

	IdentityHeaders      headersConfig        `yaml:"identity_headers"`
	RequestHeaders       requestHeadersConfig `yaml:"request_headers"`
	ForwardAuthorization *bool                `yaml:"forward_authorization"`
	ForwardAuth          forwardAuthConfig    `yaml:"forward_auth"`

	PolicyFile string           `yaml:"policy_file"`
	Policy     *yamlstrict.Node `yaml:"policy"`

	// Assertion is the signed identity assertion (assertion_config.go).
	Assertion *assertionConfig `yaml:"assertion"`

	// Revocation is the deny list (revocation_config.go).
	Revocation revocationConfig `yaml:"revocation"`

	// LiveCheck is the live check of live_check rules (livecheck.go).
	LiveCheck *liveCheckConfig `yaml:"live_check"`

	Server serverConfig `yaml:"server"`
	Log    logConfig    `yaml:"log"`

	// The production settings (operations.go, tls.go): TLS on the
	// listeners and to the upstream, and reloading.
	TLS         tlsListenConfig   `yaml:"tls"`
	AdminTLS    tlsListenConfig   `yaml:"admin_tls"`
	UpstreamTLS upstreamTLSConfig `yaml:"upstream_tls"`
	Reload      reloadConfig      `yaml:"reload"`
}

type poolConfig struct {
	UserPoolID        string   `yaml:"user_pool_id"`
	Region            string   `yaml:"region"`
	Issuer            string   `yaml:"issuer"`
	JWKSURL           string   `yaml:"jwks_url"`
	KeysFile          string   `yaml:"keys_file"`
	AllowHTTP         bool     `yaml:"allow_http"`
	ClientIDs         []string `yaml:"client_ids"`
	SkipClientIDCheck bool     `yaml:"skip_client_id_check"`
	TokenUse          string   `yaml:"token_use"`
	// LiveCheckEndpoint is the pool's user pool API for the live check
	// (livecheck.go), for emulators; empty: Cognito's.
	LiveCheckEndpoint string `yaml:"live_check_endpoint"`

	// IssuerFormats and Regions: nil when the key is absent (the
	// verifier's defaults), empty for [] (which it refuses).
	IssuerFormats []claims.IssuerFormat `yaml:"issuer_formats"`
	Regions       []string              `yaml:"regions"`
}

type jwksConfig struct {
	RefreshInterval  time.Duration `yaml:"refresh_interval"`
	Cooldown         time.Duration `yaml:"cooldown"`
	MaxBackoff       time.Duration `yaml:"max_backoff"`
	MaxStaleness     time.Duration `yaml:"max_staleness"`
	FetchTimeout     time.Duration `yaml:"fetch_timeout"`
	MaxResponseBytes int64         `yaml:"max_response_bytes"`
	// MaxConcurrentFetches bounds the key set fetches in flight at once.
	MaxConcurrentFetches int `yaml:"max_concurrent_fetches"`
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
	// Amplify is tokens.amplify (amplify.go): Amplify's cookies.
	Amplify *amplifyConfig `yaml:"amplify"`
	// ALB is tokens.alb (alb.go): the load balancer's headers.
	ALB *albConfig `yaml:"alb"`
	// WebSocketSubprotocol reads tokens from the WebSocket subprotocol
	// (middleware.WebSocketProtocol).
	WebSocketSubprotocol bool `yaml:"websocket_subprotocol"`
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

	// Caller and CallerType name who presented the token (tok.Caller)
	// and whether it is a machine's; PoolID, off unless set, its pool.
	Caller     string `yaml:"caller"`
	CallerType string `yaml:"caller_type"`
	PoolID     string `yaml:"pool_id"`
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
	// GRPCListen is where forward-auth also serves Envoy's ext_authz gRPC
	// API (extauthz.go); empty: not served.
	GRPCListen string `yaml:"grpc_listen"`
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
	// DrainDelay is how long the listeners keep serving after SIGTERM,
	// /readyz answering 503 (see drain.go).
	DrainDelay time.Duration `yaml:"drain_delay"`
	// HeapFloor is the heap size below which the collector does not run
	// (internal/heapfloor); 0 turns the floor off. Not applied when GOGC
	// is set.
	HeapFloor *int64 `yaml:"heap_floor"`
}

type logConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
	// DenialSampling thins the lines of denials under a flood.
	DenialSampling denialSamplingConfig `yaml:"denial_sampling"`
}

// denialSamplingConfig is log.denial_sampling: in each tick, the first
// `first` denials of each reason are logged, then one in `thereafter`;
// the rest are counted in cognito_gate_log_denials_sampled_total{reason}.
// On by default (100 a second per reason, then 1 in 100); disabled: true
// logs every denial.
type denialSamplingConfig struct {
	Disabled   bool          `yaml:"disabled"`
	First      *int          `yaml:"first"`
	Thereafter *int          `yaml:"thereafter"`
	Tick       time.Duration `yaml:"tick"`
}

// Defaults of log.denial_sampling.
const (
	defaultDenialLogFirst      = 100
	defaultDenialLogThereafter = 100
	defaultDenialLogTick       = time.Second
)

// denialSampling checks log.denial_sampling and sets gc.denialSampling
// (nil when disabled).
func (v *validator) denialSampling() {
	ds := v.fc.Log.DenialSampling
	if ds.Disabled {
		if ds.First != nil || ds.Thereafter != nil || ds.Tick != 0 {
			v.bad("log.denial_sampling.disabled", "sampling is disabled: remove first, thereafter and tick, or disabled")
		}
		return
	}
	ls := &middleware.LogSampling{First: defaultDenialLogFirst, Thereafter: defaultDenialLogThereafter, Tick: defaultDenialLogTick}
	if ds.First != nil {
		if *ds.First < 1 {
			v.bad("log.denial_sampling.first", "%d: want 1 or more (disabled: true logs every denial)", *ds.First)
		}
		ls.First = *ds.First
	}
	if ds.Thereafter != nil { // the decoder refuses a negative number
		ls.Thereafter = *ds.Thereafter
	}
	if ds.Tick != 0 {
		if ds.Tick < time.Millisecond || ds.Tick > time.Hour {
			v.bad("log.denial_sampling.tick", "%v: want from 1ms to 1h", ds.Tick)
		}
		ls.Tick = ds.Tick
	}
	v.gc.denialSampling = ls
}

// Defaults.
const (
	defaultListen            = "127.0.0.1:8080"
	defaultAdminListen       = "127.0.0.1:8081"
	defaultReadHeaderTimeout = 10 * time.Second
	defaultIdleTimeout       = 120 * time.Second
	defaultMaxHeaderBytes    = 64 << 10
	defaultShutdownTimeout   = 30 * time.Second
	defaultHeapFloor         = 32 << 20
	maxHeapFloor             = 16 << 30
	maxConfigBytes           = 1 << 20
)

// gateConfig is a loaded, validated configuration.
type gateConfig struct {
	// denialSampling is log.denial_sampling for middleware.Config's
	// DenialLogSampling; nil when disabled.
	denialSampling       *middleware.LogSampling
	file                 string
	raw                  fileConfig
	claims               claims.Config
	policyFile           string // absolute path when the policy comes from a file
	policy               *policy.Policy
	revocation           *revocationSetup // the deny list, or nil (revocation_config.go)
	sources              []middleware.TokenSource
	credentials          credentials
	headers              *identityHeaders
	filter               *requestFilter
	upstream             *url.URL
	forwardAuthorization bool
	alb                  *alb.Config // tokens.alb, or nil
	albAccess            bool        // tokens.alb.access_token: required

	ops operations // TLS and reloading (operations.go)

	assertion *assertionSetup // assertion, or nil (assertion_config.go)

	liveCheck *liveCheckSetup // live_check, or nil (livecheck.go)

	resourceMetadata *resourceMetadataConfig // resource_metadata, or nil (resourcemeta.go)
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
// anchors a relative policy_file. It reports every problem of the file
// (and of its policy) at once, in the order of their lines.
func parseConfig(data []byte, path string, env func(string) (string, bool)) (*gateConfig, error) {
	if env == nil {
		env = osEnv
	}
	d := yamlstrict.NewDecoder(path, env)
	root, ok := d.Parse(data)
	if !ok {
		return nil, report(d.Errors(), nil, d.Dropped())
	}
	if root == nil {
		return nil, &yamlstrict.Error{File: path, Msg: "empty configuration; want a mapping with pools and a policy"}
	}
	gc := &gateConfig{file: path}
	d.Decode(root, "", &gc.raw)
	v := &validator{d: d, gc: gc, fc: &gc.raw, data: data, env: env}
	v.validate()
	v.denialSampling()
	if err := report(append(slices.Clone(d.Errors()), v.errs...), v.others, d.Dropped()); err != nil {
		return nil, err
	}
	return gc, nil
}

// maxReported bounds the problems one load reports.
const maxReported = 20

// report joins the problems of the configuration file, by line (those
// without one last), then those of other files (the policy file) in their
// order; at most maxReported, and a note of how many more there were. It
// returns nil when there are none.
func report(errs []*yamlstrict.Error, others []error, more int) error {
	slices.SortStableFunc(errs, func(a, b *yamlstrict.Error) int {
		return cmp.Compare(lineKey(a.Line), lineKey(b.Line))
	})
	all := make([]error, 0, len(errs)+len(others))
	for _, e := range errs {
		all = append(all, e)
	}
	all = append(all, others...)
	if len(all) == 0 {
		return nil
	}
	if n := len(all) - maxReported; n > 0 || more > 0 {
		file := ""
		if len(errs) > 0 {
			file = errs[0].File
		}
		all = append(all[:min(len(all), maxReported)], &yamlstrict.Error{File: file, Msg: fmt.Sprintf("%d more problems not shown", max(n, 0)+more)})
	}
	if len(all) == 1 {
		return all[0]
	}
	return errors.Join(all...)
}

// lineKey orders lines, 0 (none) last.
func lineKey(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

// osEnv looks a variable up in the process environment.
func osEnv(name string) (string, bool) { return os.LookupEnv(name) }

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
// Names are compared as runtimes fold them (sameHeader): Content_Length
// is Content-Length to a CGI upstream.
func isHopOrReserved(name string) bool {
	for _, r := range reservedHeaders {
		if sameHeader(name, r) {
			return true
		}
	}
	return false
}

// reservedHeaders are the names isHopOrReserved refuses.
var reservedHeaders = []string{
	"Authorization", "Cookie", "Host", "Connection", "Content-Length", "Content-Type", "Transfer-Encoding",
	"Upgrade", "Te", "Trailer", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate", "X-Forwarded-For",
	"X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded",
}
