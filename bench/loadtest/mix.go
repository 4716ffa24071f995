package main

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
)

// kind is one sort of request in the mix.
type kind int

const (
	kindCold          kind = iota // a valid token used once, authenticated route
	kindCached                    // a valid token used many times, authenticated route
	kindAdmin                     // an admin's token on the admin route
	kindNonAdmin                  // a reader's token on the admin route
	kindBadSignature              // a reader's token with another token's signature
	kindExpired                   // a token that expired two hours ago
	kindRandomKid                 // a token whose kid no key set holds
	kindGarbage                   // not a token
	kindAnonPublic                // no token, anonymous route
	kindAnonProtected             // no token, authenticated route
	kindRetired                   // a token signed by the retired key
	numKinds
)

var kindNames = [numKinds]string{
	"cold", "cached", "admin", "non-admin", "bad-signature", "expired",
	"random-kid", "garbage", "anon-public", "anon-protected", "retired-key",
}

func (k kind) String() string { return kindNames[k] }

// weights is the share of each kind in a phase, in percent.
type weights [numKinds]int

// baseMix is the mix of every phase but post-retire.
var baseMix = weights{
	kindCold: 10, kindCached: 35, kindAdmin: 5, kindNonAdmin: 5,
	kindBadSignature: 5, kindExpired: 5, kindRandomKid: 5, kindGarbage: 5,
	kindAnonPublic: 15, kindAnonProtected: 10,
}

// retiredMix adds old-key tokens, taken from the cached share.
var retiredMix = func() weights {
	w := baseMix
	w[kindCached] -= 5
	w[kindRetired] = 5
	return w
}()

// pick chooses a kind with probability proportional to w.
func (w *weights) pick(r *rand.Rand) kind {
	total := 0
	for _, n := range w {
		total += n
	}
	x := r.IntN(total)
	for k, n := range w {
		if x < n {
			return kind(k)
		}
		x -= n
	}
	return kindAnonPublic // not reached
}

// expectStatus is the status the gateway must answer for k. unavailable
// means the gateway holds no keys (the designed jwks_unavailable window):
// every token of the pool gets 503 there, since its signature cannot be
// checked; garbage and anonymous requests are decided without keys.
func expectStatus(k kind, unavailable bool) int {
	switch k {
	case kindAnonPublic:
		return http.StatusOK
	case kindAnonProtected, kindGarbage:
		return http.StatusUnauthorized
	}
	if unavailable {
		return http.StatusServiceUnavailable
	}
	switch k {
	case kindCold, kindCached, kindAdmin:
		return http.StatusOK
	case kindNonAdmin:
		return http.StatusForbidden
	default: // bad signature, expired, random kid, retired key
		return http.StatusUnauthorized
	}
}

// target is the path of a request of kind k; n makes paths vary.
func target(k kind, n int) string {
	switch k {
	case kindAdmin, kindNonAdmin:
		return fmt.Sprintf("/admin/reports/%d", n%97)
	case kindAnonPublic:
		return fmt.Sprintf("/public/docs/%d", n%89)
	default:
		return fmt.Sprintf("/api/items/%d", n%101)
	}
}

// token is a minted token and the identity the upstream must receive for
// it.
type token struct {
	raw    string
	user   string
	groups string // comma-separated, "" for none
}

// expectHeader is the X-Loadtest-Expect value for a request the upstream
// will see: the identity the token carries, or "-" for none.
func (t *token) expectHeader() string {
	if t == nil {
		return "-"
	}
	return t.user + "|" + t.groups
}

// garbage are Authorization bearer values that are not tokens.
var garbage = []string{
	"garbage",
	"a.b.c",
	"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0",
	"eyJ.eyJ.c2ln",
	strings.Repeat("x", 300) + "." + strings.Repeat("y", 300) + "." + strings.Repeat("z", 300),
	"e30.e30.e30",
}

// withKid returns raw with its header replaced by one naming kid: a token
// whose kid no key set holds, cheap to make for every request.
func withKid(raw, kid string) string {
	_, rest, _ := strings.Cut(raw, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"`+kid+`"}`)) + "." + rest
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// withSignatureOf returns raw with the signature of other.
func withSignatureOf(raw, other string) string {
	return raw[:strings.LastIndexByte(raw, '.')] + other[strings.LastIndexByte(other, '.'):]
}

// spoofed identity headers go with every request; the upstream checks that
// none survives.
var spoofed = [][2]string{
	{"X-Auth-Sub", "spoofed"}, {"X-Auth-Username", "spoofed"}, {"X-Auth-Groups", "admin"},
	{"X-Auth-Client-Id", "spoofed"}, {"X-Auth-Issuer", "spoofed"},
}
