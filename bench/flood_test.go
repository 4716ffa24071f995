package bench

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
)

var floodN = flag.Int("flood", 20_000, "distinct invalid tokens TestFlood verifies (run.sh: 1000000)")

// flooder makes distinct invalid tokens from the parts of a valid one.
type flooder struct {
	header, payload, sig string
	jti                  int // offset of the jti value in payload
	iss                  int // offset of the iss value in payload
	issLen               int
}

func newFlooder(tb testing.TB, tok string) *flooder {
	tb.Helper()
	parts := strings.Split(tok, ".")
	p, err := b64.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	payload := string(p)
	fl := &flooder{header: parts[0], payload: payload, sig: parts[2]}
	fl.jti = strings.Index(payload, `"jti":"`) + len(`"jti":"`)
	fl.iss = strings.Index(payload, `"iss":"`) + len(`"iss":"`)
	fl.issLen = strings.IndexByte(payload[fl.iss:], '"')
	if fl.jti < len(`"jti":"`) || fl.iss < len(`"iss":"`) || payload[fl.jti+36] != '"' {
		tb.Fatalf("unexpected claims layout: %s", payload)
	}
	return fl
}

// token returns the i-th invalid token: half keep the header and signature
// but change the jti (bad signature), a quarter name an unknown kid, a
// quarter an unknown issuer. want is the reason it must fail with.
func (fl *flooder) token(i int) (tok string, want claims.Reason) {
	switch i % 4 {
	case 0, 1:
		p := fl.payload[:fl.jti] + fmt.Sprintf("%036d", i) + fl.payload[fl.jti+36:]
		return fl.header + "." + b64.EncodeToString([]byte(p)) + "." + fl.sig, claims.ReasonBadSignature
	case 2:
		h := fmt.Sprintf(`{"kid":"flood%039d","alg":"RS256"}`, i)
		return b64.EncodeToString([]byte(h)) + "." + b64.EncodeToString([]byte(fl.payload)) + "." + fl.sig, claims.ReasonUnknownKID
	default:
		p := fl.payload[:fl.iss] + fmt.Sprintf("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_F%d", i) + fl.payload[fl.iss+fl.issLen:]
		return fl.header + "." + b64.EncodeToString([]byte(p)) + "." + fl.sig, claims.ReasonWrongIssuer
	}
}

// flood verifies tokens [from, to) on every core and fails tb on any
// token that does not fail with its reason.
func (fl *flooder) flood(tb testing.TB, v *claims.Verifier, from, to int) {
	tb.Helper()
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := from + w; i < to; i += workers {
				tok, want := fl.token(i)
				_, err := v.Verify(ctx, tok)
				if got := claims.ReasonOf(err); got != want {
					errs[w] = fmt.Errorf("token %d: reason %s, want %s (%v)", i, got, want, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
}

// heapAfterGC returns the live heap after a full collection.
func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestFlood verifies -flood distinct invalid tokens (valid shape; bad
// signatures, unknown kids, unknown issuers) with a Verifier whose token
// cache is on with its defaults, and checks that the live heap ends where
// it started: failures are never cached and nothing grows per token. It
// logs the figures for README.md.
func TestFlood(t *testing.T) {
	f := getFixture(t)
	v := f.newVerifier(t, claims.CacheConfig{})
	if _, err := v.Verify(ctx, f.tokens[0]); err != nil {
		t.Fatal(err)
	}
	fl := newFlooder(t, f.tokens[0])
	// Warm up: the first unknown kid triggers the one key set refresh the
	// cooldown allows; lazily built state settles.
	fl.flood(t, v, 0, 4000)
	fetches := f.pool.Fetches()
	before := heapAfterGC()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)

	n := *floodN
	fl.flood(t, v, 4000, 4000+n)

	after := heapAfterGC()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	st := v.CacheStats()
	t.Logf("flood: %d distinct invalid tokens; live heap %d KiB before, %d KiB after (%+d KiB); %.0f B allocated per token, all garbage; token cache %d entries; %d key set fetches during the flood",
		n, before>>10, after>>10, (int64(after)-int64(before))>>10, float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(n), st.Entries, f.pool.Fetches()-fetches)
	if st.Entries != 1 {
		t.Errorf("token cache holds %d entries, want only the valid token", st.Entries)
	}
	if f.pool.Fetches() != fetches {
		t.Errorf("%d key set fetches during the flood, want none (cooldown)", f.pool.Fetches()-fetches)
	}
	const slack = 1 << 20
	if after > before+slack {
		t.Errorf("live heap grew from %d to %d bytes over %d invalid tokens", before, after, n)
	}
}
