package main

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// resourceMetadataConfig is the resource_metadata section: the RFC 9728
// protected resource metadata that serve publishes, for MCP clients and
// other OAuth clients that discover how to get a token.
type resourceMetadataConfig struct {
	Resource              string   `yaml:"resource"`
	ScopesSupported       []string `yaml:"scopes_supported"`
	ResourceName          string   `yaml:"resource_name"`
	ResourceDocumentation string   `yaml:"resource_documentation"`
}

// document is the library's configuration of the section: the members of
// the file, the bearer methods of the token sources, issuers as the
// authorization servers, and policyScopes (every scope the policy names)
// as scopes_supported unless the file lists them.
func (rc *resourceMetadataConfig) document(t tokensConfig, issuers, policyScopes []string) middleware.ResourceMetadataConfig {
	scopes := rc.ScopesSupported
	if scopes == nil {
		scopes = policyScopes
	}
	var methods []string
	if t.ALB == nil && (t.Authorization == nil || *t.Authorization) {
		methods = append(methods, middleware.BearerMethodHeader)
	}
	if t.ALB == nil && t.Query != "" {
		methods = append(methods, middleware.BearerMethodQuery)
	}
	return middleware.ResourceMetadataConfig{
		Resource: rc.Resource, AuthorizationServers: issuers, ScopesSupported: scopes,
		BearerMethodsSupported: methods, ResourceName: rc.ResourceName, ResourceDocumentation: rc.ResourceDocumentation,
	}
}

// resourceMetadata checks resource_metadata. The document's authorization
// servers are every issuer the verifier accepts, known once it runs (see
// gate.resourceMetadata); here the pools' explicit issuers stand for
// them, since only those can be refused (an issuer made from a pool id is
// a valid one).
func (v *validator) resourceMetadata() {
	rc := v.fc.ResourceMetadata
	if rc == nil {
		return
	}
	var issuers []string
	var fields []string // the pool field of each issuer
	for i, p := range v.fc.Pools {
		if p.Issuer != "" && !slices.Contains(issuers, p.Issuer) {
			issuers = append(issuers, p.Issuer)
			fields = append(fields, fmt.Sprintf("pools[%d].issuer", i))
		}
	}
	_, err := middleware.NewResourceMetadata(rc.document(v.fc.Tokens, issuers, nil))
	for _, e := range joined(err) {
		var re *middleware.ResourceMetadataError
		switch {
		case e == nil:
		case !errors.As(e, &re):
			v.bad("resource_metadata", "%v", e)
		default:
			var i int
			if _, scanErr := fmt.Sscanf(re.Key, "authorization_servers[%d]", &i); scanErr == nil && i < len(fields) {
				// Unless the verifier's checks of the issuer said so
				// already.
				if !slices.ContainsFunc(v.errs, func(e *yamlstrict.Error) bool { return e.Field == fields[i] }) {
					v.bad(fields[i], "as an authorization server of resource_metadata: %s", re.Problem)
				}
				continue
			}
			v.bad("resource_metadata."+re.Key, "%s", re.Problem)
		}
	}
	v.gc.resourceMetadata = rc
}

// resourceMetadata returns the RFC 9728 document of resource_metadata,
// its authorization servers every issuer the verifier accepts, or nil
// when the section is not set. Validation has made every check that can
// fail; should one fail anyway, the document is not served (and logged).
func (g *gate) resourceMetadata() *middleware.ResourceMetadata {
	rc := g.cfg.resourceMetadata
	if rc == nil {
		return nil
	}
	rm, err := middleware.NewResourceMetadata(rc.document(g.cfg.raw.Tokens, g.verifier.Issuers(), g.cfg.policy.Scopes()))
	if err != nil {
		g.logger.Error("resource_metadata: not served", zap.Error(err))
		return nil
	}
	return rm
}

// serveResourceMetadata answers a request for the document: GET and HEAD
// without a token (the document is public, RFC 9728 section 3), recorded
// as skipped; 405 for other methods, at once, as a denial is answered
// (middleware.CloseIfBodyUnread).
func (g *gate) serveResourceMetadata(w http.ResponseWriter, r *http.Request, rm *middleware.ResourceMetadata) {
	g.mw.Skip(r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead && middleware.CloseIfBodyUnread(w.Header(), r) {
		defer middleware.BoundUnreadBody(w)
	}
	rm.ServeHTTP(w, r)
}
