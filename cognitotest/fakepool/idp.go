package fakepool

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// Session is the tokens of one sign-in (Pool.SignIn): an access and an ID
// token that share one origin_jti and event_id, and the refresh token that
// renews them (Pool.Refresh) and that RevokeToken revokes.
type Session struct {
	AccessToken, IDToken, RefreshToken string
}

// APIError is an error answer of the pool's user pool API, as Cognito's
// AWS JSON 1.1 protocol carries it: Type is the exception's name (its
// __type, e.g. "NotAuthorizedException") and Message its message ("Access
// Token has been revoked"). The pool's methods return one for what
// Cognito would refuse, and its API endpoint answers it with status 400.
type APIError struct {
	Type, Message string
}

func (e *APIError) Error() string { return "fakepool: " + e.Type + ": " + e.Message }

// The exception names the pool answers with.
const (
	errNotAuthorized   = "NotAuthorizedException"
	errUserNotFound    = "UserNotFoundException"
	errInvalidParam    = "InvalidParameterException"
	errUnknownOp       = "UnknownOperationException"
	errSerialization   = "SerializationException"
	msgInvalidToken    = "Invalid Access Token"
	msgRevoked         = "Access Token has been revoked"
	msgExpired         = "Access Token has expired"
	msgDisabled        = "User is disabled."
	msgNoScope         = "Access Token does not have required scopes"
	msgUserNotFound    = "User does not exist."
	msgRefreshRevoked  = "Refresh Token has been revoked"
	msgInvalidRefresh  = "Invalid Refresh Token"
	msgUnsupportedType = "Unsupported token type"
)

// users is a pool's state of its users and sign-ins, for its user pool
// API: the revoked sign-ins, sign-outs, disabled and deleted users, the
// refresh tokens handed out, and the requests counted by operation. The
// zero value is ready; every field is under mu.
type users struct {
	mu        sync.Mutex
	revoked   map[string]bool      // origin_jti → revoked by RevokeToken
	signedOut map[string]time.Time // username → the last global sign-out
	disabled  map[string]bool      // username → disabled
	deleted   map[string]bool      // username → deleted
	sessions  map[string]*signIn   // refresh token → its sign-in
	requests  map[string]int       // operation → API requests
}

// signIn is one sign-in: what Refresh mints its tokens with.
type signIn struct {
	username  string
	originJTI string
	eventID   string
	authTime  time.Time
	opts      []TokenOption
}

// SignIn mints the tokens of a new sign-in of the user opts name (as
// AccessToken and IDToken read them: WithUsername, WithGroups,
// WithScopes, WithClientID, ...): an access and an ID token with one
// fresh origin_jti and event_id, and a refresh token, which Refresh
// renews them with and RevokeToken revokes. Options that set
// origin_jti or event_id themselves (WithClaim) win, as with any token.
// A disabled user (AdminDisableUser) gets a NotAuthorizedException, a
// deleted one (AdminDeleteUser) a UserNotFoundException, as *APIError.
func (p *Pool) SignIn(opts ...TokenOption) (Session, error) {
	username := specOf(opts).username
	if err := p.users.usable(username); err != nil {
		return Session{}, err
	}
	s := &signIn{username: username, originJTI: newUUID(), eventID: newUUID(), authTime: p.cfg.Now(), opts: opts}
	refresh := newRefreshToken()
	u := &p.users
	u.mu.Lock()
	if u.sessions == nil {
		u.sessions = make(map[string]*signIn)
	}
	u.sessions[refresh] = s
	u.mu.Unlock()
	access, id := p.mintSession(s)
	return Session{AccessToken: access, IDToken: id, RefreshToken: refresh}, nil
}

// Refresh mints new access and ID tokens of the sign-in of refreshToken,
// as Cognito's REFRESH_TOKEN_AUTH flow does: a new jti and iat, the same
// origin_jti, event_id and auth_time, and the same refresh token back. It
// returns a NotAuthorizedException (*APIError) for a refresh token the
// pool did not hand out, one RevokeToken revoked or that a global
// sign-out since the sign-in ended, and for a disabled user; a
// UserNotFoundException for a deleted user.
func (p *Pool) Refresh(refreshToken string) (Session, error) {
	u := &p.users
	u.mu.Lock()
	s, ok := u.sessions[refreshToken]
	var err error
	switch {
	case !ok:
		err = &APIError{errNotAuthorized, msgInvalidRefresh}
	case u.revoked[s.originJTI] || u.signedOutLocked(s.username, s.authTime.Unix()):
		err = &APIError{errNotAuthorized, msgRefreshRevoked}
	default:
		err = u.usableLocked(s.username)
	}
	u.mu.Unlock()
	if err != nil {
		return Session{}, err
	}
	access, id := p.mintSession(s)
	return Session{AccessToken: access, IDToken: id, RefreshToken: refreshToken}, nil
}

// mintSession mints an access and an ID token of the sign-in s.
func (p *Pool) mintSession(s *signIn) (access, id string) {
	opts := append([]TokenOption{
		WithClaim("origin_jti", s.originJTI),
		WithClaim("event_id", s.eventID),
		WithClaim("auth_time", s.authTime.Unix()),
	}, s.opts...)
	return p.AccessToken(opts...), p.IDToken(opts...)
}

// RevokeToken revokes the refresh token and ends its sign-in, as
// Cognito's RevokeToken does: the refresh token stops working, and so do
// the access and ID tokens minted from it (SignIn, Refresh), which share
// its origin_jti — GetUser answers "Access Token has been revoked" for
// them. Access tokens minted otherwise (AccessToken) have origin_jtis of
// their own and are not affected. A token the pool did not hand out gets
// an UnsupportedTokenTypeException (*APIError).
func (p *Pool) RevokeToken(refreshToken string) error {
	u := &p.users
	u.mu.Lock()
	defer u.mu.Unlock()
	s, ok := u.sessions[refreshToken]
	if !ok {
		return &APIError{"UnsupportedTokenTypeException", msgUnsupportedType}
	}
	if u.revoked == nil {
		u.revoked = make(map[string]bool)
	}
	u.revoked[s.originJTI] = true
	return nil
}

// GlobalSignOut signs out the user of accessToken everywhere, as
// Cognito's GlobalSignOut does, authorized by that token: it must be one
// GetUser accepts, else the *APIError GetUser would answer. See
// AdminUserGlobalSignOut for what it ends.
func (p *Pool) GlobalSignOut(accessToken string) error {
	c, err := p.checkAccessToken(accessToken)
	if err != nil {
		return err
	}
	return p.AdminUserGlobalSignOut(c.Username)
}

// AdminUserGlobalSignOut signs out username everywhere, as Cognito's
// AdminUserGlobalSignOut does: every token of the user whose sign-in
// began before now (its auth_time, by the pool's clock) is revoked —
// GetUser answers "Access Token has been revoked" — and so is every
// refresh token of such a sign-in. A sign-in after the sign-out is
// unaffected, except one in the same second: tokens carry whole seconds,
// so a sign-in in the second of the sign-out counts as before it. A
// deleted user gets a UserNotFoundException (*APIError).
func (p *Pool) AdminUserGlobalSignOut(username string) error {
	now := p.cfg.Now()
	u := &p.users
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.deleted[username] {
		return &APIError{errUserNotFound, msgUserNotFound}
	}
	if u.signedOut == nil {
		u.signedOut = make(map[string]time.Time)
	}
	u.signedOut[username] = now
	return nil
}

// AdminDisableUser disables username, as Cognito's AdminDisableUser does:
// GetUser answers "User is disabled." for every token of the user until
// AdminEnableUser, and SignIn and Refresh refuse the user. A deleted user
// gets a UserNotFoundException (*APIError).
func (p *Pool) AdminDisableUser(username string) error {
	return p.users.setFlag(&p.users.disabled, username, true)
}

// AdminEnableUser enables username again after AdminDisableUser. A
// deleted user gets a UserNotFoundException (*APIError).
func (p *Pool) AdminEnableUser(username string) error {
	return p.users.setFlag(&p.users.disabled, username, false)
}

// AdminDeleteUser deletes username, as Cognito's AdminDeleteUser does:
// GetUser answers UserNotFoundException for every token of the user, and
// SignIn and Refresh refuse the user. It cannot be undone: the pool has
// no AdminCreateUser, and tokens minted for the username later are
// refused too. Deleting a deleted user gets a UserNotFoundException
// (*APIError).
func (p *Pool) AdminDeleteUser(username string) error {
	return p.users.setFlag(&p.users.deleted, username, true)
}

// APIRequests returns how many requests of the user pool API operation op
// ("GetUser", "RevokeToken", ...) the pool's API endpoint has received,
// refused ones included; "" counts those without a known operation.
func (p *Pool) APIRequests(op string) int {
	u := &p.users
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.requests[op]
}

// countRequest counts one API request of op.
func (u *users) countRequest(op string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.requests == nil {
		u.requests = make(map[string]int)
	}
	u.requests[op]++
}

// setFlag sets username's entry of flags (u.disabled or u.deleted) to v,
// or returns the *APIError of a deleted user.
func (u *users) setFlag(flags *map[string]bool, username string, v bool) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.deleted[username] {
		return &APIError{errUserNotFound, msgUserNotFound}
	}
	if *flags == nil {
		*flags = make(map[string]bool)
	}
	(*flags)[username] = v
	return nil
}

// usable returns the *APIError of a disabled or deleted user, or nil.
func (u *users) usable(username string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.usableLocked(username)
}

func (u *users) usableLocked(username string) error {
	switch {
	case u.deleted[username]:
		return &APIError{errUserNotFound, msgUserNotFound}
	case u.disabled[username]:
		return &APIError{errNotAuthorized, msgDisabled}
	}
	return nil
}

// signedOutLocked reports whether a sign-in of username that began at
// the second signInStart (Unix time) is ended by a global sign-out: one
// at that second or later.
func (u *users) signedOutLocked(username string, signInStart int64) bool {
	t, ok := u.signedOut[username]
	return ok && signInStart <= t.Unix()
}

// specOf returns the spec that opts make, for what it says of the user.
func specOf(opts []TokenOption) tokenSpec {
	spec := tokenSpec{username: DefaultUsername}
	for _, opt := range opts {
		if opt != nil {
			opt(&spec)
		}
	}
	return spec
}

// refreshHeader is the protected header of the refresh tokens the pool
// hands out: Cognito's refresh tokens are JWEs with this header.
var refreshHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}`))

// newRefreshToken returns a random refresh token in the shape of
// Cognito's: a compact JWE of five segments, which no verifier can read
// as a signed token.
func newRefreshToken() string {
	enc := base64.RawURLEncoding
	part := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b) // never fails: crypto/rand.Read crashes the program instead
		return enc.EncodeToString(b)
	}
	return refreshHeader + "." + part(256) + "." + part(12) + "." + part(96) + "." + part(16)
}
