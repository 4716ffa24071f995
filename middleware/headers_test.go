package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// headerVerifier returns tok and err for every request.
type headerVerifier struct {
	tok *claims.Token
	err error
}

func (h headerVerifier) VerifyHeaders(context.Context, http.Header) (*claims.Token, error) {
	return h.tok, h.err
}

// TestConfigHeaders: a HeaderVerifier's answer is the request's outcome as
// a Verify error or token is; ErrMissingToken alone makes it anonymous.
// Headers cannot be combined with Verifier or TokenSources.
func TestConfigHeaders(t *testing.T) {
	ann := &claims.Token{Use: claims.AccessToken, Username: "ann", Groups: []string{"admin"}}
	tests := []struct {
		name       string
		hv         headerVerifier
		path       string
		wantStatus int
		wantReason string
	}{
		{"verified", headerVerifier{tok: ann}, "/admin/x", 200, "ok"},
		{"missing, anonymous route", headerVerifier{err: claims.ErrMissingToken}, "/public/x", 200, "ok"},
		{"missing, protected route", headerVerifier{err: claims.ErrMissingToken}, "/admin/x", 401, "missing_token"},
		{"identity mismatch", headerVerifier{err: claims.ErrIdentityMismatch}, "/public/x", 401, "identity_mismatch"},
		{"keys unavailable", headerVerifier{err: claims.ErrJWKSUnavailable}, "/admin/x", 503, "jwks_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := middleware.New(middleware.Config{Headers: tt.hv, Policy: testPolicy(t)})
			if err != nil {
				t.Fatal(err)
			}
			res := m.Authorize(httptest.NewRequest("GET", tt.path, nil))
			status, reason := 200, claims.ReasonOK
			if !res.Allowed {
				status, reason = res.Err.Status, res.Err.Reason
			}
			if status != tt.wantStatus || string(reason) != tt.wantReason {
				t.Errorf("status %d reason %s, want %d %s", status, reason, tt.wantStatus, tt.wantReason)
			}
		})
	}
	for name, cfg := range map[string]middleware.Config{
		"with a Verifier":   {Headers: headerVerifier{}, Verifier: newEnv(t).Verifier},
		"with TokenSources": {Headers: headerVerifier{}, TokenSources: []middleware.TokenSource{middleware.AuthorizationHeader()}},
		"no Verifier":       {},
	} {
		if _, err := middleware.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
