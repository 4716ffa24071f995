package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestCredentialSyntax guards finding 12: "Authorization: Bearer<TAB>x"
// was read as another scheme and the request went on anonymously, while
// an upstream or a lenient parser may read a token from it; the Cookie
// source took the first of two cookies of its name, dropped values
// net/http could not parse, and the Query source ignored parts of the
// query net/http could not parse. Each is now an invalid request (400);
// only well-formed credentials are read, and a value with no credential
// of ours is anonymous (401 on a route that needs a token). Other bytes of
// a token are the verifier's to refuse (401 malformed): what matters is
// that nothing is taken for "no token".
func TestCredentialSyntax(t *testing.T) {
	e := newEnv(t)
	tok := e.Pool.AccessToken()
	type hdr struct{ name, value string }
	tests := []struct {
		name    string
		sources []middleware.TokenSource // nil: the default (Authorization)
		target  string
		headers []hdr
		want    int
	}{
		// Authorization.
		{name: "bearer", headers: []hdr{{"Authorization", "Bearer " + tok}}, want: 200},
		{name: "bearer in lower case", headers: []hdr{{"Authorization", "bearer " + tok}}, want: 200},
		{name: "bearer in upper case", headers: []hdr{{"Authorization", "BEARER " + tok}}, want: 200},
		{name: "two spaces (1*SP)", headers: []hdr{{"Authorization", "Bearer  " + tok}}, want: 200},
		{name: "basic is another scheme", headers: []hdr{{"Authorization", "Basic dTpw"}}, want: 401},
		{name: "bearer then tab", headers: []hdr{{"Authorization", "Bearer\t" + tok}}, want: 400},
		{name: "bearer then tab, lower case", headers: []hdr{{"Authorization", "bearer\tforged"}}, want: 400},
		{name: "bearer then vertical tab", headers: []hdr{{"Authorization", "Bearer\v" + tok}}, want: 400},
		{name: "bearer then NUL", headers: []hdr{{"Authorization", "Bearer\x00" + tok}}, want: 400},
		{name: "bearer then no-break space", headers: []hdr{{"Authorization", "Bearer\u00a0" + tok}}, want: 400},
		{name: "bearer glued to the token", headers: []hdr{{"Authorization", "Bearer" + tok}}, want: 400},
		{name: "bearer alone", headers: []hdr{{"Authorization", "Bearer"}}, want: 400},
		{name: "bearer and spaces", headers: []hdr{{"Authorization", "Bearer   "}}, want: 400},
		{name: "space then tab", headers: []hdr{{"Authorization", "Bearer \t" + tok}}, want: 400},
		{name: "leading space", headers: []hdr{{"Authorization", " Bearer " + tok}}, want: 400},
		{name: "trailing tab", headers: []hdr{{"Authorization", "Bearer " + tok + "\t"}}, want: 400},
		{name: "two tokens", headers: []hdr{{"Authorization", "Bearer " + tok + " " + tok}}, want: 400},
		{name: "comma list", headers: []hdr{{"Authorization", "Bearer " + tok + ",Bearer x"}}, want: 400},
		{name: "comma", headers: []hdr{{"Authorization", "Bearer " + tok + "," + tok}}, want: 401}, // read whole, refused by the verifier
		{name: "quoted token", headers: []hdr{{"Authorization", `Bearer "` + tok + `"`}}, want: 401},
		{name: "non-ASCII in the token", headers: []hdr{{"Authorization", "Bearer " + tok + "\u00e9"}}, want: 401},
		{name: "control character in the token", headers: []hdr{{"Authorization", "Bearer " + tok + "\x01"}}, want: 401},
		{name: "space inside the token", headers: []hdr{{"Authorization", "Bearer ab c"}}, want: 400},
		{name: "padded opaque token", headers: []hdr{{"Authorization", "Bearer abc=="}}, want: 401}, // read, then fails verification
		{name: "two headers", headers: []hdr{{"Authorization", "Bearer " + tok}, {"Authorization", "Bearer " + tok}}, want: 400},

		// A custom header.
		{name: "header, bare", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", tok}}, want: 200},
		{name: "header, bearer", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", "Bearer " + tok}}, want: 200},
		{name: "header named in lower case", sources: []middleware.TokenSource{middleware.Header("x-token")}, headers: []hdr{{"X-TOKEN", tok}}, want: 200},
		{name: "header named in lower case, sent twice", sources: []middleware.TokenSource{middleware.Header("x-token")}, headers: []hdr{{"x-token", tok}, {"X-Token", tok}}, want: 400},
		{name: "header, bearer then tab", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", "Bearer\t" + tok}}, want: 400},
		{name: "header, trailing tab", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", tok + "\t"}}, want: 400},
		{name: "header, leading space", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", " " + tok}}, want: 400},
		{name: "header, control character", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", tok + "\x01"}}, want: 401},
		{name: "header, no-break space (not trimmed)", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", tok + "\u00a0"}}, want: 401},
		{name: "header, empty", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", ""}}, want: 400},
		{name: "header, twice", sources: []middleware.TokenSource{middleware.Header("X-Token")}, headers: []hdr{{"X-Token", tok}, {"X-Token", tok}}, want: 400},

		// Cookies.
		{name: "cookie", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "a=1; access_token=" + tok + "; b=2"}}, want: 200},
		{name: "cookie quoted", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", `access_token="` + tok + `"`}}, want: 200},
		{name: "cookie emptied at logout", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "access_token="}}, want: 401},
		{name: "other cookies only", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "access_token_x=1; xaccess_token=2"}}, want: 401},
		{name: "cookie twice in one header", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "access_token=" + tok + "; access_token=forged"}}, want: 400},
		{name: "cookie twice, same value", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "access_token=" + tok + "; access_token=" + tok}}, want: 400},
		{name: "cookie in two headers", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "access_token=" + tok}, {"Cookie", "access_token=forged"}}, want: 400},
		{name: "cookie invalid first, then valid", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", `access_token="a b"; access_token=` + tok}}, want: 400},
		{name: "cookie value net/http drops", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", `access_token=a\b`}}, want: 400}, // refused, not "no cookie"
		{name: "cookie value a lone double quote", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", `access_token="`}}, want: 400},
		{name: "cookie value with a quote inside", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", `access_token=""` + tok + `""`}}, want: 400},
		{name: "cookie with a space in the value", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "access_token=a b"}}, want: 400},
		// A token cookie hidden in another's value: one cookie to net/http,
		// two to Python (whitespace) or Rack 2 (commas).
		{name: "cookie hidden after a space", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "theme=dark access_token=forged"}}, want: 400},
		{name: "cookie hidden after a tab", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "theme=dark\taccess_token=forged"}}, want: 400},
		{name: "cookie hidden after a comma", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "theme=dark,access_token=forged"}}, want: 400},
		{name: "cookie hidden, spaces before =", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "theme=dark, access_token =forged"}}, want: 400},
		{name: "cookie hidden beside the real one", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "access_token=" + tok + "; theme=dark access_token=forged"}}, want: 400},
		{name: "cookie hidden in quotes", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", `theme="dark access_token=forged"`}}, want: 400},
		{name: "cookie hidden in a nameless pair", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "x access_token=forged"}}, want: 400},
		{name: "the name in a value, not as a cookie", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "a=access_token=1; b=x,access_tokens=2; c=x access_token; access_token=" + tok}}, want: 200},
		{name: "commas and spaces in other values", sources: []middleware.TokenSource{middleware.Cookie("access_token")}, headers: []hdr{{"Cookie", "prefs=a,b c=d; access_token=" + tok}}, want: 200},

		// The query.
		{name: "query", sources: []middleware.TokenSource{middleware.Query("access_token")}, target: "/me?access_token=" + tok, want: 200},
		{name: "query twice", sources: []middleware.TokenSource{middleware.Query("access_token")}, target: "/me?access_token=" + tok + "&access_token=" + tok, want: 400},
		{name: "query with a semicolon part", sources: []middleware.TokenSource{middleware.Query("access_token")}, target: "/me?access_token=" + tok + "&x=1;access_token=forged", want: 400},
		{name: "query with a bad escape", sources: []middleware.TokenSource{middleware.Query("access_token")}, target: "/me?access_token=" + tok + "&access%ZZtoken=forged", want: 400},
		{name: "query value with a tab", sources: []middleware.TokenSource{middleware.Query("access_token")}, target: "/me?access_token=" + tok + "%09", want: 400},
		{name: "query empty", sources: []middleware.TokenSource{middleware.Query("access_token")}, target: "/me?access_token=", want: 400},
		{name: "query absent", sources: []middleware.TokenSource{middleware.Query("access_token")}, target: "/me?x=1", want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == "" {
				target = "/me"
			}
			r := bearerReq("GET", target, "")
			for _, h := range tt.headers {
				r.Header[http.CanonicalHeaderKey(h.name)] = append(r.Header[http.CanonicalHeaderKey(h.name)], h.value)
			}
			rec, s := serve(t, middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), TokenSources: tt.sources}, r)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 400 && (s.called || rec.Header().Get("WWW-Authenticate") != `Bearer realm="cognito-gate", error="invalid_request", error_description="malformed"`) {
				t.Errorf("handler called %v, challenge %q", s.called, rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// TestSourceFromContext: the next handler learns which source held the
// verified token — the first configured source that holds one, never a
// later one that also does — and nothing when no token was verified
// (anonymous route, skipped request).
func TestSourceFromContext(t *testing.T) {
	e := newEnv(t)
	tok := e.Pool.AccessToken()
	auth, cookie, query := middleware.AuthorizationHeader(), middleware.Cookie("session"), middleware.Query("access_token")
	sources := []middleware.TokenSource{auth, cookie, query}
	withCookie := func(r *http.Request) *http.Request {
		r.AddCookie(&http.Cookie{Name: "session", Value: tok})
		return r
	}
	tests := []struct {
		name string
		req  *http.Request
		want middleware.TokenSource // nil: none
	}{
		{"authorization", bearerReq("GET", "/me", tok), auth},
		{"cookie", withCookie(bearerReq("GET", "/me", "")), cookie},
		{"query", bearerReq("GET", "/me?access_token="+tok, ""), query},
		{"first of two", withCookie(bearerReq("GET", "/me", tok)), auth},
		{"anonymous route, no token", bearerReq("GET", "/public/x", ""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), TokenSources: sources})
			if err != nil {
				t.Fatal(err)
			}
			var got middleware.TokenSource
			var ok, called bool
			m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got, ok = middleware.SourceFromContext(r.Context())
			})).ServeHTTP(httptest.NewRecorder(), tt.req)
			if !called || got != tt.want || ok != (tt.want != nil) {
				t.Errorf("called %v, SourceFromContext = %v, %v; want %v", called, got, ok, tt.want)
			}
		})
	}
	if src, ok := middleware.SourceFromContext(context.Background()); ok || src != nil {
		t.Errorf("a bare context has source %v", src)
	}
}

// TestBlankTokenAfterVerify: in front of a *claims.Verifier the
// whitespace check of a bearer token is made only when the token fails
// verification; the answer must be the 400 it always was, whether the
// token around the blank is cached or not, and in front of any other
// Verifier the check comes first (the verifier never sees the token).
func TestBlankTokenAfterVerify(t *testing.T) {
	e := newEnv(t)
	tok := e.Pool.AccessToken()
	cases := map[string]string{
		"space inside":   tok[:40] + " " + tok[40:],
		"tab inside":     tok[:40] + "\t" + tok[40:],
		"trailing space": tok + " ",
		"tab then token": tok + "\t" + tok,
		"space, no dots": "abc def",
	}
	for _, wrap := range []string{"claims.Verifier", "another Verifier"} {
		var v middleware.Verifier = e.Verifier
		cv := &countingVerifier{Verifier: e.Verifier}
		if wrap == "another Verifier" {
			v = cv
		}
		cfg := middleware.Config{Verifier: v, Policy: testPolicy(t)}
		// The token itself first, so that it is cached.
		if rec, _ := serve(t, cfg, bearerReq("GET", "/me", tok)); rec.Code != 200 {
			t.Fatalf("%s: valid token: status %d", wrap, rec.Code)
		}
		cv.calls = 0
		for name, val := range cases {
			r := bearerReq("GET", "/me", "")
			r.Header["Authorization"] = []string{"Bearer " + val}
			rec, s := serve(t, cfg, r)
			if rec.Code != 400 || s.called || rec.Header().Get("WWW-Authenticate") != `Bearer realm="cognito-gate", error="invalid_request", error_description="malformed"` {
				t.Errorf("%s, %s: status %d, handler called %v, challenge %q", wrap, name, rec.Code, s.called, rec.Header().Get("WWW-Authenticate"))
			}
		}
		if cv.calls != 0 {
			t.Errorf("%s: Verify called %d times for tokens with blanks", wrap, cv.calls)
		}
	}
}
