package alb_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// FuzzVerifyData feeds VerifyData arbitrary header values (seeded with
// genuine tokens of both forms and their near misses) against a verifier
// whose key requests are answered in memory. It must never panic, every
// error must have a reason of the fixed list, every request must be for
// the key endpoint and a UUID, and what verifies must carry the
// configured signer and client.
func FuzzVerifyData(f *testing.F) {
	lb, v, rec := fuzzRig(f)
	for _, s := range []string{
		lb.Data(),
		lb.Data(fakealb.Unpadded()),
		lb.Data(fakealb.WithDERSignature()),
		lb.Data(fakealb.WithHeader("kid", "../x")),
		lb.Data(fakealb.WithHeader("kid", "12345678-1234-1234-1234-123456789012")),
		lb.Data(fakealb.WithHeader("alg", "none")),
		lb.Sign([]byte(`{"alg":"ES256","alg":"none"}`), []byte(`{"sub":"x"}`)),
		"", ".", "..", "a.b.c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) { checkFuzzed(t, lb, v, rec, raw) })
}

// FuzzVerifyParts signs arbitrary header and payload JSON with the fake
// load balancer's key, so that the fuzzer explores the header and claim
// rules behind a genuine signature, with the invariants of
// FuzzVerifyData.
func FuzzVerifyParts(f *testing.F) {
	lb, v, rec := fuzzRig(f)
	hdr, pay := decodedParts(f, lb.Data())
	for _, s := range [][2]string{
		{hdr, pay},
		{strings.Replace(hdr, `"alg":"ES256"`, `"alg":"ES256","alg":"none"`, 1), pay},
		{strings.Replace(hdr, `"kid":"`, `"kid":"../`, 1), pay},
		{hdr, strings.Replace(pay, `"sub":`, `"sub":1,"x":`, 1)},
		{`{}`, `{}`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, header, payload []byte) {
		checkFuzzed(t, lb, v, rec, lb.Sign(header, payload))
		checkFuzzed(t, lb, v, rec, lb.Sign(header, payload, fakealb.Unpadded()))
	})
}

// fuzzRig returns a fake load balancer on the fixed clock t0 and a
// verifier for it whose key requests memTransport answers, recorded.
func fuzzRig(f *testing.F) (*fakealb.ALB, *alb.Verifier, *countingTransport) {
	lb, err := fakealb.New(fakealb.Config{Now: func() time.Time { return t0 }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(lb.Close)
	rec := &countingTransport{next: &memTransport{lb: lb}}
	v, err := alb.New(alb.Config{
		Region: lb.Region(), KeyURL: lb.KeyURL(), AllowHTTP: true, Issuer: lb.Issuer(),
		Signers: []string{lb.Signer()}, ClientIDs: []string{lb.ClientID()},
		Now:              func() time.Time { return t0 },
		MaxNewKeyFetches: 1 << 20, // every kid is fetched: the fuzzer explores the URLs
		Keys:             jwks.Config{HTTPClient: &http.Client{Transport: rec}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = v.Close() })
	return lb, v, rec
}

// checkFuzzed verifies raw and checks the invariants.
func checkFuzzed(t *testing.T, lb *fakealb.ALB, v *alb.Verifier, rec *countingTransport, raw string) {
	before := rec.count()
	tok, err := v.VerifyData(context.Background(), raw)
	if r := claims.ReasonOf(err); r == claims.ReasonInternal {
		t.Fatalf("error outside the reason list: %v", err)
	}
	for _, u := range rec.sent()[before:] {
		kid, ok := strings.CutPrefix(u, lb.KeyURL()+"/")
		if !ok || len(kid) != 36 || strings.ContainsAny(kid, "/.%?#") {
			t.Errorf("requested %q", u)
		}
	}
	if err == nil && (tok.Signer != lb.Signer() || tok.ClientID != lb.ClientID() || tok.Issuer != lb.Issuer() ||
		tok.Subject == "" || tok.Algorithm != "ES256" || !tok.Expiry.After(t0.Add(-claims.DefaultLeeway))) {
		t.Fatalf("verified %+v", tok)
	}
}
