package livecheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/livecheck"
)

// answerCase is one answer of the endpoint and what Check makes of it.
type answerCase struct {
	name   string
	status int
	header map[string]string // Content-Type defaults to the protocol's; "" removes it
	body   string
	result livecheck.Result
	err    error // the sentinel of Check's error; nil: accepted
}

// answerCases are the answers of GetUser and more, with what each means.
func answerCases() []answerCase {
	const revoked, unexpected = livecheck.ResultRevoked, livecheck.ResultUnexpected
	ok := userAnswer(user, sub)
	exc := func(typ, msg string) string {
		b, _ := json.Marshal(map[string]string{"__type": typ, "message": msg})
		return string(b)
	}
	html := map[string]string{"Content-Type": "text/html"}
	big := `{"Username":"alice","UserAttributes":[{"Name":"sub","Value":"` + sub + `"}],"pad":"` + strings.Repeat("x", 300<<10) + `"}`
	return []answerCase{
		// Accepted: the token's own user.
		{"the user", 200, nil, ok, livecheck.ResultAccepted, nil},
		{"the user, charset", 200, map[string]string{"Content-Type": "application/x-amz-json-1.1; charset=utf-8"}, ok, livecheck.ResultAccepted, nil},
		{"the user, escaped", 200, nil, `{"Username":"\u0061lice","UserAttributes":[{"Name":"s\u0075b","Value":"` + sub + `"}]}`, livecheck.ResultAccepted, nil},
		{"attribute without value", 200, nil, `{"Username":"alice","UserAttributes":[{"Name":"phone_number_verified"},{"Name":"sub","Value":"` + sub + `"}],"PreferredMfaSetting":"SOFTWARE_TOKEN_MFA","MFAOptions":[{"DeliveryMedium":"SMS","AttributeName":"phone_number"}]}`, livecheck.ResultAccepted, nil},

		// Cognito no longer accepts the token.
		{"revoked", 400, nil, exc("NotAuthorizedException", "Access Token has been revoked"), revoked, livecheck.ErrRevoked},
		{"expired at Cognito", 400, nil, exc("NotAuthorizedException", "Access Token has expired"), revoked, livecheck.ErrRevoked},
		{"user disabled", 400, nil, exc("NotAuthorizedException", "User is disabled."), revoked, livecheck.ErrRevoked},
		{"invalid token", 400, nil, exc("NotAuthorizedException", "Invalid Access Token"), revoked, livecheck.ErrRevoked},
		{"user deleted", 400, nil, exc("UserNotFoundException", "User does not exist."), revoked, livecheck.ErrRevoked},
		{"password reset required", 400, nil, exc("PasswordResetRequiredException", "Password reset required for the user"), revoked, livecheck.ErrRevoked},
		{"user not confirmed", 400, nil, exc("UserNotConfirmedException", "User is not confirmed."), revoked, livecheck.ErrRevoked},
		{"namespaced __type", 400, nil, exc("com.amazonaws.cognito.identity.idp.model#NotAuthorizedException", "x"), revoked, livecheck.ErrRevoked},
		{"name in the header only", 400, map[string]string{"X-Amzn-ErrorType": "NotAuthorizedException:http://internal.amazon.com/coral/com.amazonaws.cognito/"}, `{}`, revoked, livecheck.ErrRevoked},
		{"name in code", 400, nil, `{"code":"UserNotFoundException"}`, revoked, livecheck.ErrRevoked},
		{"header before body", 400, map[string]string{"X-Amzn-ErrorType": "UserNotFoundException:"}, exc("TooManyRequestsException", ""), revoked, livecheck.ErrRevoked},

		// Cognito could not be asked.
		{"throttled", 400, nil, exc("TooManyRequestsException", "Rate exceeded"), livecheck.ResultThrottled, livecheck.ErrUnavailable},
		{"throttled, generic", 400, nil, exc("ThrottlingException", "Rate exceeded"), livecheck.ResultThrottled, livecheck.ErrUnavailable},
		{"429", 429, html, "<html>slow down</html>", livecheck.ResultThrottled, livecheck.ErrUnavailable},
		{"internal error", 500, nil, exc("InternalErrorException", "boom"), livecheck.ResultUnavailable, livecheck.ErrUnavailable},
		{"internal error as 400", 400, nil, exc("InternalErrorException", "boom"), livecheck.ResultUnavailable, livecheck.ErrUnavailable},
		{"502 from a proxy", 502, html, "<html>bad gateway</html>", livecheck.ResultUnavailable, livecheck.ErrUnavailable},
		{"503 empty", 503, nil, "", livecheck.ResultUnavailable, livecheck.ErrUnavailable},

		// Answers GetUser never gives.
		{"pool does not exist", 400, nil, exc("ResourceNotFoundException", "User pool does not exist."), unexpected, livecheck.ErrUnexpectedAnswer},
		{"invalid parameter", 400, nil, exc("InvalidParameterException", "x"), unexpected, livecheck.ErrUnexpectedAnswer},
		{"web ACL", 403, nil, exc("ForbiddenException", "Request not allowed due to WAF block."), unexpected, livecheck.ErrUnexpectedAnswer},
		{"400 without a name", 400, html, "<html>NotAuthorizedException</html>", unexpected, livecheck.ErrUnexpectedAnswer},
		{"name with a space", 400, nil, exc("NotAuthorized Exception", ""), unexpected, livecheck.ErrUnexpectedAnswer},
		{"name too long", 400, nil, exc(strings.Repeat("A", 65), ""), unexpected, livecheck.ErrUnexpectedAnswer},
		{"__type not a string", 400, nil, `{"__type":1}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"404", 404, html, "not found", unexpected, livecheck.ErrUnexpectedAnswer},
		{"redirect", 307, map[string]string{"Location": "https://attacker.example/"}, "", unexpected, livecheck.ErrUnexpectedAnswer},
		{"204", 204, nil, "", unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 html", 200, html, ok, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 application/json", 200, map[string]string{"Content-Type": "application/json"}, ok, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 without Content-Type", 200, map[string]string{"Content-Type": ""}, ok, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 garbage", 200, nil, "garbage", unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 empty", 200, nil, "", unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 empty object", 200, nil, "{}", unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 array", 200, nil, "[" + ok + "]", unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 without UserAttributes", 200, nil, `{"Username":"alice"}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 without Username", 200, nil, `{"UserAttributes":[{"Name":"sub","Value":"` + sub + `"}]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 without sub", 200, nil, `{"Username":"alice","UserAttributes":[{"Name":"email","Value":"a@example.com"}]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 two subs", 200, nil, `{"Username":"alice","UserAttributes":[{"Name":"sub","Value":"` + sub + `"},{"Name":"sub","Value":"other"}]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 Username twice", 200, nil, `{"Username":"mallory","Username":"alice","UserAttributes":[{"Name":"sub","Value":"` + sub + `"}]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 Username twice, escaped", 200, nil, `{"Username":"alice","Us\u0065rname":"alice","UserAttributes":[{"Name":"sub","Value":"` + sub + `"}]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 Username a number", 200, nil, `{"Username":1,"UserAttributes":[{"Name":"sub","Value":"` + sub + `"}]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 attribute with more", 200, nil, `{"Username":"alice","UserAttributes":[{"Name":"sub","Value":"` + sub + `","Verified":true}]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 attribute not an object", 200, nil, `{"Username":"alice","UserAttributes":["sub"]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 UserAttributes an object", 200, nil, `{"Username":"alice","UserAttributes":{"Name":"sub","Value":"` + sub + `"}}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 trailing data", 200, nil, ok + "{}", unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 invalid UTF-8", 200, nil, `{"Username":"alice\xff","UserAttributes":[]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 lone surrogate", 200, nil, `{"Username":"alice\ud800","UserAttributes":[]}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 deep", 200, nil, `{"Username":"alice","UserAttributes":[{"Name":"sub","Value":"` + sub + `"}],"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, unexpected, livecheck.ErrUnexpectedAnswer},
		{"200 huge", 200, nil, big, unexpected, livecheck.ErrUnexpectedAnswer},

		// GetUser answers for another user.
		{"another user", 200, nil, userAnswer("mallory", sub), livecheck.ResultMismatch, livecheck.ErrIdentityMismatch},
		{"another sub", 200, nil, userAnswer(user, "00000000-0000-4000-8000-000000000000"), livecheck.ResultMismatch, livecheck.ErrIdentityMismatch},
		{"username in another case", 200, nil, userAnswer("Alice", sub), livecheck.ResultMismatch, livecheck.ErrIdentityMismatch},
		{"empty username", 200, nil, userAnswer("", sub), livecheck.ResultMismatch, livecheck.ErrIdentityMismatch},
	}
}

// serve answers with tt.
func (tt answerCase) serve(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	for k, v := range tt.header {
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
	}
	w.WriteHeader(tt.status)
	io.WriteString(w, tt.body)
}

// TestAnswers: every answer, in both failure modes, and what is cached.
func TestAnswers(t *testing.T) {
	for _, tt := range answerCases() {
		for _, failOpen := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/fail_open=%v", tt.name, failOpen), func(t *testing.T) {
				a := &api{respond: tt.serve}
				clk := newClock()
				ev := &events{}
				c := checkerFor(t, a, clk.Now, ev, func(cfg *livecheck.Config) { cfg.FailOpen = failOpen })
				raw, tok := forge(t, nil)

				err := c.Check(context.Background(), tok, raw)
				want := tt.err
				if failOpen && tt.result.FailsOpen() {
					want = nil
				}
				wantErr(t, "Check", err, want)
				e := ev.last(t)
				if e.Result != tt.result || e.Source != livecheck.SourceCall || e.FailOpen != (failOpen && tt.result.FailsOpen()) ||
					e.Issuer != issuer || e.Endpoint != "https://cognito-idp.eu-west-1.amazonaws.com/" || !errors.Is(e.Err, tt.err) {
					t.Errorf("event %+v, want result %s from a call", e, tt.result)
				}
				if a.calls() != 1 {
					t.Fatalf("%d requests, want 1", a.calls())
				}
				wantRequest(t, a.last(), raw)

				// The reason the middleware answers with.
				if want != nil {
					reason := claims.ReasonOf(err)
					switch {
					case errors.Is(err, livecheck.ErrRevoked) && reason != claims.ReasonRevoked,
						errors.Is(err, livecheck.ErrIdentityMismatch) && reason != claims.ReasonIdentityMismatch,
						errors.Is(err, livecheck.ErrUnavailable) && reason.Status() < 500:
						t.Errorf("reason %s (%d) for %v", reason, reason.Status(), err)
					}
				}

				// Asked again at once: an answer is cached, a failure is
				// not, and cools the endpoint down.
				err = c.Check(context.Background(), tok, raw)
				e = ev.last(t)
				switch tt.result {
				case livecheck.ResultAccepted, livecheck.ResultRevoked:
					wantErr(t, "cached", err, tt.err)
					if e.Source != livecheck.SourceCache || e.Result != tt.result || a.calls() != 1 {
						t.Errorf("second check: %+v after %d requests, want the cached answer", e, a.calls())
					}
				case livecheck.ResultMismatch:
					if e.Source != livecheck.SourceCall || a.calls() != 2 {
						t.Errorf("second check: %+v after %d requests, want another call", e, a.calls())
					}
				default:
					if e.Result != livecheck.ResultCooldown || e.Source != livecheck.SourceLocal || a.calls() != 1 || e.FailOpen != failOpen {
						t.Errorf("second check: %+v after %d requests, want the cooldown", e, a.calls())
					}
				}
			})
		}
	}
}

// wantRequest checks that r is the GetUser request of raw, and nothing
// more: no credential beside the token in the body.
func wantRequest(t *testing.T, r *seen, raw string) {
	t.Helper()
	if r.method != http.MethodPost || r.url != "https://cognito-idp.eu-west-1.amazonaws.com/" {
		t.Errorf("request %s %s", r.method, r.url)
	}
	for k, want := range map[string]string{
		"Content-Type":  "application/x-amz-json-1.1",
		"X-Amz-Target":  "AWSCognitoIdentityProviderService.GetUser",
		"Authorization": "",
		"Cookie":        "",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("request header %s = %q, want %q", k, got, want)
		}
	}
	if got, want := string(r.body), `{"AccessToken":"`+raw+`"}`; got != want {
		t.Errorf("request body %s, want %s", got, want)
	}
}

// TestAnswersNeverHoldTheToken: no error and no event of any answer
// holds the token or its signature.
func TestAnswersNeverHoldTheToken(t *testing.T) {
	for _, tt := range answerCases() {
		a := &api{respond: tt.serve}
		ev := &events{}
		c := checkerFor(t, a, newClock().Now, ev, nil)
		raw, tok := forge(t, nil)
		err := c.Check(context.Background(), tok, raw)
		sig := raw[strings.LastIndexByte(raw, '.')+1:]
		for _, s := range []string{fmt.Sprint(err), fmt.Sprintf("%+v", ev.all())} {
			if strings.Contains(s, raw) || strings.Contains(s, sig) {
				t.Errorf("%s: the token in %q", tt.name, s)
			}
		}
	}
}

// TestTimeout: an endpoint that does not answer within Timeout is a
// timeout, an unavailable one in both modes' terms.
func TestTimeout(t *testing.T) {
	a := &api{respond: func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }}
	ev := &events{}
	c := checkerFor(t, a, nil, ev, func(cfg *livecheck.Config) { cfg.Timeout = 50 * time.Millisecond })
	raw, tok := forge(t, map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
	start := time.Now()
	err := c.Check(context.Background(), tok, raw)
	wantErr(t, "Check", err, livecheck.ErrUnavailable)
	if e := ev.last(t); e.Result != livecheck.ResultTimeout {
		t.Errorf("result %s, want timeout", e.Result)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

// TestNetworkError: a request that fails is unavailable.
func TestNetworkError(t *testing.T) {
	ev := &events{}
	cfg := livecheck.Config{
		Pools: []livecheck.Pool{{UserPoolID: poolID, Endpoint: "http://127.0.0.1:1/", AllowHTTP: true}},
		Now:   newClock().Now, Observer: ev,
	}
	c, err := livecheck.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	raw, tok := forge(t, nil)
	wantErr(t, "Check", c.Check(context.Background(), tok, raw), livecheck.ErrUnavailable)
	if e := ev.last(t); e.Result != livecheck.ResultUnavailable && e.Result != livecheck.ResultTimeout {
		t.Errorf("result %s, want unavailable", e.Result)
	}
}
