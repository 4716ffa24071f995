package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"golang.org/x/net/http/httpguts"

	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/policy"
)

// headerEntryOverhead is what each header costs beside its name and value
// when checkRequest bounds a CheckRequest's headers: HTTP/2's accounting
// of a header list (RFC 9113, SETTINGS_MAX_HEADER_LIST_SIZE), so that the
// bound is the one Envoy's own codec applies to the original request.
const headerEntryOverhead = 32

// checkRequest returns the request a CheckRequest asks about, built from
// attributes.request.http alone, as Envoy fills it in:
//
//   - the method from method, which must be a token;
//   - the path and query from path, Envoy's :path: the request target as
//     the client sent it (after Envoy's own path normalization, if
//     configured), which must start with "/" — never an absolute URI,
//     "*" or an empty path (CONNECT) — and hold no "#": a request target
//     has no fragment (RFC 9112), url.ParseRequestURI would keep it in
//     the path the policy judges, and an upstream would cut the path
//     there;
//   - the Host from host (Envoy's :authority), checked by policy.CheckHost;
//   - the header from headers (a map whose keys Envoy lower-cases, values
//     of repeated headers joined with ",") or header_map (the
//     encode_raw_headers form, one entry per header line), never both.
//     Every key must be a lower-case token; a value must not hold a
//     control character other than tab. The pseudo-headers :method, :path
//     and :authority, when present, must agree with the fields above
//     (Envoy copies both from one header map: a disagreement means the
//     CheckRequest was not built by Envoy); other pseudo-headers are not
//     headers and are left out.
//   - The headers, pseudo-headers included, are bounded by maxHeaderBytes,
//     counted as HTTP/2 counts a header list.
//
// The body, peer addresses, metadata and the TLS session are not read.
//
// When the CheckRequest cannot be judged as sent, checkRequest returns an
// error wrapping errBadRequest, and a request with what could be read
// (for the record of the refusal: its method and path are logged,
// clipped).
func checkRequest(ctx context.Context, req *authv3.CheckRequest, maxHeaderBytes int) (*http.Request, error) {
	hr := req.GetAttributes().GetRequest().GetHttp()
	r := (&http.Request{
		Method:     hr.GetMethod(),
		URL:        &url.URL{Path: hr.GetPath()},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     http.Header{},
		Body:       http.NoBody,
		Host:       hr.GetHost(),
		RequestURI: hr.GetPath(),
	}).WithContext(ctx)
	if hr == nil {
		return r, fmt.Errorf("ext-authz: the CheckRequest has no attributes.request.http: %w", errBadRequest)
	}
	if !validHeaderName(hr.Method) {
		return r, fmt.Errorf("ext-authz: method %q is not a method: %w", msg.Clip(hr.Method, 32), errBadRequest)
	}
	u, err := url.ParseRequestURI(hr.Path)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(hr.Path, "/") || strings.Contains(hr.Path, "#") {
		return r, fmt.Errorf("ext-authz: path %q is not a path and query: %w", msg.Clip(hr.Path, 64), errBadRequest)
	}
	r.URL = u
	if err := policy.CheckHost(hr.Host); err != nil {
		return r, fmt.Errorf("ext-authz: host: %w: %w", err, errBadRequest)
	}
	if err := copyHeaders(r.Header, hr, maxHeaderBytes); err != nil {
		return r, err
	}
	return r, nil
}

// copyHeaders fills h from the headers of hr (see checkRequest).
func copyHeaders(h http.Header, hr *authv3.AttributeContext_HttpRequest, maxHeaderBytes int) error {
	raw := hr.GetHeaderMap().GetHeaders()
	if len(hr.Headers) > 0 && len(raw) > 0 {
		return fmt.Errorf("ext-authz: both headers and header_map are set: %w", errBadRequest)
	}
	size := 0
	add := func(k, v string) error {
		size += len(k) + len(v) + headerEntryOverhead
		if size > maxHeaderBytes {
			return fmt.Errorf("ext-authz: the headers are larger than %d bytes (server.max_header_bytes): %w", maxHeaderBytes, errBadRequest)
		}
		return addHeader(h, hr, k, v)
	}
	for k, v := range hr.Headers {
		if err := add(k, v); err != nil {
			return err
		}
	}
	for _, e := range raw {
		v := e.GetValue()
		if len(e.GetRawValue()) > 0 {
			if v != "" {
				return fmt.Errorf("ext-authz: header_map entry %q has both value and raw_value: %w", msg.Clip(e.GetKey(), 64), errBadRequest)
			}
			v = string(e.GetRawValue())
		}
		if err := add(e.GetKey(), v); err != nil {
			return err
		}
	}
	return nil
}

// addHeader adds one header of the CheckRequest to h, or checks a
// pseudo-header against the fields of hr.
func addHeader(h http.Header, hr *authv3.AttributeContext_HttpRequest, k, v string) error {
	if !httpguts.ValidHeaderFieldValue(v) {
		return fmt.Errorf("ext-authz: header %q has a control character: %w", msg.Clip(k, 64), errBadRequest)
	}
	if name, ok := strings.CutPrefix(k, ":"); ok {
		var field string
		switch name {
		case "method":
			field = hr.Method
		case "path":
			field = hr.Path
		case "authority":
			field = hr.Host
		default:
			// :scheme, :protocol: not headers, and nothing the policy
			// judges.
			return nil
		}
		if v != field {
			return fmt.Errorf("ext-authz: %s %q disagrees with the request's %s %q: %w", k, msg.Clip(v, 64), name, msg.Clip(field, 64), errBadRequest)
		}
		return nil
	}
	if !validHeaderName(k) || strings.ToLower(k) != k {
		// Envoy lower-cases every key; "X-Auth-Sub" beside "x-auth-sub"
		// would be two entries of one header.
		return fmt.Errorf("ext-authz: header name %q is not a lower-case token: %w", msg.Clip(k, 64), errBadRequest)
	}
	ck := http.CanonicalHeaderKey(k)
	h[ck] = append(h[ck], v)
	return nil
}
