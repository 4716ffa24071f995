package main

import (
	"errors"
	"strings"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// albConfig is tokens.alb: the gate stands behind an Application Load
// Balancer whose listener rule authenticates with Cognito, and the
// x-amzn-oidc-* headers it forwards are the credential.
type albConfig struct {
	Region    string   `yaml:"region"`
	Issuer    string   `yaml:"issuer"`
	Signers   []string `yaml:"signers"`
	ClientIDs []string `yaml:"client_ids"`
	// AccessToken is "required" (the three headers, the policy judging
	// the access token, which a pool of pools verifies) or "ignored" (the
	// data token alone: no groups, no scopes). No default: say which.
	AccessToken      string `yaml:"access_token"`
	KeyURL           string `yaml:"key_url"`
	AllowHTTP        bool   `yaml:"allow_http"`
	MaxKeys          int    `yaml:"max_keys"`
	MaxNewKeyFetches int    `yaml:"max_new_key_fetches"`
}

// The values of tokens.alb.access_token.
const (
	albAccessRequired = "required"
	albAccessIgnored  = "ignored"
)

// albHeaders are the headers the load balancer writes: credentials, never
// forwarded unless verified (see credentials.strip).
var albHeaders = []string{alb.DataHeader, alb.AccessTokenHeader, alb.IdentityHeader}

// albTokens checks tokens.alb and builds its alb.Config. It runs after
// verification (the jwks timings and leeway are the file's) and before
// tokens (which it excludes).
func (v *validator) albTokens() {
	a := v.fc.Tokens.ALB
	if a == nil {
		return
	}
	cc := v.gc.claims
	cfg := alb.Config{
		Region: a.Region, Issuer: a.Issuer, Signers: a.Signers, ClientIDs: a.ClientIDs,
		KeyURL: a.KeyURL, AllowHTTP: a.AllowHTTP, MaxKeys: a.MaxKeys, MaxNewKeyFetches: a.MaxNewKeyFetches,
		Leeway: cc.Leeway, MaxTokenBytes: cc.MaxTokenBytes, Keys: cc.JWKS,
	}
	for _, e := range joined(cfg.Validate()) {
		var ce *alb.ConfigError
		switch {
		case e == nil:
		case !errors.As(e, &ce):
			v.bad("tokens.alb", "%v", e)
		case strings.HasPrefix(ce.Key, "jwks.") || ce.Key == "leeway" || ce.Key == "max_token_bytes":
			// The file's own settings, reported there already.
		default:
			v.bad("tokens.alb."+ce.Key, "%s", ce.Problem)
		}
	}
	switch a.AccessToken {
	case albAccessRequired:
		v.albAccessPool(a)
	case albAccessIgnored:
	case "":
		v.bad("tokens.alb.access_token", `required: "required" (verify x-amzn-oidc-accesstoken too; groups and scopes are there) or "ignored" (the data token alone)`)
	default:
		v.bad("tokens.alb.access_token", `%q: want "required" or "ignored"`, a.AccessToken)
	}
	t := v.fc.Tokens
	switch {
	case t.Authorization != nil && *t.Authorization, t.Header != "", t.Cookie != "", t.Query != "", t.WebSocketSubprotocol:
		v.bad("tokens.alb", "behind the load balancer its headers are the credential: set no other token source (authorization, header, cookie, query, websocket_subprotocol)")
	}
	v.gc.alb = &cfg
	v.gc.credentials.alb = true
	v.gc.albAccess = a.AccessToken == albAccessRequired
}

// albAccessPool checks that a pool verifies the load balancer's access
// tokens: the issuer of tokens.alb, its app clients, access tokens.
func (v *validator) albAccessPool(a *albConfig) {
	info, cognito := claims.ParseIssuer(a.Issuer)
	for _, p := range v.gc.claims.Pools {
		// The pool's own issuer, or one of those its id makes (either
		// format, any replica region): the verifier refuses the others.
		same := p.Issuer == a.Issuer || p.Issuer == "" && cognito && info.PoolID == p.UserPoolID
		if !same || p.TokenUse == claims.IDToken {
			continue
		}
		if p.SkipClientIDCheck || containsAll(p.ClientIDs, a.ClientIDs) {
			return
		}
	}
	v.bad("tokens.alb.access_token", "required, but no pool verifies the load balancer's access tokens: list a pool of issuer %s with token_use access (or any) and client_ids %v", a.Issuer, a.ClientIDs)
}

// containsAll reports whether every element of want is in have.
func containsAll(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// albCredentials starts the load balancer's data-token verifier (its key
// fetches logged like the pools') and makes the load balancer's headers
// mc's credential: the three together when tokens.alb.access_token is
// required (the policy judges the access token, verified by the pools'
// verifier), the data token alone otherwise.
func (g *gate) albCredentials(mc *middleware.Config) error {
	ac := *g.cfg.alb
	ac.Keys.Observer = middleware.LogJWKS(g.logger)
	av, err := alb.New(ac)
	if err != nil {
		return err
	}
	g.alb = av
	if g.cfg.albAccess {
		mc.Verifier, mc.TokenSources, mc.Headers = nil, nil, alb.Headers{Data: av, Access: g.verifier}
		return nil
	}
	mc.Verifier, mc.TokenSources = av, []middleware.TokenSource{middleware.Header(alb.DataHeader)}
	return nil
}
