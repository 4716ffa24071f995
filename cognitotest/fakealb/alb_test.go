package fakealb_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

var (
	t0          = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// start returns a fake load balancer on the clock t0, closed when the
// test ends.
func start(t *testing.T, cfg fakealb.Config) *fakealb.ALB {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return t0 }
	}
	lb, err := fakealb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.Close)
	return lb
}

// parts splits a padded token and decodes its segments strictly.
func parts(t *testing.T, raw string, enc *base64.Encoding) (header, payload string, sig []byte) {
	t.Helper()
	p := strings.Split(raw, ".")
	if len(p) != 3 {
		t.Fatalf("%d segments", len(p))
	}
	var dec [3][]byte
	for i, s := range p {
		b, err := enc.Strict().DecodeString(s)
		if err != nil {
			t.Fatalf("segment %d %q: %v", i, s, err)
		}
		dec[i] = b
	}
	return string(dec[0]), string(dec[1]), dec[2]
}

// verifies reports whether sig is pub's ES256 r||s signature of input.
func verifies(pub *ecdsa.PublicKey, input string, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	sum := sha256.Sum256([]byte(input))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub, sum[:], r, s)
}

func TestDefaults(t *testing.T) {
	lb := start(t, fakealb.Config{})
	if lb.Region() != "us-east-1" ||
		lb.Signer() != "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/gate-test/50dc6c495c0c9188" ||
		lb.ClientID() != fakepool.DefaultClientID ||
		lb.Issuer() != "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_GateTest1" {
		t.Errorf("defaults: %s %s %s %s", lb.Region(), lb.Signer(), lb.ClientID(), lb.Issuer())
	}
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if pool.Issuer() != lb.Issuer() || pool.ClientID() != lb.ClientID() {
		t.Errorf("the default pool is %s %s, the load balancer's %s %s", pool.Issuer(), pool.ClientID(), lb.Issuer(), lb.ClientID())
	}
	if !uuidPattern.MatchString(lb.KeyID()) {
		t.Errorf("kid %q is not a lowercase UUID", lb.KeyID())
	}
	gov := start(t, fakealb.Config{Region: "us-gov-west-1"})
	if !strings.Contains(gov.Signer(), ":us-gov-west-1:") || !strings.Contains(gov.Issuer(), "us-gov-west-1_") {
		t.Errorf("region not followed: %s %s", gov.Signer(), gov.Issuer())
	}
}

func TestNewErrors(t *testing.T) {
	for _, cfg := range []fakealb.Config{{Region: "Europe"}, {Region: "eu-west"}, {TokenLifetime: -time.Second}} {
		if lb, err := fakealb.New(cfg); !errors.Is(err, fakealb.ErrInvalidConfig) {
			if lb != nil {
				lb.Close()
			}
			t.Errorf("New(%+v): %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

// TestDataShape: the load balancer's header and payload members, in its
// order, every segment padded, an r||s signature by the current key.
func TestDataShape(t *testing.T) {
	lb := start(t, fakealb.Config{})
	raw := lb.Data(fakealb.WithUsername("bob"))
	hdr, pay, sig := parts(t, raw, base64.URLEncoding)
	for i, seg := range strings.Split(raw, ".") {
		if len(seg)%4 != 0 {
			t.Errorf("segment %d is not padded: %q", i, seg)
		}
	}
	exp := t0.Add(fakealb.DefaultTokenLifetime).Unix()
	wantHdr := `{"typ":"JWT","kid":"` + lb.KeyID() + `","alg":"ES256","iss":"` + lb.Issuer() + `","client":"` + lb.ClientID() +
		`","signer":"` + lb.Signer() + `","exp":` + itoa(exp) + `}`
	if hdr != wantHdr {
		t.Errorf("header\n got %s\nwant %s", hdr, wantHdr)
	}
	sub := regexp.MustCompile(`"sub":"([^"]+)"`).FindStringSubmatch(pay)
	if sub == nil || !uuidPattern.MatchString(sub[1]) {
		t.Fatalf("payload %s has no UUID sub", pay)
	}
	wantPay := `{"sub":"` + sub[1] + `","email_verified":"true","email":"bob@example.com","username":"bob","exp":` + itoa(exp) + `,"iss":"` + lb.Issuer() + `"}`
	if pay != wantPay {
		t.Errorf("payload\n got %s\nwant %s", pay, wantPay)
	}
	input := raw[:strings.LastIndexByte(raw, '.')]
	if !verifies(lb.PublicKey(lb.KeyID()), input, sig) {
		t.Error("the signature does not verify over the padded segments")
	}
	// The sub is stable: the same for the same user, another for another.
	_, pay2, _ := parts(t, lb.Data(fakealb.WithUsername("bob")), base64.URLEncoding)
	_, pay3, _ := parts(t, lb.Data(fakealb.WithUsername("carol")), base64.URLEncoding)
	if !strings.Contains(pay2, sub[1]) || strings.Contains(pay3, sub[1]) {
		t.Errorf("subs: bob %s, bob again %s, carol %s", sub[1], pay2, pay3)
	}
}

func itoa(n int64) string { return big.NewInt(n).String() }

func TestOptions(t *testing.T) {
	lb := start(t, fakealb.Config{})
	other := "arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/x/0123456789abcdef"
	raw := lb.Data(
		fakealb.WithSubject("s-1"), fakealb.WithEmail("e@x.example"), fakealb.WithSigner(other),
		fakealb.WithClientID("c-1"), fakealb.WithIssuer("https://issuer.example"), fakealb.WithExpiry(t0.Add(time.Hour)),
		fakealb.WithHeader("typ", "JOSE"), fakealb.WithHeader("crit", []string{"exp"}), fakealb.WithoutHeader("client"),
		fakealb.WithClaim("name", "N"), fakealb.WithoutClaim("username"),
	)
	hdr, pay, _ := parts(t, raw, base64.URLEncoding)
	exp := itoa(t0.Add(time.Hour).Unix())
	if want := `{"typ":"JOSE","kid":"` + lb.KeyID() + `","alg":"ES256","iss":"https://issuer.example","signer":"` + other + `","exp":` + exp + `,"crit":["exp"]}`; hdr != want {
		t.Errorf("header\n got %s\nwant %s", hdr, want)
	}
	if want := `{"sub":"s-1","email_verified":"true","email":"e@x.example","exp":` + exp + `,"iss":"https://issuer.example","name":"N"}`; pay != want {
		t.Errorf("payload\n got %s\nwant %s", pay, want)
	}
	_, pay, _ = parts(t, lb.Data(fakealb.WithLifetime(-time.Minute)), base64.URLEncoding)
	if !strings.Contains(pay, `"exp":`+itoa(t0.Add(-time.Minute).Unix())) {
		t.Errorf("WithLifetime(-1m): %s", pay)
	}
}

func TestEncodings(t *testing.T) {
	lb := start(t, fakealb.Config{})
	raw := lb.Data(fakealb.Unpadded())
	if strings.Contains(raw, "=") {
		t.Errorf("Unpadded has padding: %s", raw)
	}
	_, _, sig := parts(t, raw, base64.RawURLEncoding)
	if !verifies(lb.PublicKey(lb.KeyID()), raw[:strings.LastIndexByte(raw, '.')], sig) {
		t.Error("the unpadded token's signature does not verify")
	}
	_, _, der := parts(t, lb.Data(fakealb.WithDERSignature()), base64.URLEncoding)
	if len(der) == 64 || der[0] != 0x30 {
		t.Errorf("WithDERSignature gave %d bytes starting %#x, want an ASN.1 SEQUENCE", len(der), der[0])
	}
}

func TestSign(t *testing.T) {
	lb := start(t, fakealb.Config{})
	hdr, pay := `{"alg":"ES256","alg":"none"}`, `{"sub":"x","sub":"y"}`
	raw := lb.Sign([]byte(hdr), []byte(pay))
	h, p, sig := parts(t, raw, base64.URLEncoding)
	if h != hdr || p != pay {
		t.Errorf("Sign changed the bytes: %s %s", h, p)
	}
	if !verifies(lb.PublicKey(lb.KeyID()), raw[:strings.LastIndexByte(raw, '.')], sig) {
		t.Error("Sign's signature does not verify")
	}
	input := []byte("a.b")
	if !verifies(lb.PublicKey(lb.KeyID()), "a.b", lb.SignES256("", input)) {
		t.Error("SignES256 does not verify")
	}
}

func TestRotateRetire(t *testing.T) {
	lb := start(t, fakealb.Config{})
	old := lb.KeyID()
	next := lb.Rotate()
	if next == old || lb.KeyID() != next || !uuidPattern.MatchString(next) {
		t.Fatalf("Rotate: %s → %s, current %s", old, next, lb.KeyID())
	}
	want := []string{old, next}
	slices.Sort(want)
	if got := lb.KeyIDs(); !slices.Equal(got, want) {
		t.Errorf("served %v, want %v", got, want)
	}
	byOld := lb.Data(fakealb.WithKeyID(old))
	hdr, _, sig := parts(t, byOld, base64.URLEncoding)
	if !strings.Contains(hdr, old) || !verifies(lb.PublicKey(old), byOld[:strings.LastIndexByte(byOld, '.')], sig) {
		t.Errorf("WithKeyID(old): header %s, not signed by the old key", hdr)
	}
	lb.Retire(old)
	if got := lb.KeyIDs(); !slices.Equal(got, []string{next}) {
		t.Errorf("served after Retire %v", got)
	}
	if lb.PublicKey(old) == nil {
		t.Error("a retired key has no public key")
	}
	if status, _ := get(t, lb.KeyURL()+"/"+old); status != http.StatusNotFound {
		t.Errorf("retired kid: status %d, want 404", status)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Retire of a kid the ALB never had did not panic")
			}
		}()
		lb.Retire("12345678-1234-1234-1234-123456789012")
	}()
}

// get fetches u and returns the status and body.
func get(t *testing.T, u string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestKeyEndpoint(t *testing.T) {
	lb := start(t, fakealb.Config{Region: "eu-west-1"})
	u, err := url.Parse(lb.KeyURL())
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.Equal(net.IPv4(127, 0, 0, 1)) || u.Path != "/aws-elb-public-keys-prod-eu-west-1" {
		t.Errorf("key URL %s, want http://127.0.0.1:<port>/aws-elb-public-keys-prod-eu-west-1", lb.KeyURL())
	}
	status, body := get(t, lb.KeyURL()+"/"+lb.KeyID())
	if status != http.StatusOK || string(body) != string(lb.PEM(lb.KeyID())) {
		t.Fatalf("status %d, body %q", status, body)
	}
	block, rest := pem.Decode(body)
	if block == nil || block.Type != "PUBLIC KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("not one PUBLIC KEY block: %q", body)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil || !pub.(*ecdsa.PublicKey).Equal(lb.PublicKey(lb.KeyID())) {
		t.Errorf("served key %v, %v", pub, err)
	}
	fetches := lb.Fetches()
	for _, p := range []string{"/", "/other/" + lb.KeyID(), lb.KeyURL()[len(u.Scheme+"://"+u.Host):] + "/", lb.KeyURL()[len(u.Scheme+"://"+u.Host):] + "/a/b"} {
		if status, _ := get(t, u.Scheme+"://"+u.Host+p); status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, status)
		}
	}
	if lb.Fetches() != fetches {
		t.Errorf("paths outside the endpoint counted as fetches")
	}
	if status, _ := get(t, lb.KeyURL()+"/12345678-1234-1234-1234-123456789012"); status != http.StatusNotFound {
		t.Errorf("unknown kid: status %d, want 404", status)
	}
	resp, err := http.Post(lb.KeyURL()+"/"+lb.KeyID(), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", resp.StatusCode)
	}
	if got := lb.Fetches(); got != fetches+1 {
		t.Errorf("%d fetches counted, want %d", got, fetches+1)
	}
}

func TestFaults(t *testing.T) {
	lb := start(t, fakealb.Config{})
	keyURL := lb.KeyURL() + "/" + lb.KeyID()
	lb.SetFault(fakealb.Fault{Status: http.StatusForbidden, Body: []byte("AccessDenied")})
	if status, body := get(t, keyURL); status != http.StatusForbidden || string(body) != "AccessDenied" {
		t.Errorf("status fault: %d %q", status, body)
	}
	lb.SetFault(fakealb.Fault{Body: []byte("garbage")})
	if status, body := get(t, keyURL); status != http.StatusOK || string(body) != "garbage" {
		t.Errorf("body fault: %d %q", status, body)
	}
	lb.SetFault(fakealb.Fault{Delay: time.Millisecond})
	if status, body := get(t, keyURL); status != http.StatusOK || string(body) != string(lb.PEM(lb.KeyID())) {
		t.Errorf("after a delay: %d %q", status, body)
	}
	lb.ClearFault()
	if status, _ := get(t, keyURL); status != http.StatusOK {
		t.Errorf("after ClearFault: %d", status)
	}
}

// TestCloseEndsDelayedRequests: Close does not wait for a delay to pass.
func TestCloseEndsDelayedRequests(t *testing.T) {
	lb, err := fakealb.New(fakealb.Config{})
	if err != nil {
		t.Fatal(err)
	}
	lb.SetFault(fakealb.Fault{Delay: time.Hour})
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(lb.KeyURL() + "/" + lb.KeyID())
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for lb.Fetches() == 0 {
		runtime.Gosched() // until the request is being answered
	}
	lb.Close()
	if err := <-errc; err == nil {
		t.Error("a delayed request got an answer from a closed ALB")
	}
	lb.Close() // idempotent
}

func TestHeaders(t *testing.T) {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	lb := start(t, fakealb.Config{})
	access := pool.AccessToken(fakepool.WithUsername("dave"))
	h := lb.Headers(access)
	_, pay, _ := parts(t, h.Get(fakealb.DataHeader), base64.URLEncoding)
	sub := h.Get(fakealb.IdentityHeader)
	if !uuidPattern.MatchString(sub) || !strings.Contains(pay, `"sub":"`+sub+`"`) || !strings.Contains(pay, `"username":"dave"`) {
		t.Errorf("identity %q, payload %s", sub, pay)
	}
	if h.Get(fakealb.AccessTokenHeader) != access {
		t.Error("access token header not the given token")
	}
	_, accessPayload, _ := parts(t, access, base64.RawURLEncoding)
	if !strings.Contains(accessPayload, `"sub":"`+sub+`"`) {
		t.Errorf("the data token's sub %s is not the access token's: %s", sub, accessPayload)
	}
	// Options win over the access token's claims.
	h = lb.Headers(access, fakealb.WithSubject("other"))
	if h.Get(fakealb.IdentityHeader) != "other" {
		t.Errorf("WithSubject after the access token: %q", h.Get(fakealb.IdentityHeader))
	}
	// Without an access token: no such header.
	h = lb.Headers("")
	if _, ok := h[fakealb.AccessTokenHeader]; ok || h.Get(fakealb.DataHeader) == "" || h.Get(fakealb.IdentityHeader) == "" {
		t.Errorf("headers without an access token: %v", h)
	}
}
