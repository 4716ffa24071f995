package grpcmw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/cognito-gate/cognito-gate/claims"
)

// errUncleanMethod refuses a method name that the policy would judge only
// in cleaned form.
var errUncleanMethod = errors.New("grpcmw: the method name has empty, \".\" or \"..\" segments")

// errAuthority refuses a call with more than one :authority value.
var errAuthority = errors.New("grpcmw: more than one :authority")

// request returns the HTTP request the middleware judges for a call of
// fullMethod whose context is ctx (see the package documentation): POST,
// the full method name as path, the :authority as Host, the metadata as
// header, the peer's address as RemoteAddr, and ctx as context. When the
// call cannot be judged as sent it also returns the reason and error to
// refuse it with (the request is still complete, for the record).
func request(ctx context.Context, fullMethod string) (*http.Request, claims.Reason, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	h := make(http.Header, len(md))
	var host string
	var reason claims.Reason
	var err error
	for k, vs := range md {
		if k == ":authority" {
			switch {
			case len(vs) > 1:
				reason, err = claims.ReasonBadRequest, fmt.Errorf("%w: %d values", errAuthority, len(vs))
			case len(vs) == 1:
				host = vs[0]
			}
			continue
		}
		if k == "" || k[0] == ':' {
			// Pseudo-headers other than :authority are not metadata;
			// grpc-go keeps none, an in-process caller might.
			continue
		}
		// Metadata keys are lower case (FromIncomingContext makes them
		// so); the token sources read canonical header keys.
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], vs...)
	}
	r := &http.Request{
		Method:     http.MethodPost,
		URL:        &url.URL{Path: fullMethod},
		Proto:      "HTTP/2.0",
		ProtoMajor: 2,
		Header:     h,
		Body:       http.NoBody,
		Host:       host,
		RequestURI: fullMethod,
	}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		r.RemoteAddr = p.Addr.String()
	}
	r = r.WithContext(ctx)
	if err == nil && !judgedAsSent(fullMethod) {
		reason, err = claims.ReasonNonCanonicalPath, fmt.Errorf("%w: %q", errUncleanMethod, clip(fullMethod))
	}
	return r, reason, err
}

// judgedAsSent reports whether the policy judges the path p as it is:
// the cleaning ServeMux (and so the policy) applies — empty, "." and ".."
// segments resolved, a trailing slash kept — leaves it unchanged. grpc-go
// dispatches a call by its exact method name, so a call whose name the
// policy would judge in cleaned form ("/a//b", "/x/../pkg.S/M") could be
// served under another name than the one judged: it is refused. Only a
// server with an UnknownServiceHandler (a gRPC proxy, say) sees such
// names; registered methods are always clean. A path that does not start
// with "/" is left to the policy, which refuses it as non-canonical.
func judgedAsSent(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// maxQuoted bounds the method name quoted in an error (logged): names come
// from clients.
const maxQuoted = 128

// clip shortens s to at most maxQuoted bytes.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted] + "…"
}
