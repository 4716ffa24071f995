package fakepool

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// APIURL returns the address of the pool's user pool API,
// "http://127.0.0.1:<port>/": the AWS JSON 1.1 protocol of Cognito's
// https://cognito-idp.<region>.amazonaws.com/, a POST with the operation
// in X-Amz-Target ("AWSCognitoIdentityProviderService.GetUser") and
// Content-Type application/x-amz-json-1.1. It answers the operations of
// the pool's revocation side as Cognito does, with Cognito's exception
// names and messages (status 400, the name in X-Amzn-ErrorType and
// __type):
//
//   - GetUser {"AccessToken"}: the user of a valid access token of the
//     pool — signed by one of its keys (not WithUnpublishedKey's), of one
//     of its issuers, unexpired by the pool's clock, with the scope
//     DefaultScope, which Cognito requires of it — as {"Username", "UserAttributes": [sub, email,
//     email_verified]}, the sub being the pool's for the username (so a
//     token minted WithSubject of another sub is answered with the user's
//     own). NotAuthorizedException "Invalid Access Token", "Access Token
//     has expired", "Access Token does not have required scopes", "Access
//     Token has been revoked" (RevokeToken of its sign-in, a global
//     sign-out after it began) or "User is disabled."; UserNotFoundException
//     for a deleted user.
//   - GlobalSignOut {"AccessToken"}, RevokeToken {"Token", "ClientId"}:
//     Pool.GlobalSignOut and Pool.RevokeToken, answered {}.
//   - AdminUserGlobalSignOut, AdminDisableUser, AdminEnableUser,
//     AdminDeleteUser {"UserPoolId", "Username"}: the Pool methods of the
//     same names, answered {}. Cognito authorizes these with a SigV4
//     signature, which the pool does not check (as cognito-local does
//     not); a UserPoolId other than the pool's is a
//     ResourceNotFoundException.
//
// Any other operation is an UnknownOperationException, a body that is not one JSON object of at most 64 KiB a
// SerializationException. APIRequests counts the requests.
func (p *Pool) APIURL() string { return p.base + "/" }

// apiTargetPrefix starts the X-Amz-Target of every operation of the user
// pool API.
const apiTargetPrefix = "AWSCognitoIdentityProviderService."

// apiContentType is the media type of the AWS JSON 1.1 protocol.
const apiContentType = "application/x-amz-json-1.1"

// maxAPIBody caps a request body of the API.
const maxAPIBody = 64 << 10

// apiRequest holds the members of every operation's request the pool
// reads.
type apiRequest struct {
	AccessToken string
	Token       string
	ClientID    string `json:"ClientId"`
	UserPoolID  string `json:"UserPoolId"`
	Username    string
}

// serveAPI serves the user pool API: the POST requests of "/" (see
// APIURL).
func (p *Pool) serveAPI(w http.ResponseWriter, r *http.Request) {
	op, known := strings.CutPrefix(r.Header.Get("X-Amz-Target"), apiTargetPrefix)
	if !known || !slices.Contains(apiOperations, op) {
		op = ""
	}
	p.users.countRequest(op)
	if op == "" {
		writeAPIError(w, &APIError{errUnknownOp, ""})
		return
	}
	var in apiRequest
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != apiContentType {
		writeAPIError(w, &APIError{errSerialization, "Content-Type must be " + apiContentType})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	if err != nil || len(body) > maxAPIBody || !isObject(body) || json.Unmarshal(body, &in) != nil {
		writeAPIError(w, &APIError{errSerialization, "the body is not a JSON object of the operation's request"})
		return
	}
	out, err := p.apiCall(op, in)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	data, _ := json.Marshal(out) // only strings, slices and maps of them
	w.Header().Set("Content-Type", apiContentType)
	w.Header().Set("X-Amzn-RequestId", newUUID())
	_, _ = w.Write(data)
}

// apiOperations lists the operations serveAPI answers.
var apiOperations = []string{"GetUser", "GlobalSignOut", "RevokeToken", "AdminUserGlobalSignOut", "AdminDisableUser", "AdminEnableUser", "AdminDeleteUser"}

// apiCall runs one operation of the API; its error is an *APIError.
func (p *Pool) apiCall(op string, in apiRequest) (any, error) {
	empty := struct{}{}
	switch op {
	case "GetUser":
		c, err := p.checkAccessToken(in.AccessToken)
		if err != nil {
			return nil, err
		}
		return p.userOf(c.Username), nil
	case "GlobalSignOut":
		return empty, p.GlobalSignOut(in.AccessToken)
	case "RevokeToken":
		if in.ClientID != p.cfg.ClientID {
			return nil, &APIError{errNotAuthorized, "Invalid client"}
		}
		return empty, p.RevokeToken(in.Token)
	}
	// The Admin operations.
	switch {
	case in.UserPoolID != p.cfg.PoolID:
		return nil, &APIError{"ResourceNotFoundException", "User pool " + in.UserPoolID + " does not exist."}
	case in.Username == "":
		return nil, &APIError{errInvalidParam, "Username is required"}
	}
	switch op {
	case "AdminUserGlobalSignOut":
		return empty, p.AdminUserGlobalSignOut(in.Username)
	case "AdminDisableUser":
		return empty, p.AdminDisableUser(in.Username)
	case "AdminEnableUser":
		return empty, p.AdminEnableUser(in.Username)
	default: // AdminDeleteUser
		return empty, p.AdminDeleteUser(in.Username)
	}
}

// attribute is one of GetUser's UserAttributes.
type attribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// userOf is GetUser's answer for username.
func (p *Pool) userOf(username string) any {
	return struct {
		Username       string      `json:"Username"`
		UserAttributes []attribute `json:"UserAttributes"`
	}{username, []attribute{
		{"sub", p.subjectOf(username)},
		{"email_verified", "true"},
		{"email", username + "@example.com"},
	}}
}

// accessClaims are the claims of an access token the API reads.
type accessClaims struct {
	Issuer    string `json:"iss"`
	TokenUse  string `json:"token_use"`
	Username  string `json:"username"`
	OriginJTI string `json:"origin_jti"`
	Scope     string `json:"scope"`
	Expiry    int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	AuthTime  int64  `json:"auth_time"`
}

// checkAccessToken returns the claims of raw when Cognito would accept it
// as the access token of a request of its API (GetUser, GlobalSignOut),
// else the *APIError it would answer.
func (p *Pool) checkAccessToken(raw string) (*accessClaims, error) {
	invalid := &APIError{errNotAuthorized, msgInvalidToken}
	c, ok := p.readAccessToken(raw)
	if !ok {
		return nil, invalid
	}
	switch {
	case c.TokenUse != "access" || !p.issues(c.Issuer):
		return nil, invalid
	case c.Expiry <= p.cfg.Now().Unix():
		return nil, &APIError{errNotAuthorized, msgExpired}
	case !slices.Contains(strings.Split(c.Scope, " "), DefaultScope):
		return nil, &APIError{errNotAuthorized, msgNoScope}
	case c.Username == "":
		return nil, invalid
	}
	start := c.IssuedAt
	if c.AuthTime != 0 && c.AuthTime < start {
		start = c.AuthTime
	}
	u := &p.users
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.usableLocked(c.Username); err != nil {
		return nil, err
	}
	if (c.OriginJTI != "" && u.revoked[c.OriginJTI]) || u.signedOutLocked(c.Username, start) {
		return nil, &APIError{errNotAuthorized, msgRevoked}
	}
	return c, nil
}

// readAccessToken returns the claims of raw when it is a compact JWS
// signed with RS256 by a key of the pool other than WithUnpublishedKey's.
func (p *Pool) readAccessToken(raw string) (*accessClaims, bool) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, false
	}
	enc := base64.RawURLEncoding
	headerJSON, err1 := enc.DecodeString(parts[0])
	claimsJSON, err2 := enc.DecodeString(parts[1])
	sig, err3 := enc.DecodeString(parts[2])
	var header struct{ Alg, Kid string }
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(headerJSON, &header) != nil || header.Alg != "RS256" {
		return nil, false
	}
	k := p.key(header.Kid)
	if k == nil || k == p.unpublishedOrNil() {
		return nil, false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&k.priv.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return nil, false
	}
	var c accessClaims
	if json.Unmarshal(claimsJSON, &c) != nil {
		return nil, false
	}
	return &c, true
}

// unpublishedOrNil returns WithUnpublishedKey's key, or nil when no token
// was minted with it.
func (p *Pool) unpublishedOrNil() *signingKey {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.unpublished
}

// issues reports whether iss is an issuer of the pool's tokens: Issuer,
// or one whose key endpoint serves keys (a replica's, the updated one of a
// pool on the updated issuer).
func (p *Pool) issues(iss string) bool {
	if iss == p.cfg.Issuer {
		return true
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	status, _ := p.answerLocked(iss)
	return status == http.StatusOK
}

// writeAPIError answers err as the AWS JSON 1.1 protocol does: status 400,
// the exception's name in X-Amzn-ErrorType and __type, its message.
func writeAPIError(w http.ResponseWriter, err error) {
	e, ok := err.(*APIError)
	if !ok {
		e = &APIError{"InternalErrorException", err.Error()}
	}
	status := http.StatusBadRequest
	if e.Type == "InternalErrorException" {
		status = http.StatusInternalServerError
	}
	data, _ := json.Marshal(map[string]string{"__type": e.Type, "message": e.Message})
	h := w.Header()
	h.Set("Content-Type", apiContentType)
	h.Set("X-Amzn-ErrorType", e.Type+":")
	h.Set("X-Amzn-RequestId", newUUID())
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// isObject reports whether data is a JSON object.
func isObject(data []byte) bool {
	data = bytes.TrimSpace(data)
	return len(data) > 0 && data[0] == '{'
}
