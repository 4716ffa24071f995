package fakepool_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// apiAnswer is what a client got from the pool's user pool API.
type apiAnswer struct {
	status    int
	errorType string // X-Amzn-ErrorType without its ":"
	Type      string `json:"__type"`
	Message   string `json:"message"`
	Username  string
	Attrs     []struct{ Name, Value string } `json:"UserAttributes"`
}

// attr returns the value of the user attribute name ("" when absent).
func (a apiAnswer) attr(name string) string {
	for _, at := range a.Attrs {
		if at.Name == name {
			return at.Value
		}
	}
	return ""
}

// call sends one request of operation op with the body in (JSON-encoded
// unless it is a string) to the pool's API.
func call(t *testing.T, p *fakepool.Pool, method, op string, in any) apiAnswer {
	t.Helper()
	body, ok := in.(string)
	if !ok {
		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = string(raw)
	}
	req, err := http.NewRequest(method, p.APIURL(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if op != "" {
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := apiAnswer{status: resp.StatusCode, errorType: strings.TrimSuffix(resp.Header.Get("X-Amzn-ErrorType"), ":")}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusBadRequest {
		if got := resp.Header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
			t.Errorf("%s: Content-Type %q", op, got)
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatalf("%s: %v: %s", op, err, raw)
		}
	}
	return a
}

func getUser(t *testing.T, p *fakepool.Pool, token string) apiAnswer {
	t.Helper()
	return call(t, p, http.MethodPost, "GetUser", map[string]string{"AccessToken": token})
}

// wantRefusal checks that a is the error answer typ with message msg.
func wantRefusal(t *testing.T, what string, a apiAnswer, typ, msg string) {
	t.Helper()
	if a.status != http.StatusBadRequest || a.Type != typ || a.errorType != typ || a.Message != msg {
		t.Errorf("%s: %d %q (header %q) %q, want 400 %q %q", what, a.status, a.Type, a.errorType, a.Message, typ, msg)
	}
}

// wantUser checks that a is GetUser's answer for username of p.
func wantUser(t *testing.T, what string, p *fakepool.Pool, a apiAnswer, username string) {
	t.Helper()
	if a.status != http.StatusOK || a.Username != username || a.attr("sub") == "" || a.attr("email") != username+"@example.com" {
		t.Errorf("%s: %d %+v, want the user %s", what, a.status, a, username)
	}
	if sub := decode(t, p.AccessToken(fakepool.WithUsername(username))).claims["sub"]; a.attr("sub") != sub {
		t.Errorf("%s: sub %q, want the pool's %q", what, a.attr("sub"), sub)
	}
}

// clockPool starts a pool whose clock the test sets.
func clockPool(t *testing.T) (*fakepool.Pool, *atomic.Int64) {
	t.Helper()
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	p := newPool(t, fakepool.Config{Now: func() time.Time { return time.Unix(0, now.Load()) }})
	return p, &now
}

func TestGetUser(t *testing.T) {
	p := sharedPool(t)
	wantUser(t, "access token", p, getUser(t, p, p.AccessToken(fakepool.WithUsername("gu-bob"))), "gu-bob")
	good := p.AccessToken()
	tests := []struct {
		name, token, msg string
	}{
		{"ID token", p.IDToken(), "Invalid Access Token"},
		{"expired", p.AccessToken(fakepool.WithLifetime(-time.Second)), "Access Token has expired"},
		{"no admin scope", p.AccessToken(fakepool.WithScopes("openid", "email")), "Access Token does not have required scopes"},
		{"machine token", p.ClientCredentialsToken(), "Access Token does not have required scopes"},
		{"unpublished key", p.AccessToken(fakepool.WithUnpublishedKey()), "Invalid Access Token"},
		{"bad signature", good[:len(good)-4] + "AAAA", "Invalid Access Token"},
		{"another issuer", p.AccessToken(fakepool.WithIssuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")), "Invalid Access Token"},
		{"alg none", p.AccessToken(fakepool.WithHeader("alg", "none")), "Invalid Access Token"},
		{"no username", p.AccessToken(fakepool.WithoutClaim("username")), "Invalid Access Token"},
		{"garbage", "not.a.token", "Invalid Access Token"},
		{"empty", "", "Invalid Access Token"},
	}
	for _, tt := range tests {
		wantRefusal(t, tt.name, getUser(t, p, tt.token), "NotAuthorizedException", tt.msg)
	}
	// The user's own sub, whatever the token says.
	a := getUser(t, p, p.AccessToken(fakepool.WithUsername("gu-bob"), fakepool.WithSubject("00000000-0000-4000-8000-000000000000")))
	wantUser(t, "token of another sub", p, a, "gu-bob")
}

func TestSignInAndRefresh(t *testing.T) {
	p, now := clockPool(t)
	s, err := p.SignIn(fakepool.WithUsername("carol"), fakepool.WithGroups("admin"))
	if err != nil {
		t.Fatal(err)
	}
	ac, ic := decode(t, s.AccessToken).claims, decode(t, s.IDToken).claims
	for _, c := range []string{"origin_jti", "event_id", "auth_time"} {
		if ac[c] != ic[c] || ac[c] == nil {
			t.Errorf("%s: access %v, id %v: want one value", c, ac[c], ic[c])
		}
	}
	if ac["username"] != "carol" || ic["cognito:username"] != "carol" || len(ac["cognito:groups"].([]any)) != 1 {
		t.Errorf("the options were not applied: %v %v", ac, ic)
	}
	if n := strings.Count(s.RefreshToken, "."); n != 4 {
		t.Errorf("refresh token of %d segments, want a JWE's 5", n+1)
	}
	wantUser(t, "signed-in token", p, getUser(t, p, s.AccessToken), "carol")

	now.Add(int64(10 * time.Minute))
	r, err := p.Refresh(s.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	rc := decode(t, r.AccessToken).claims
	if rc["origin_jti"] != ac["origin_jti"] || rc["event_id"] != ac["event_id"] || rc["auth_time"] != ac["auth_time"] || rc["jti"] == ac["jti"] || rc["iat"] == ac["iat"] || r.RefreshToken != s.RefreshToken {
		t.Errorf("refreshed %v from %v", rc, ac)
	}
	if _, err := p.Refresh("unknown"); !isAPIError(err, "NotAuthorizedException") {
		t.Errorf("Refresh(unknown) = %v", err)
	}
}

func isAPIError(err error, typ string) bool {
	var e *fakepool.APIError
	return errors.As(err, &e) && e.Type == typ
}

func TestRevokeToken(t *testing.T) {
	p, now := clockPool(t)
	s, err := p.SignIn(fakepool.WithUsername("dave"))
	if err != nil {
		t.Fatal(err)
	}
	refreshed, err := p.Refresh(s.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.SignIn(fakepool.WithUsername("dave"))
	if err != nil {
		t.Fatal(err)
	}
	plain := p.AccessToken(fakepool.WithUsername("dave"))

	// Over the API, as a client would.
	if a := call(t, p, http.MethodPost, "RevokeToken", map[string]string{"Token": s.RefreshToken, "ClientId": p.ClientID()}); a.status != http.StatusOK {
		t.Fatalf("RevokeToken: %+v", a)
	}
	for what, tok := range map[string]string{"the sign-in's token": s.AccessToken, "its refreshed token": refreshed.AccessToken} {
		wantRefusal(t, what, getUser(t, p, tok), "NotAuthorizedException", "Access Token has been revoked")
	}
	wantUser(t, "another sign-in", p, getUser(t, p, other.AccessToken), "dave")
	wantUser(t, "a token of no sign-in", p, getUser(t, p, plain), "dave")
	now.Add(int64(time.Minute))
	if _, err := p.Refresh(s.RefreshToken); !isAPIError(err, "NotAuthorizedException") {
		t.Errorf("Refresh of a revoked token = %v", err)
	}
	if _, err := p.Refresh(other.RefreshToken); err != nil {
		t.Errorf("Refresh of another sign-in: %v", err)
	}
	if err := p.RevokeToken(s.AccessToken); !isAPIError(err, "UnsupportedTokenTypeException") {
		t.Errorf("RevokeToken(an access token) = %v", err)
	}
	wantRefusal(t, "another client", call(t, p, http.MethodPost, "RevokeToken", map[string]string{"Token": other.RefreshToken, "ClientId": "x"}), "NotAuthorizedException", "Invalid client")
}

func TestGlobalSignOut(t *testing.T) {
	for _, via := range []string{"GlobalSignOut", "AdminUserGlobalSignOut"} {
		t.Run(via, func(t *testing.T) {
			p, now := clockPool(t)
			before, err := p.SignIn(fakepool.WithUsername("erin"))
			if err != nil {
				t.Fatal(err)
			}
			plain := p.AccessToken(fakepool.WithUsername("erin"))
			otherUser := p.AccessToken(fakepool.WithUsername("frank"))
			now.Add(int64(30 * time.Second))
			refreshed, err := p.Refresh(before.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			now.Add(int64(500 * time.Millisecond))
			var a apiAnswer
			if via == "GlobalSignOut" {
				a = call(t, p, http.MethodPost, via, map[string]string{"AccessToken": plain})
			} else {
				a = call(t, p, http.MethodPost, via, map[string]string{"UserPoolId": p.PoolID(), "Username": "erin"})
			}
			if a.status != http.StatusOK {
				t.Fatalf("%s: %+v", via, a)
			}
			sameSecond := p.AccessToken(fakepool.WithUsername("erin"))
			now.Add(int64(time.Second))
			after := p.AccessToken(fakepool.WithUsername("erin"))

			for what, tok := range map[string]string{
				"signed in before":                   before.AccessToken,
				"refreshed before, signed in before": refreshed.AccessToken,
				"minted before":                      plain,
				"minted in the second":               sameSecond,
			} {
				wantRefusal(t, what, getUser(t, p, tok), "NotAuthorizedException", "Access Token has been revoked")
			}
			wantUser(t, "minted the second after", p, getUser(t, p, after), "erin")
			wantUser(t, "another user", p, getUser(t, p, otherUser), "frank")
			if _, err := p.Refresh(before.RefreshToken); !isAPIError(err, "NotAuthorizedException") {
				t.Errorf("Refresh after the sign-out = %v", err)
			}
		})
	}
}

func TestDisableAndDeleteUser(t *testing.T) {
	p := sharedPool(t)
	tok := p.AccessToken(fakepool.WithUsername("dd-gina"))
	call(t, p, http.MethodPost, "AdminDisableUser", map[string]string{"UserPoolId": p.PoolID(), "Username": "dd-gina"})
	wantRefusal(t, "disabled", getUser(t, p, tok), "NotAuthorizedException", "User is disabled.")
	if _, err := p.SignIn(fakepool.WithUsername("dd-gina")); !isAPIError(err, "NotAuthorizedException") {
		t.Errorf("SignIn of a disabled user = %v", err)
	}
	if err := p.AdminEnableUser("dd-gina"); err != nil {
		t.Fatal(err)
	}
	wantUser(t, "enabled again", p, getUser(t, p, tok), "dd-gina")

	if a := call(t, p, http.MethodPost, "AdminDeleteUser", map[string]string{"UserPoolId": p.PoolID(), "Username": "dd-gina"}); a.status != http.StatusOK {
		t.Fatalf("AdminDeleteUser: %+v", a)
	}
	wantRefusal(t, "deleted", getUser(t, p, tok), "UserNotFoundException", "User does not exist.")
	wantRefusal(t, "minted after the deletion", getUser(t, p, p.AccessToken(fakepool.WithUsername("dd-gina"))), "UserNotFoundException", "User does not exist.")
	for name, err := range map[string]error{
		"AdminDeleteUser again":  p.AdminDeleteUser("dd-gina"),
		"AdminDisableUser":       p.AdminDisableUser("dd-gina"),
		"AdminEnableUser":        p.AdminEnableUser("dd-gina"),
		"AdminUserGlobalSignOut": p.AdminUserGlobalSignOut("dd-gina"),
		"GlobalSignOut":          p.GlobalSignOut(tok),
	} {
		if !isAPIError(err, "UserNotFoundException") {
			t.Errorf("%s of a deleted user = %v", name, err)
		}
	}
	if _, err := p.SignIn(fakepool.WithUsername("dd-gina")); !isAPIError(err, "UserNotFoundException") {
		t.Errorf("SignIn of a deleted user = %v", err)
	}
}

func TestAPIProtocol(t *testing.T) {
	p := newPool(t, fakepool.Config{})
	tok := p.AccessToken()
	wantRefusal(t, "unknown operation", call(t, p, http.MethodPost, "ListUsers", map[string]string{}), "UnknownOperationException", "")
	wantRefusal(t, "no X-Amz-Target", call(t, p, http.MethodPost, "", map[string]string{}), "UnknownOperationException", "")
	if a := call(t, p, http.MethodGet, "GetUser", ""); a.status != http.StatusNotFound {
		t.Errorf("GET: %d, want 404", a.status)
	}
	for _, body := range []string{"", "[]", `"x"`, "{", strings.Repeat(" ", 70<<10) + "{}"} {
		if a := call(t, p, http.MethodPost, "GetUser", body); a.Type != "SerializationException" {
			t.Errorf("body %.20q: %+v", body, a)
		}
	}
	wantRefusal(t, "another pool", call(t, p, http.MethodPost, "AdminDisableUser", map[string]string{"UserPoolId": "us-east-1_Other", "Username": "alice"}), "ResourceNotFoundException", "User pool us-east-1_Other does not exist.")
	wantRefusal(t, "no username", call(t, p, http.MethodPost, "AdminDisableUser", map[string]string{"UserPoolId": p.PoolID()}), "InvalidParameterException", "Username is required")

	req, _ := http.NewRequest(http.MethodPost, p.APIURL(), bytes.NewReader([]byte(`{"AccessToken":"`+tok+`"}`)))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "SerializationException:" {
		t.Errorf("Content-Type application/json: %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}

	// Counted by operation, refused requests included; the key endpoint
	// is not an API request.
	if got, want := p.APIRequests("GetUser"), 6; got != want {
		t.Errorf("APIRequests(GetUser) = %d, want %d", got, want)
	}
	if got, want := p.APIRequests(""), 2; got != want {
		t.Errorf("APIRequests(\"\") = %d, want %d", got, want)
	}
	fetchKeys(t, p.JWKSURL())
	if p.Fetches() != 1 {
		t.Errorf("Fetches = %d: the API counted as a key fetch", p.Fetches())
	}
}
