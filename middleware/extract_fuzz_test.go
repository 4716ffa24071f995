package middleware

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzAuthorization checks the Authorization source against RFC 6750's
// grammar: a token comes only from "Bearer" (any case), one or more
// spaces and a token without spaces or tabs; "no token" only from a value
// that does not start with the bearer scheme; everything else is an
// invalid request. It must never panic.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer abc.def.ghi", "bearer  x", "Bearer\tx", "Bearerx", "Bearer", "Bearer ", " Bearer x",
		"Basic dTpw", "Bearer a=b", "Bearer abc==", "BEARER\x00x", "Bearer x\t", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := &http.Request{Header: http.Header{"Authorization": {v}}}
		tok, err := authorizationHeader{}.Token(r)
		switch {
		case err != nil:
			if tok != "" {
				t.Fatalf("%q: token %q with error %v", v, tok, err)
			}
		case tok == "":
			if hasBearerScheme(v) {
				t.Fatalf("%q: a bearer value read as no token", v)
			}
		default:
			rest := strings.TrimLeft(v[len("bearer"):], " ")
			if !strings.EqualFold(v[:len("bearer")], "bearer") || v[len("bearer")] != ' ' || rest != tok || hasBlank(tok) {
				t.Fatalf("%q: read token %q", v, tok)
			}
		}
	})
}
