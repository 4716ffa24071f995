package jsonstrict

import (
	"encoding/json"
	"errors"
	"testing"
)

// accessTokenPayload is the payload of a realistic Amazon Cognito access
// token for a federated user in several groups with custom scopes.
const accessTokenPayload = `{"sub":"4b6a8c1e-2f3d-4e5a-9b7c-8d9e0f1a2b3c",` +
	`"cognito:groups":["us-east-1_AbCdEfGhI_Google","administrators","billing-readers","support-agents","developers","eu-ops",` +
	`"us-east-1_AbCdEfGhI_OktaSAML","release-managers"],` +
	`"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI",` +
	`"version":2,` +
	`"client_id":"5l1jq5i1k0ab2cd3ef4gh5ij6k",` +
	`"origin_jti":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",` +
	`"event_id":"d4c3b2a1-6f5e-4b7a-9c8d-5d4c3b2a1f0e",` +
	`"token_use":"access",` +
	`"scope":"aws.cognito.signin.user.admin phone openid profile email ` +
	`https://api.example.com/orders.read https://api.example.com/orders.write ` +
	`https://api.example.com/invoices.read https://api.example.com/invoices.write ` +
	`https://api.example.com/customers.read https://api.example.com/customers.write",` +
	`"auth_time":1700000000,` +
	`"exp":1700003600,` +
	`"iat":1700000000,` +
	`"jti":"0f1e2d3c-4b5a-4697-8877-665544332211",` +
	`"username":"google_108234567890123456789"}`

// accessTokenClaims is what a claims decoder would pull out of an access
// token payload without allocating.
type accessTokenClaims struct {
	exp, iat, authTime int64
	access             bool
	groups             int
}

// decodeAccessToken is a callback in the style of the claims package's:
// it decodes the numeric claims and checks token_use without allocating.
func (c *accessTokenClaims) decodeAccessToken(name, value []byte, _ Kind) error {
	var err error
	switch string(name) {
	case "exp":
		c.exp, err = Int64(value)
	case "iat":
		c.iat, err = Int64(value)
	case "auth_time":
		c.authTime, err = Int64(value)
	case "token_use":
		c.access = string(value) == `"access"`
	case "cognito:groups":
		err = ArrayEach(value, func([]byte, Kind) error { c.groups++; return nil })
	}
	return err
}

func BenchmarkObjectEach(b *testing.B) {
	benchmarks := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"access token", accessTokenPayload, nil},
		{"escaped names", `{"\u0073ub":"x","\u0074oken_use":"access","\u0065xp":1700003600,"\u0069at":1700000000}`, nil},
		{"duplicate name", accessTokenPayload[:len(accessTokenPayload)-1] + `,"token_use":"id"}`, ErrDuplicateName},
		{"syntax error at end", accessTokenPayload + `,`, ErrSyntax},
		{"not an object", `["access","id"]`, ErrNotObject},
		{"5000 members", members(5000, ""), nil},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			data := []byte(bm.in)
			n := 0
			fn := func(_, _ []byte, _ Kind) error { n++; return nil }
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ObjectEach(data, fn); !errors.Is(err, bm.wantErr) {
					b.Fatalf("got %v, want %v", err, bm.wantErr)
				}
			}
		})
	}
}

// BenchmarkObjectEachDecode scans an access token payload and decodes the
// claims that need no allocation.
func BenchmarkObjectEachDecode(b *testing.B) {
	data := []byte(accessTokenPayload)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var c accessTokenClaims
		if err := ObjectEach(data, c.decodeAccessToken); err != nil {
			b.Fatal(err)
		}
		if !c.access || c.exp != 1700003600 || c.groups != 8 {
			b.Fatalf("claims: got %+v", c)
		}
	}
}

// BenchmarkEncodingJSON is the baseline: encoding/json decoding the same
// payload into a map of raw messages, as a generic verifier would.
func BenchmarkEncodingJSON(b *testing.B) {
	data := []byte(accessTokenPayload)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValid(b *testing.B) {
	data := []byte(accessTokenPayload)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if !Valid(data) {
			b.Fatal("Valid: got false, want true")
		}
	}
}

func BenchmarkString(b *testing.B) {
	benchmarks := []struct {
		name string
		in   string
	}{
		{"plain", `"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI"`},
		{"escaped", `"https:\/\/cognito-idp.us-east-1.amazonaws.com\/us-east-1_AbCdEfGhI"`},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			data := []byte(bm.in)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := String(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkInt64(b *testing.B) {
	data := []byte(`1700003600`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Int64(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStrings(b *testing.B) {
	data := []byte(`["us-east-1_AbCdEfGhI_Google","administrators","billing-readers"]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Strings(data); err != nil {
			b.Fatal(err)
		}
	}
}
