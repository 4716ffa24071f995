package main

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// assertionConfig is the assertion section: the signed identity assertion
// (package assertion) that serve adds to each request it forwards with a
// verified token, and forward-auth to each 200 it answers for one.
type assertionConfig struct {
	// Header carries the assertion, e.g. X-Auth-Assertion. Required: the
	// section turns assertions on.
	Header string `yaml:"header"`
	// Issuer, Audience, Lifetime, Claims and MaxBytes are
	// assertion.SignerConfig's.
	Issuer   string        `yaml:"issuer"`
	Audience string        `yaml:"audience"`
	Lifetime time.Duration `yaml:"lifetime"`
	Claims   []string      `yaml:"claims"`
	MaxBytes int           `yaml:"max_bytes"`
	// KeyFiles are PEM files, relative to the configuration file's
	// directory: the first signs, the others are only published. Read
	// again on every reload (SIGHUP, reload.watch).
	KeyFiles []string `yaml:"key_files"`
	// GenerateKey signs with a key made at start instead: one replica
	// only, as a restart (or another replica) has another key.
	GenerateKey bool `yaml:"generate_key"`
	// Retain is assertion.KeySetConfig's: how long a key that stopped
	// signing stays published.
	Retain time.Duration `yaml:"retain"`
	// JWKSPath also serves the key set on serve's listener, at this path,
	// without a token.
	JWKSPath string `yaml:"jwks_path"`
}

// defaultAssertionHeader is the assertion header's usual name. With an
// assertion section it is stripped from client requests (serve) and
// refused in subrequests (forward-auth) even when the assertion travels in
// another header, as the built-in identity headers are when renamed: an
// upstream that verifies X-Auth-Assertion never gets a client's.
const defaultAssertionHeader = "X-Auth-Assertion"

// assertionSetup is a validated assertion section (gateConfig.assertion).
type assertionSetup struct {
	header string
	// signer is the Signer's configuration less its Keys: the instance's
	// key set, which outlives the configuration (see assertionKeys).
	signer assertion.SignerConfig
	retain time.Duration
	// keys are the key files as loaded at validation, the signing key
	// first; nil with generate.
	keys     []*assertion.Key
	generate bool
	// jwksPath is assertion.jwks_path ("" for none), jwksLine its line.
	jwksPath string
	jwksLine int
}

// assertion checks the assertion section, loads its key files and adds
// the assertion header names (the configured one and
// defaultAssertionHeader) to the identity header names, so that every
// client-sent spelling of them is stripped (serve) or refused
// (forward-auth) as an identity header's is. It runs after
// identityHeaders (whose names the header must not reuse) and before
// forwardAuth (whose headers must not be the assertion's).
func (v *validator) assertion() {
	ih := v.gc.headers
	a := v.fc.Assertion
	if a == nil {
		return
	}
	header := v.assertionHeader(a.Header)
	for _, name := range []string{defaultAssertionHeader, header} {
		if name != "" && !ih.isIdentity(name) {
			ih.names = append(ih.names, name)
		}
	}
	s := &assertionSetup{
		header: header, retain: a.Retain, generate: a.GenerateKey,
		signer: assertion.SignerConfig{Issuer: a.Issuer, Audience: a.Audience, Lifetime: a.Lifetime, Claims: a.Claims, MaxBytes: a.MaxBytes},
	}
	if v.fc.ForwardAuth.GRPCListen != "" {
		v.bad("forward_auth.grpc_listen", "not with assertion: the ext_authz answer does not carry the assertion to the upstream request (the HTTP forward-auth endpoint does)")
	}
	v.assertionSigner(s)
	s.keys = v.assertionKeyFiles(a)
	v.assertionJWKSPath(s, a.JWKSPath)
	if v.fc.Reload.Watch {
		for _, f := range a.KeyFiles {
			v.gc.ops.watched = append(v.gc.ops.watched, v.relative(f))
		}
	}
	v.gc.assertion = s
}

// assertionHeader checks assertion.header and returns it ("" when it is
// not usable): a header name that is no identity header, token source,
// load balancer header, reserved or proxy header.
func (v *validator) assertionHeader(name string) string {
	const field = "assertion.header"
	if name == "" {
		v.bad(field, "required: the header that carries the assertion, e.g. %s", defaultAssertionHeader)
		return ""
	}
	// The names already taken, as an upstream's runtime folds them.
	taken := map[string]string{}
	for _, n := range v.gc.headers.names {
		taken[foldName(n)] = "identity_headers"
	}
	if h := v.fc.Tokens.Header; h != "" {
		taken[foldName(h)] = "tokens.header"
	}
	if v.fc.Tokens.ALB != nil {
		for _, h := range albHeaders {
			taken[foldName(h)] = "tokens.alb"
		}
	}
	before := len(v.errs)
	v.identityName(taken, field, name)
	if len(v.errs) > before {
		return ""
	}
	return name
}

// assertionSigner has the assertion package check the signer's settings
// (a key set of one generated key stands for the files, which
// assertionKeyFiles checks) and reports each problem at its key.
func (v *validator) assertionSigner(s *assertionSetup) {
	trial, err := assertion.GenerateKey()
	if err != nil {
		v.bad("assertion", "%v", err)
		return
	}
	ks, err := assertion.NewKeySet(assertion.KeySetConfig{Retain: s.retain}, trial)
	if err == nil {
		cfg := s.signer
		cfg.Keys = ks
		_, err = assertion.NewSigner(cfg)
	}
	for _, e := range joined(err) {
		var ce *assertion.ConfigError
		switch {
		case e == nil:
		case !errors.As(e, &ce):
			v.bad("assertion", "%v", e)
		case ce.Field == "Keys":
			// The key set's retain is the file's: it is too short for
			// the lifetime.
			v.bad("assertion.retain", "%s", ce.Problem)
		case ce.Field == "Claims":
			var i int
			field := "assertion.claims"
			if _, err := fmt.Sscanf(ce.Problem, "entry %d,", &i); err == nil {
				field = fmt.Sprintf("assertion.claims[%d]", i)
			}
			v.bad(field, "%s", ce.Problem)
		default:
			v.bad("assertion."+ce.Key, "%s", ce.Problem)
		}
	}
}

// assertionKeyFiles loads assertion.key_files, or checks that
// generate_key stands in for them, and returns the keys loaded.
func (v *validator) assertionKeyFiles(a *assertionConfig) []*assertion.Key {
	switch {
	case a.GenerateKey && len(a.KeyFiles) > 0:
		v.bad("assertion.generate_key", "set key_files or generate_key, not both")
		return nil
	case a.GenerateKey:
		return nil
	case len(a.KeyFiles) == 0:
		v.bad("assertion.key_files", "required: PEM files, the signing key (PKCS #8 P-256) first; or generate_key: true for one replica")
		return nil
	}
	keys := make([]*assertion.Key, 0, len(a.KeyFiles))
	ok := true
	for i, f := range a.KeyFiles {
		field := fmt.Sprintf("assertion.key_files[%d]", i)
		k, err := assertion.LoadKeyFile(v.relative(f))
		var ce *assertion.ConfigError
		switch {
		case errors.As(err, &ce):
			v.bad(field, "%s", ce.Problem)
		case err != nil:
			v.bad(field, "%v", err)
		case i == 0 && !k.CanSign():
			v.bad(field, "%s is a PUBLIC KEY: the first key signs; list a PRIVATE KEY (PKCS #8) first, and keys only published after it", f)
		default:
			for j, prev := range keys {
				if prev != nil && prev.ID() == k.ID() {
					v.bad(field, "%s holds the key of key_files[%d] (kid %s)", f, j, k.ID())
					k = nil
					break
				}
			}
		}
		ok = ok && k != nil
		keys = append(keys, k)
	}
	if !ok {
		return nil
	}
	return keys
}

// assertionJWKSPath checks assertion.jwks_path: a clean path, matched
// exactly (see gate.serveJWKS).
func (v *validator) assertionJWKSPath(s *assertionSetup, p string) {
	if p == "" {
		return
	}
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.ContainsAny(p, "%;\\?#") {
		v.bad("assertion.jwks_path", "want a clean path such as /.well-known/jwks.json, got %q", p)
		return
	}
	if v.fc.ResourceMetadata != nil && strings.HasPrefix(p, middleware.ResourceMetadataPath) {
		v.bad("assertion.jwks_path", "%s is where resource_metadata's document is served; choose another path", p)
		return
	}
	s.jwksPath, s.jwksLine = p, v.d.Line("assertion.jwks_path")
}

// assertionForCommand returns the problems of the assertion section for
// cmd (see forCommand). In forward-auth every 200 is an allow, and in mode
// envoy the subrequest's path is the client's: a key set answered 200 at
// jwks_path would allow any request for that path.
func (gc *gateConfig) assertionForCommand(cmd string) error {
	s := gc.assertion
	if s == nil || s.jwksPath == "" || cmd != commandForwardAuth {
		return nil
	}
	return &yamlstrict.Error{File: gc.file, Line: s.jwksLine, Field: "assertion.jwks_path",
		Msg: "not for forward-auth, whose every 200 allows a request: serve the key set from the admin listener (/.well-known/jwks.json), or from the proxy in front"}
}

// assertionWarnings are the assertion section's footguns for cmd, for the
// start-up log, reloads and check.
func (gc *gateConfig) assertionWarnings(cmd string) []string {
	s := gc.assertion
	if s == nil {
		return nil
	}
	var ws []string
	if s.generate {
		ws = append(ws, "assertion.generate_key is set: a generated assertion key is for one replica only; a restart changes it, and another replica signs with a key this one does not publish (use key_files for a fleet)")
	}
	if s.signer.Audience == "" {
		ws = append(ws, "assertion.audience is not set: every upstream that trusts the gate's keys accepts every assertion, so one upstream can replay what it received to another (and each must set SkipAudienceCheck); set one audience per upstream")
	}
	if cmd == commandServe && gc.forwardAuthorization {
		ws = append(ws, "forward_authorization is on: the upstream receives the Cognito token beside the assertion, which then adds a verifiable identity but keeps nothing back (forward_authorization: false)")
	}
	if cmd == commandServe && s.jwksPath != "" && gc.policy != nil {
		if r, err := http.NewRequest(http.MethodGet, s.jwksPath, nil); err == nil {
			if ex := gc.policy.Explain(r, nil); len(ex.Matches) > 0 && ex.Matches[0].Rule != policy.RuleDefault {
				ws = append(ws, fmt.Sprintf("assertion.jwks_path %s is also a path of policy rule %q: the gate answers it with the key set, without a token, and never forwards it", s.jwksPath, ex.Matches[0].Rule))
			}
		}
	}
	return ws
}
