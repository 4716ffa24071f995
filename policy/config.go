package policy

import (
	"strconv"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Config is a policy in Go form; Parse reads the same thing from YAML. The
// zero Config is valid and denies every request. New validates a Config
// completely and compiles it.
type Config struct {
	// Default decides requests that no rule matches. The zero value,
	// DefaultDeny, denies them.
	Default Default
	// Rules are matched by route, most specific pattern first, whatever
	// their order; the order is only that of Rules() and of error
	// messages.
	Rules []Rule
}

// Default says what happens to a request that no rule matches.
type Default int

// The defaults. Anything but DefaultDeny is reported by Policy.Warnings,
// for the program to log at start-up.
const (
	// DefaultDeny denies unmatched requests: 401 (missing_token) without
	// a token, 403 (no_rule) with one.
	DefaultDeny Default = iota
	// DefaultAuthenticated lets unmatched requests through with any valid
	// token, and answers 401 without one.
	DefaultAuthenticated
	// DefaultAllow lets every unmatched request through, token or not.
	DefaultAllow
)

// String returns "deny", "authenticated" or "allow", the YAML spelling.
func (d Default) String() string {
	switch d {
	case DefaultDeny:
		return "deny"
	case DefaultAuthenticated:
		return "authenticated"
	case DefaultAllow:
		return "allow"
	}
	return "Default(" + strconv.Itoa(int(d)) + ")"
}

// parseDefault is the inverse of Default.String.
func parseDefault(s string) (Default, bool) {
	for _, d := range []Default{DefaultDeny, DefaultAuthenticated, DefaultAllow} {
		if s == d.String() {
			return d, true
		}
	}
	return 0, false
}

// Rule grants access to the requests its routes match.
//
// Who may pass is said by exactly one of: Anonymous; nothing else (any
// valid token); or requirements (the embedded Requirement and AnyOf). A
// rule's requirements are ANDed: the embedded Requirement must hold, and
// when AnyOf is not empty, at least one of its alternatives too.
type Rule struct {
	// Name identifies the rule in decisions, logs and metrics: 1 to 64
	// lowercase letters, digits, '_', '.' and '-', starting with a letter
	// or digit; unique; not "default" or "non_canonical".
	Name string

	// Route is a net/http.ServeMux pattern, "[METHOD ][HOST]/[PATH]", such
	// as "GET /admin/", "POST /orders", "/users/{sub}/files/{path...}" or
	// "api.example.com/v1/". A method pattern also matches HEAD when the
	// method is GET, as in ServeMux. Set Route or Routes, not both.
	Route string
	// Routes lists several patterns for one rule; each must define every
	// path variable the rule's conditions use.
	Routes []string

	// Anonymous lets requests through without a token. A token that is
	// present has still been verified (by the middleware) and its claims
	// are passed on. An anonymous rule has no requirements.
	Anonymous bool

	// Requirement is what the token must satisfy. Its zero value requires
	// only a valid token.
	Requirement

	// AnyOf lists alternatives, of which at least one must hold (as well
	// as the embedded Requirement). Every alternative must require
	// something: an empty one would let any token through.
	AnyOf []Requirement

	// LiveCheck requires that Cognito still accept the token (package
	// livecheck: GetUser), after every other requirement held: the
	// Decision that allows a request says so (Decision.LiveCheck) and
	// whoever acts on it must make the check before letting the request
	// through (the middleware asks its Config.LiveCheck, and refuses a
	// policy with such a rule when it has none). Only access tokens with
	// the aws.cognito.signin.user.admin scope can be checked. Not with
	// Anonymous (there is no token to check), nor with a TokenUse
	// claims.IDToken, in the rule or in an alternative (GetUser takes
	// access tokens only).
	LiveCheck bool
}

// Requirement is a set of conditions on a verified token, all of which must
// hold. Nil lists require nothing; empty non-nil lists are an error, never
// "anything goes".
type Requirement struct {
	// Pools requires the token to come from one of these user pools, by
	// id ("eu-west-1_AbC123"): its issuer (iss) must be the pool's, in
	// either form Cognito uses,
	// "https://cognito-idp.<region>.amazonaws.com/<id>" or
	// "https://issuer-cognito-idp.<region>.amazonaws.com/<id>". Issuers
	// requires the issuer to be one of these URLs, compared exactly (for
	// an emulator's issuer, say). When both are set the issuer must be one
	// of either list: a pool id is shorthand for its two issuers.
	//
	// Name the pool in every rule of a verifier that accepts several
	// pools: groups, usernames and custom attributes are each pool's own,
	// so "admin" of one pool says nothing about another. A token of
	// another pool is denied with claims.ReasonClaimDenied (403): it is
	// valid, just not for this rule. This is checked first, so that such
	// a token is told nothing about the rule's other requirements.
	Pools, Issuers []string
	// Clients requires the token to be of one of these app clients, by
	// id: its client_id (access tokens, machine-to-machine ones included)
	// or aud (ID tokens), as claims.Token.ClientID holds it. The verifier
	// accepts the app clients of the whole service; Clients narrows a rule
	// to some of them, as AgentCore's allowedClients does. A token of
	// another client is denied with claims.ReasonClaimDenied (403), like a
	// token of another pool: it is valid, just not for this rule. It is
	// checked right after the pool.
	Clients []string
	// GroupsAny requires membership of at least one of these
	// cognito:groups; GroupsAll of all of them.
	GroupsAny, GroupsAll []string
	// ScopesAny requires at least one of these scopes of an access token;
	// ScopesAll all of them. ID tokens have no scopes and never satisfy a
	// scope requirement (combining scopes with TokenUse IDToken is an
	// error). Each is one scope-token of RFC 6749 section 3.3: the scope
	// claim separates scopes by single spaces, so a value with whitespace
	// ("orders/read orders/write") is a load error, not two scopes.
	ScopesAny, ScopesAll []string
	// TokenUse requires an access token (claims.AccessToken) or an ID
	// token (claims.IDToken). Empty or claims.AnyToken accepts both.
	TokenUse claims.TokenUse
	// Claims are conditions on single claims, modelled on the rules of
	// identity-pool role mapping.
	Claims []Condition
}

// isZero reports whether q requires nothing beyond a valid token.
func (q *Requirement) isZero() bool {
	return q.Pools == nil && q.Issuers == nil && q.Clients == nil &&
		q.GroupsAny == nil && q.GroupsAll == nil && q.ScopesAny == nil && q.ScopesAll == nil &&
		(q.TokenUse == "" || q.TokenUse == claims.AnyToken) && q.Claims == nil
}

// Condition is a test of one value of the token's claims.
//
// Claim is a claim path (see ClaimPath): "sub", "custom:tenant",
// "tenant.id", "tenant.regions[0]", `["custom:org.unit"]`. Claims that
// claims.Verifier checks are read from the verified token's typed fields:
// sub, username and cognito:username (the username of either token kind),
// client_id (the app client of either kind: aud for ID tokens), token_use,
// iss, email, cognito:preferred_role (strings); cognito:groups, scope (the
// list of scopes) and cognito:roles (lists of strings); email_verified (a
// boolean, also when Cognito writes it as "true" or "false"). Every other
// path is read from the token's JSON, as signed: what pre-token-generation
// triggers (V2 and V3) write, strings, numbers, booleans, arrays and
// objects.
//
// Values are typed and compared without conversion: a string equals only
// a string, a number only a number (by value and exactly: 1 equals 1.0,
// and 9007199254740993 is not 9007199254740992), a boolean only a
// boolean. So the number 1, the string "1" and true are three different
// values, and a claim of another type than the value fails the condition.
// A claim that is missing or has no value (null, "", [] or {}) fails every
// condition but exists: false: a condition never holds for lack of data.
// Where the claim's type is known (the typed claims above, and exp, iat,
// nbf, auth_time and version, which are integers), a condition that its
// type can never satisfy is an error of New.
//
// Value is, by operator:
//
//   - equals, not_equals: a string, number or boolean. not_equals holds
//     when the claim has a value of the same type that differs.
//   - in: a list of them; holds when the claim equals one.
//   - exists: true (the claim has a value) or false (it has none).
//   - gt, gte, lt, lte: a number, compared with a number claim.
//   - contains: on an array, holds when an element equals the value (an
//     array or object element equals nothing); on a string, when the
//     string value is a substring.
//   - contains_any, contains_all: a list; on an array, holds when one or
//     every value is an element.
//   - starts_with: a string, a prefix of a string claim; not a template
//     with a path wildcard (the client would choose the prefix).
//
// In Go, a string is a string, a bool a boolean, and any integer or float
// type, or a json.Number, a number; lists are slices ([]any, []string,
// []int, ...), of at most 64 values, none twice. In YAML the value's own
// type decides: 42 and 1.5 are numbers, true and false booleans, "42" and
// anything quoted strings; numbers are written as JSON writes them (no
// 0x, 1_000, +1, .inf or .nan).
//
// A string value is a template. "{name}" is the value of the path
// wildcard name of the rule's route (as ServeMux's Request.PathValue
// would give it, unescaped); "{claim:PATH}" is the string at claim path
// PATH of the token (a claim that is not a string leaves the template
// without a value); "{{" and "}}" are literal braces; everything else is
// literal. So on "/users/{sub}/files/{path...}", {Claim: "sub", Op:
// OpEquals, Value: "{sub}"} lets users reach only their own files. A
// value that comes out empty fails the condition. On the list claims
// scope and cognito:groups, the literal text of a value must be able to
// occur in one element: no whitespace (and, for scope, only the
// characters of an RFC 6749 scope token), or New reports an error.
type Condition struct {
	// Claim is the claim path, e.g. "sub", "custom:tenant" or
	// "tenant.id".
	Claim string
	// Op is the comparison.
	Op Op
	// Value is what the claim is compared with: a string (a template), a
	// number, a boolean, or a list of them, as Op wants.
	Value any
}

// Op is a Condition's comparison.
type Op string

// The operators, spelled as in YAML.
const (
	// OpEquals holds when the claim equals the value, of the same type.
	OpEquals Op = "equals"
	// OpNotEquals holds when the claim has a value of the value's type
	// that differs from it.
	OpNotEquals Op = "not_equals"
	// OpIn holds when the claim equals one of a list of values.
	OpIn Op = "in"
	// OpExists holds, with true, when the claim has a value (is present
	// and not null, "", [] or {}); with false, when it has none.
	OpExists Op = "exists"
	// OpGreater, OpGreaterOrEqual, OpLess and OpLessOrEqual compare a
	// number claim with a number: claim > value, >=, <, <=.
	OpGreater        Op = "gt"
	OpGreaterOrEqual Op = "gte"
	OpLess           Op = "lt"
	OpLessOrEqual    Op = "lte"
	// OpContains holds when an array claim has the value as an element,
	// or a string claim has it as a substring.
	OpContains Op = "contains"
	// OpContainsAny holds when an array claim has one of a list of values
	// as an element; OpContainsAll when it has every one of them.
	OpContainsAny Op = "contains_any"
	OpContainsAll Op = "contains_all"
	// OpStartsWith holds when a string claim starts with the value.
	OpStartsWith Op = "starts_with"
)

// ops lists the operators in documentation order.
var ops = []Op{OpEquals, OpNotEquals, OpIn, OpExists, OpGreater, OpGreaterOrEqual, OpLess, OpLessOrEqual, OpContains, OpContainsAny, OpContainsAll, OpStartsWith}

// Reserved rule names: the Rule of decisions that no rule made.
const (
	// RuleDefault is the Rule of a decision made by the policy's default.
	RuleDefault = "default"
	// RuleNonCanonical is the Rule of a decision refusing a request that
	// cannot be judged safely; see the package documentation.
	RuleNonCanonical = "non_canonical"
)
