package claims_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// signRaw signs exact header and claims JSON with the pool's access key.
func signRaw(f *fixture, header, payload string) string {
	return f.pool.SignRaw([]byte(header), []byte(payload), f.pool.KeyIDs()[0])
}

// validClaimsJSON is accessClaims written by hand, with a placeholder for
// extra members.
func validClaimsJSON(f *fixture, extra string) string {
	return fmt.Sprintf(`{"sub":"8f1d2c3b","iss":%q,"client_id":%q,"token_use":"access","exp":%d,"iat":%d,"username":"alice"%s}`,
		f.pool.Issuer(), f.pool.ClientID(), t0.Add(time.Hour).Unix(), t0.Unix(), extra)
}

func header(f *fixture, alg string) string {
	return fmt.Sprintf(`{"kid":%q,"alg":%q}`, f.pool.KeyIDs()[0], alg)
}

func TestVerify(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{Now: clk.Now})
	other := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_OtherPool", Now: func() time.Time { return t0 }})

	tests := []struct {
		name   string
		mutate func(*claims.Config)
		token  func(f *fixture) string
		want   error // nil: the token verifies
	}{
		// Valid tokens.
		{name: "valid access token", token: func(f *fixture) string { return f.pool.AccessToken() }},
		{name: "valid access token with groups and scopes", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithGroups("admin", "readers"), cognitotest.WithScopes("orders/read", "orders/write"))
		}},
		{name: "valid id token for id pool",
			mutate: func(c *claims.Config) { c.Pools[0].TokenUse = claims.IDToken },
			token:  func(f *fixture) string { return f.pool.IDToken() }},
		{name: "any token use accepts id token",
			mutate: func(c *claims.Config) { c.Pools[0].TokenUse = claims.AnyToken },
			token:  func(f *fixture) string { return f.pool.IDToken() }},
		{name: "skip client check accepts other client",
			mutate: func(c *claims.Config) { c.Pools[0].ClientIDs, c.Pools[0].SkipClientIDCheck = nil, true },
			token:  func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClientID("otherclient")) }},
		{name: "jku header is ignored, not fetched", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithHeader("jku", "http://127.0.0.1:1/evil.json"), cognitotest.WithHeader("x5u", "http://127.0.0.1:1/x"))
		}},
		{name: "typ header is allowed", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("typ", "JWT")) }},
		{name: "expired within leeway", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-time.Hour)), cognitotest.WithExpiry(t0.Add(-2*time.Second)))
		}},
		{name: "nbf within leeway", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithClaim("nbf", t0.Add(3*time.Second).Unix()))
		}},
		{name: "iat within leeway", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(4 * time.Second))) }},
		{name: "unknown claims are kept, not rejected", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.WithClaim("Token_Use", "id"))
		}},

		// missing_token and malformed.
		{name: "empty token", token: func(*fixture) string { return "" }, want: claims.ErrMissingToken},
		{name: "oversized token", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithClaim("pad", strings.Repeat("x", 20<<10)))
		}, want: claims.ErrMalformed},
		{name: "two segments", token: func(f *fixture) string {
			tok := f.pool.AccessToken()
			return tok[:strings.LastIndexByte(tok, '.')]
		}, want: claims.ErrMalformed},
		{name: "four segments", token: func(f *fixture) string { return f.pool.AccessToken() + ".AAAA" }, want: claims.ErrMalformed},
		{name: "empty signature", token: func(f *fixture) string {
			tok := f.pool.AccessToken()
			return tok[:strings.LastIndexByte(tok, '.')+1]
		}, want: claims.ErrMalformed},
		{name: "padded base64", token: func(f *fixture) string { return f.pool.AccessToken() + "==" }, want: claims.ErrMalformed},
		{name: "standard base64 alphabet", token: func(f *fixture) string {
			return strings.NewReplacer("-", "+", "_", "/").Replace(f.pool.AccessToken()) + "+/"
		}, want: claims.ErrMalformed},
		{name: "newline inside signature", token: func(f *fixture) string {
			tok := f.pool.AccessToken()
			return tok[:len(tok)-4] + "\n" + tok[len(tok)-4:]
		}, want: claims.ErrMalformed},
		{name: "non-canonical trailing bits", token: func(f *fixture) string {
			tok := f.pool.AccessToken()
			// 256-byte signature: 342 chars, the last carries 4 unused bits.
			last := tok[len(tok)-1]
			i := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", last)
			return tok[:len(tok)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[i^1])
		}, want: claims.ErrMalformed},
		{name: "header not json", token: func(f *fixture) string { return signRaw(f, `not json`, validClaimsJSON(f, "")) }, want: claims.ErrMalformed},
		{name: "header is an array", token: func(f *fixture) string { return signRaw(f, `["RS256"]`, validClaimsJSON(f, "")) }, want: claims.ErrMalformed},
		{name: "payload is an array", token: func(f *fixture) string { return signRaw(f, header(f, "RS256"), `[1,2]`) }, want: claims.ErrMalformed},
		{name: "payload not json", token: func(f *fixture) string { return signRaw(f, header(f, "RS256"), `{"sub":`) }, want: claims.ErrMalformed},
		{name: "duplicate header alg", token: func(f *fixture) string {
			return signRaw(f, fmt.Sprintf(`{"kid":%q,"alg":"none","alg":"RS256"}`, f.pool.KeyIDs()[0]), validClaimsJSON(f, ""))
		}, want: claims.ErrMalformed},
		{name: "duplicate token_use", token: func(f *fixture) string {
			return signRaw(f, header(f, "RS256"), validClaimsJSON(f, `,"token_use":"id"`))
		}, want: claims.ErrMalformed},
		{name: "duplicate via escaped name", token: func(f *fixture) string {
			return signRaw(f, header(f, "RS256"), validClaimsJSON(f, `,"\u0074oken_use":"id"`))
		}, want: claims.ErrMalformed},
		{name: "no kid", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithoutHeader("kid")) }, want: claims.ErrMalformed},
		{name: "huge kid", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithHeader("kid", strings.Repeat("k", 1000)))
		}, want: claims.ErrMalformed},
		{name: "kid not a string", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("kid", 7)) }, want: claims.ErrMalformed},
		{name: "no alg", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithoutHeader("alg")) }, want: claims.ErrMalformed},
		{name: "crit header", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithHeader("crit", []string{"exp"}), cognitotest.WithHeader("exp", 1))
		}, want: claims.ErrMalformed},
		{name: "exp as string", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithClaim("exp", fmt.Sprint(t0.Add(time.Hour).Unix())))
		}, want: claims.ErrMalformed},
		{name: "exp with exponent", token: func(f *fixture) string { return signRaw(f, header(f, "RS256"), validClaimsJSONWith(f, `"exp":1.8e9`)) }, want: claims.ErrMalformed},
		{name: "exp with fraction", token: func(f *fixture) string {
			return signRaw(f, header(f, "RS256"), validClaimsJSONWith(f, `"exp":1800000000.5`))
		}, want: claims.ErrMalformed},
		{name: "exp huge", token: func(f *fixture) string {
			return signRaw(f, header(f, "RS256"), validClaimsJSONWith(f, `"exp":99999999999999999999`))
		}, want: claims.ErrMalformed},
		{name: "exp negative", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClaim("exp", -1)) }, want: claims.ErrMalformed},
		{name: "no exp", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithoutClaim("exp")) }, want: claims.ErrMalformed},
		{name: "no iat", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithoutClaim("iat")) }, want: claims.ErrMalformed},
		{name: "iat as string", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClaim("iat", "1")) }, want: claims.ErrMalformed},
		{name: "no sub", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithoutClaim("sub")) }, want: claims.ErrMalformed},
		{name: "groups not an array", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClaim("cognito:groups", "admin")) }, want: claims.ErrMalformed},
		{name: "groups with a number", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithClaim("cognito:groups", []any{"admin", 1}))
		}, want: claims.ErrMalformed},
		{name: "iss not a string", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithClaim("iss", []string{f.pool.Issuer()}))
		}, want: claims.ErrMalformed},

		// unsupported_alg.
		{name: "alg none", token: func(f *fixture) string { return unsigned(f, "none") }, want: claims.ErrUnsupportedAlg},
		{name: "alg None", token: func(f *fixture) string { return unsigned(f, "None") }, want: claims.ErrUnsupportedAlg},
		{name: "alg NONE signed", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("alg", "NONE")) }, want: claims.ErrUnsupportedAlg},
		{name: "alg HS256", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("alg", "HS256")) }, want: claims.ErrUnsupportedAlg},
		{name: "alg rs256 lowercase", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("alg", "rs256")) }, want: claims.ErrUnsupportedAlg},
		{name: "RSA signature under ES256", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("alg", "ES256")) }, want: claims.ErrUnsupportedAlg},
		{name: "RSA signature under PS256", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("alg", "PS256")) }, want: claims.ErrUnsupportedAlg},
		{name: "RSA signature under EdDSA", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("alg", "EdDSA")) }, want: claims.ErrUnsupportedAlg},
		{name: "RS384 not in allowlist", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("alg", "RS384")) }, want: claims.ErrUnsupportedAlg},
		{name: "alg not a string", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("alg", 256)) }, want: claims.ErrMalformed},

		// unknown_kid and bad_signature.
		{name: "kid not published", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithUnpublishedKey()) }, want: claims.ErrUnknownKID},
		{name: "path-like kid", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithHeader("kid", "../../etc/passwd")) }, want: claims.ErrUnknownKID},
		{name: "other pool's key, our issuer", token: func(f *fixture) string { return other.AccessToken(cognitotest.WithIssuer(f.pool.Issuer())) }, want: claims.ErrUnknownKID},
		{name: "tampered signature", token: func(f *fixture) string {
			tok := f.pool.AccessToken()
			i := strings.LastIndexByte(tok, '.') + 10
			c := byte('A')
			if tok[i] == 'A' {
				c = 'B'
			}
			return tok[:i] + string(c) + tok[i+1:]
		}, want: claims.ErrBadSignature},
		{name: "tampered claims", token: func(f *fixture) string {
			good := strings.Split(f.pool.AccessToken(), ".")
			forged := strings.Split(f.pool.AccessToken(cognitotest.WithGroups("admin")), ".")
			return good[0] + "." + forged[1] + "." + good[2]
		}, want: claims.ErrBadSignature},
		{name: "signed by the id key under the access kid", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithKeyID(f.pool.KeyIDs()[1]), cognitotest.WithHeader("kid", f.pool.KeyIDs()[0]))
		}, want: claims.ErrBadSignature},
		{name: "HS256 keyed with the public key", token: func(f *fixture) string { return hmacForged(f, "HS256", sha256.New) }, want: claims.ErrUnsupportedAlg},
		{name: "HS384 keyed with the public key", token: func(f *fixture) string { return hmacForged(f, "HS384", sha512.New384) }, want: claims.ErrUnsupportedAlg},
		{name: "HS512 keyed with the public key", token: func(f *fixture) string { return hmacForged(f, "HS512", sha512.New) }, want: claims.ErrUnsupportedAlg},
		{name: "embedded jwk header is ignored", token: func(f *fixture) string {
			// A key of the attacker's own in the header: never used, so the
			// token (signed by the unpublished key) fails on its kid.
			return f.pool.AccessToken(cognitotest.WithUnpublishedKey(), cognitotest.WithHeader("jwk", map[string]any{"kty": "RSA", "n": "AQAB", "e": "AQAB"}))
		}, want: claims.ErrUnknownKID},
		{name: "oversized header", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithHeader("x", strings.Repeat("h", 17<<10)))
		}, want: claims.ErrMalformed},
		{name: "nbf as string", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClaim("nbf", "0")) }, want: claims.ErrMalformed},
		{name: "iat as float", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClaim("iat", 1.7e9+0.5)) }, want: claims.ErrMalformed},
		{name: "nbf huge", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClaim("nbf", int64(1)<<62)) }, want: claims.ErrMalformed},
		{name: "claims are null", token: func(f *fixture) string { return signRaw(f, header(f, "RS256"), `null`) }, want: claims.ErrMalformed},
		{name: "header has trailing data", token: func(f *fixture) string { return signRaw(f, header(f, "RS256")+` {}`, validClaimsJSON(f, "")) }, want: claims.ErrMalformed},

		// wrong_issuer.
		{name: "other pool's token", token: func(*fixture) string { return other.AccessToken() }, want: claims.ErrWrongIssuer},
		{name: "issuer with trailing slash", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithIssuer(f.pool.Issuer() + "/")) }, want: claims.ErrWrongIssuer},
		{name: "issuer over http", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithIssuer(strings.Replace(f.pool.Issuer(), "https://", "http://", 1)))
		}, want: claims.ErrWrongIssuer},
		{name: "issuer in another region", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithIssuer(strings.Replace(f.pool.Issuer(), "cognito-idp.us-east-1", "cognito-idp.eu-west-1", 1)))
		}, want: claims.ErrWrongIssuer},
		{name: "issuer in other case", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithIssuer(strings.ToUpper(f.pool.Issuer())))
		}, want: claims.ErrWrongIssuer},
		{name: "no issuer", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithoutClaim("iss")) }, want: claims.ErrWrongIssuer},

		// wrong_token_use and wrong_client.
		{name: "id token to access pool", token: func(f *fixture) string { return f.pool.IDToken() }, want: claims.ErrWrongTokenUse},
		{name: "access token to id pool",
			mutate: func(c *claims.Config) { c.Pools[0].TokenUse = claims.IDToken },
			token:  func(f *fixture) string { return f.pool.AccessToken() }, want: claims.ErrWrongTokenUse},
		{name: "token_use refresh", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClaim("token_use", "refresh")) }, want: claims.ErrWrongTokenUse},
		{name: "token_use in other case only", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithoutClaim("token_use"), cognitotest.WithClaim("Token_Use", "access"))
		}, want: claims.ErrWrongTokenUse},
		{name: "other client", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClientID("someoneelse")) }, want: claims.ErrWrongClient},
		{name: "access token without client_id", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithoutClaim("client_id")) }, want: claims.ErrWrongClient},
		{name: "access token with aud but no client_id", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithoutClaim("client_id"), cognitotest.WithClaim("aud", f.pool.ClientID()))
		}, want: claims.ErrWrongClient},
		{name: "id token of other client",
			mutate: func(c *claims.Config) { c.Pools[0].TokenUse = claims.IDToken },
			token:  func(f *fixture) string { return f.pool.IDToken(cognitotest.WithClientID("someoneelse")) }, want: claims.ErrWrongClient},
		{name: "id token with client_id but other aud",
			mutate: func(c *claims.Config) { c.Pools[0].TokenUse = claims.IDToken },
			token: func(f *fixture) string {
				return f.pool.IDToken(cognitotest.WithClaim("aud", "someoneelse"), cognitotest.WithClaim("client_id", f.pool.ClientID()))
			}, want: claims.ErrWrongClient},
		{name: "id token with aud array",
			mutate: func(c *claims.Config) { c.Pools[0].TokenUse = claims.IDToken },
			token: func(f *fixture) string {
				return f.pool.IDToken(cognitotest.WithClaim("aud", []string{f.pool.ClientID()}))
			}, want: claims.ErrMalformed},

		// Time claims.
		{name: "expired", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-2*time.Hour)), cognitotest.WithExpiry(t0.Add(-time.Hour)))
		}, want: claims.ErrExpired},
		{name: "expired exactly at leeway", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-time.Hour)), cognitotest.WithExpiry(t0.Add(-claims.DefaultLeeway)))
		}, want: claims.ErrExpired},
		{name: "expired with no leeway",
			mutate: func(c *claims.Config) { c.Leeway = claims.NoLeeway },
			token: func(f *fixture) string {
				return f.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(-time.Hour)), cognitotest.WithExpiry(t0))
			}, want: claims.ErrExpired},
		{name: "not yet valid", token: func(f *fixture) string {
			return f.pool.AccessToken(cognitotest.WithClaim("nbf", t0.Add(time.Minute).Unix()))
		}, want: claims.ErrNotYetValid},
		{name: "issued in the future", token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(time.Minute))) }, want: claims.ErrIssuedInFuture},
		{name: "issued in the future beyond custom leeway",
			mutate: func(c *claims.Config) { c.Leeway = 30 * time.Second },
			token:  func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithIssuedAt(t0.Add(31 * time.Second))) }, want: claims.ErrIssuedInFuture},

		// The custom check (route requirements are the policy's).
		{name: "custom check denies",
			mutate: func(c *claims.Config) {
				c.Check = func(_ context.Context, t *claims.Token) error {
					if v, _ := t.Custom("tenant"); v != "acme" {
						return errors.New("tenant is not acme")
					}
					return nil
				}
			},
			token: func(f *fixture) string { return f.pool.AccessToken(cognitotest.WithClaim("custom:tenant", "evil")) }, want: claims.ErrClaimDenied},
		{name: "custom check returns a sentinel",
			mutate: func(c *claims.Config) {
				c.Check = func(context.Context, *claims.Token) error { return fmt.Errorf("revoked: %w", claims.ErrExpired) }
			},
			token: func(f *fixture) string { return f.pool.AccessToken() }, want: claims.ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, pool, clk, tt.mutate)
			raw := tt.token(f)
			fetches := f.pool.Fetches()
			tok, err := f.v.Verify(context.Background(), raw)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v, want success", err)
				}
				if tok == nil || tok.Subject == "" {
					t.Fatalf("Verify returned %+v", tok)
				}
			} else {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Verify error = %v, want %v", err, tt.want)
				}
				if tok != nil {
					t.Fatalf("Verify returned a token with error %v", err)
				}
				if got, want := claims.ReasonOf(err), claims.ReasonOf(tt.want); got != want {
					t.Errorf("ReasonOf = %s, want %s", got, want)
				}
				checkNoStutter(t, err)
			}
			// Only an unknown kid may cause a fetch, and only one.
			if got := f.pool.Fetches() - fetches; got > 1 || (got == 1 && !errors.Is(tt.want, claims.ErrUnknownKID)) {
				t.Errorf("Verify made %d key set fetches", got)
			}
		})
	}
}

// validClaimsJSONWith is a valid access token's claims with exp replaced by
// the given member text.
func validClaimsJSONWith(f *fixture, exp string) string {
	return fmt.Sprintf(`{"sub":"8f1d2c3b","iss":%q,"client_id":%q,"token_use":"access",%s,"iat":%d,"username":"alice"}`,
		f.pool.Issuer(), f.pool.ClientID(), exp, t0.Unix())
}

// unsigned builds an unsigned token with the given alg, as alg:none attacks
// do (with an empty-looking but non-empty signature segment).
func unsigned(f *fixture, alg string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header(f, alg))) + "." + enc([]byte(validClaimsJSON(f, ""))) + ".AA"
}

// hmacForged is the classic key-confusion attack: an HS256 token whose
// HMAC key is the RSA public key's PEM encoding.
func hmacForged(f *fixture, alg string, h func() hash.Hash) string {
	der, err := x509.MarshalPKIXPublicKey(f.pool.PublicKey(f.pool.KeyIDs()[0]))
	if err != nil {
		panic(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	enc := base64.RawURLEncoding.EncodeToString
	input := enc([]byte(header(f, alg))) + "." + enc([]byte(validClaimsJSON(f, "")))
	mac := hmac.New(h, pemKey)
	mac.Write([]byte(input))
	return input + "." + enc(mac.Sum(nil))
}
