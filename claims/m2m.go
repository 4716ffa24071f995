package claims

// IsMachine reports whether t is a machine-to-machine token: an access
// token that Cognito issued to an app client itself, through the OAuth 2.0
// client-credentials grant or GetClientToken. Cognito mints those without
// username and cognito:groups, with sub equal to client_id and custom
// scopes ("<resource server>/<scope>"); IsMachine reads exactly that: an
// access token with no username whose sub is its client_id. (The claims
// are the ones Cognito signed: a user's access token always has a
// username, and its sub is the user's UUID, never an app client id.)
//
// A machine token has no user: Username is empty and Groups nil, so a
// rule that needs a group never matches it. Authorize machines by scope
// or by client (ClientID); name the caller with Caller.
func (t *Token) IsMachine() bool {
	return t.Use == AccessToken && t.Username == "" && t.Subject != "" && t.Subject == t.ClientID
}

// Caller names who presented t: the username for a user's token (username
// of an access token, cognito:username of an ID token), the app client id
// for a machine-to-machine token (IsMachine), and "" for a token that is
// neither (an access token without username whose sub is not its client,
// which Cognito does not issue). A username and a client id can look
// alike: where the difference matters, as it does to an upstream that
// trusts a header, carry IsMachine along (or the client id in a header of
// its own) rather than Caller alone.
func (t *Token) Caller() string {
	switch {
	case t.Username != "":
		return t.Username
	case t.IsMachine():
		return t.ClientID
	}
	return ""
}
