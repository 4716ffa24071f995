package jose

import (
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWycheproofRSA runs Project Wycheproof's RSASSA-PKCS1-v1_5
// verification vectors (github.com/C2SP/wycheproof, testvectors_v1,
// rsa_signature_<bits>_<sha>_test.json: 2048 to 8192 bits, SHA-256, -384
// and -512, about 3,100 vectors with padding, DigestInfo and integer edge
// cases) against RSAKey.Verify and rsa.VerifyPKCS1v15: "valid" must verify,
// "invalid" must not, "acceptable" must get crypto/rsa's answer. The
// vectors are not part of this repository: set JOSE_WYCHEPROOF_DIR to a
// directory holding those files (a checkout's testvectors_v1, say) to run
// it. Without it the test is skipped.
func TestWycheproofRSA(t *testing.T) {
	dir := os.Getenv("JOSE_WYCHEPROOF_DIR")
	if dir == "" {
		t.Skip("JOSE_WYCHEPROOF_DIR is not set")
	}
	files, err := filepath.Glob(filepath.Join(dir, "rsa_signature_*_sha*_test.json"))
	if err != nil {
		t.Fatal(err)
	}
	algOf := map[string]string{"SHA-256": "RS256", "SHA-384": "RS384", "SHA-512": "RS512"}
	var ran, valid int
	for _, name := range files {
		var doc struct {
			Schema     string `json:"schema"`
			TestGroups []struct {
				SHA       string `json:"sha"`
				PublicKey struct {
					Modulus        string `json:"modulus"`
					PublicExponent string `json:"publicExponent"`
				} `json:"publicKey"`
				Tests []struct {
					ID      int      `json:"tcId"`
					Comment string   `json:"comment"`
					Msg     string   `json:"msg"`
					Sig     string   `json:"sig"`
					Result  string   `json:"result"`
					Flags   []string `json:"flags"`
				} `json:"tests"`
			} `json:"testGroups"`
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc.Schema != "rsassa_pkcs1_verify_schema_v1.json" {
			t.Fatalf("%s: schema %q", name, doc.Schema)
		}
		for _, g := range doc.TestGroups {
			alg, ok := algOf[g.SHA]
			if !ok {
				continue
			}
			n, e := new(big.Int).SetBytes(unhex(t, g.PublicKey.Modulus)), new(big.Int).SetBytes(unhex(t, g.PublicKey.PublicExponent))
			if !e.IsInt64() || e.Int64() > 1<<31-1 {
				t.Fatalf("%s: exponent %v", name, e)
			}
			pub := &rsa.PublicKey{N: n, E: int(e.Int64())}
			rk, err := NewRSAKey(pub)
			if err != nil {
				t.Fatalf("%s: key: %v", name, err)
			}
			for form, rk := range rsaKeyForms(rk) {
				for _, tc := range g.Tests {
					msg, sig := unhex(t, tc.Msg), unhex(t, tc.Sig)
					ours := rk.Verify(alg, msg, sig)
					theirs := stdlibVerify(alg, pub, msg, sig)
					where := filepath.Base(name) + " #" + strconv.Itoa(tc.ID) + " (" + tc.Comment + ", " + form + ")"
					switch {
					case (ours == nil) != (theirs == nil):
						t.Errorf("%s: RSAKey %v, crypto/rsa %v", where, ours, theirs)
					case tc.Result == "valid" && ours != nil:
						t.Errorf("%s: valid, refused: %v %v", where, ours, tc.Flags)
					case tc.Result == "invalid" && ours == nil:
						t.Errorf("%s: invalid, accepted %v", where, tc.Flags)
					}
					ran++
					if tc.Result == "valid" {
						valid++
					}
				}
			}
		}
	}
	if ran == 0 {
		t.Fatalf("no vectors in %s", dir)
	}
	t.Logf("%d vectors from %d files, %d of them valid", ran, len(files), valid)
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
