package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// poolSize is the number of distinct valid tokens minted for the cold
// benchmarks: every iteration takes the next one, so a verifier with a
// verified-token cache smaller than this never sees a token it still holds.
const poolSize = 2048

// clientID is the app client every verifier is configured to accept.
const clientID = cognitotest.DefaultClientID

// Leeway is the clock-skew allowance every verifier is given.
const leeway = 5 * time.Second

// fixture is what every benchmark and guard shares: one fake user pool
// serving its two-key JWKS on 127.0.0.1, a fixed clock and the tokens.
type fixture struct {
	pool *cognitotest.Pool
	now  time.Time // the fixed clock
	// tokens are distinct valid access tokens, all with the same claims
	// but their ids (jti, origin_jti, event_id) and so their signatures.
	tokens []string
	// audTokens are tokens[i] with an aud claim (the client id) added, for
	// the peer that insists on aud, which Cognito access tokens lack.
	audTokens []string
	fullOnce  sync.Once
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

// fixedNow returns the fixed clock. The instant is the process start,
// truncated to the second, so that a peer that reads the real clock (auth0's
// validator has no clock option) still sees the tokens as current for an
// hour.
func (f *fixture) fixedNow() time.Time { return f.now }

// mintOpts are the options of every benchmark token: a realistic access
// token of a user in two groups with three scopes.
func mintOpts(extra ...cognitotest.TokenOption) []cognitotest.TokenOption {
	return append([]cognitotest.TokenOption{
		cognitotest.WithUsername("7d1e5b8a-0c52-4a8e-9d3f-1f4f2b9c6e01"),
		cognitotest.WithGroups("admins", "us-east-1_GateTest1_Google"),
		cognitotest.WithScopes("openid", "email", "aws.cognito.signin.user.admin"),
	}, extra...)
}

// getFixture starts the shared pool and mints the tokens, once per process.
// The pool is closed by TestMain.
func getFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixOnce.Do(func() { fix, fixErr = newFixture() })
	if fixErr != nil {
		tb.Fatalf("fixture: %v", fixErr)
	}
	return fix
}

func newFixture() (*fixture, error) {
	now := time.Now().Truncate(time.Second)
	pool, err := cognitotest.Start(cognitotest.Config{Now: func() time.Time { return now }})
	if err != nil {
		return nil, err
	}
	f := &fixture{pool: pool, now: now}
	f.tokens = mintN(pool, guardTokens)
	// The aud variants are signed afresh: same claims plus aud.
	f.audTokens = mintN(pool, guardTokens, cognitotest.WithClaim("aud", clientID))
	return f, nil
}

// guardTokens is how many tokens the correctness guards need.
const guardTokens = 8

// audPoolSize is the size of the aud token pool. The peer that uses it has
// no verified-token cache, so a smaller pool serves as well.
const audPoolSize = 256

// fullPools mints the cold-benchmark pools, once: a few seconds of RSA
// signing that the guards do not need.
func (f *fixture) fullPools() {
	f.fullOnce.Do(func() {
		f.tokens = append(f.tokens, mintN(f.pool, poolSize-len(f.tokens))...)
		f.audTokens = append(f.audTokens, mintN(f.pool, audPoolSize-len(f.audTokens), cognitotest.WithClaim("aud", clientID))...)
	})
}

// mintN mints n access tokens with the benchmark claims plus extra, on
// every core.
func mintN(pool *cognitotest.Pool, n int, extra ...cognitotest.TokenOption) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				out[i] = pool.AccessToken(mintOpts(extra...)...)
			}
		})
	}
	wg.Wait()
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.pool.Close()
	}
	os.Exit(code)
}

// ctx is the context of every call; benchmarks never cancel it.
var ctx = context.Background()

// b64 is the encoding of JWS segments.
var b64 = base64.RawURLEncoding

// tamperPayload returns tok with its claims changed by edit and the
// signature kept: a forgery that only a signature check catches.
func tamperPayload(tok string, edit func(map[string]any)) string {
	parts := strings.Split(tok, ".")
	raw, err := b64.DecodeString(parts[1])
	if err != nil {
		panic(err)
	}
	var claims map[string]any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		panic(err)
	}
	edit(claims)
	out, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	return parts[0] + "." + b64.EncodeToString(out) + "." + parts[2]
}

// flipSignature returns tok with one bit of its signature flipped.
func flipSignature(tok string) string {
	parts := strings.Split(tok, ".")
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		panic(err)
	}
	sig[len(sig)/2] ^= 0x01
	return parts[0] + "." + parts[1] + "." + b64.EncodeToString(sig)
}
