package alb

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzSplit holds split to its promise: what it accepts is three segments,
// all in the padded form or all unpadded, each the one canonical encoding
// of what it decodes to, and the signing input is the first two as sent.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"eyJhIjoxfQ==.eyJiIjoyfQ==.AAAA",
		"eyJhIjoxfQ.eyJiIjoyfQ.AAAA",
		"eyJhIjoxfQ==.eyJiIjoyfQ.AAAA",
		"a.b.c", "..", "a..b", "ab==cd.x.y", "YQ=.YQ==.YQ==", "YR==.YQ==.YQ==",
		"eyJh\nIjoxfQ==.eyJiIjoyfQ==.AAAA", "eyJh+joxfQ==.e/JiIjoyfQ==.AAAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		seg, err := split(raw)
		if err != nil {
			return
		}
		parts := strings.Split(raw, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted %d segments", len(parts))
		}
		enc := base64.RawURLEncoding
		if strings.Contains(raw, "=") {
			enc = base64.URLEncoding
		}
		for i, got := range [][]byte{seg.header, seg.payload, seg.sig} {
			if again := enc.EncodeToString(got); again != parts[i] {
				t.Fatalf("segment %d %q is not the canonical %q", i, parts[i], again)
			}
		}
		if seg.signingInput != parts[0]+"."+parts[1] {
			t.Fatalf("signing input %q", seg.signingInput)
		}
	})
}

func TestIsUUID(t *testing.T) {
	tests := []struct {
		kid  string
		want bool
	}{
		{"12345678-1234-1234-1234-123456789012", true},
		{"0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10", true},
		{"0D9E1C6A-4B1F-4A43-9D6E-1F5E0C2B7A10", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"0d9e1c6a-4b1f-4a43-9d6e-1F5E0C2B7A10", false},  // mixed case
		{"0d9e1c6a4b1f-4a43-9d6e-1f5e0c2b7a10-", false},  // hyphens moved
		{"0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a1", false},   // 35
		{"0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a100", false}, // 37
		{"0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a1g", false},
		{"0d9e1c6a-4b1f-4a43-9d6e_1f5e0c2b7a10", false},
		{"../../../../../../../../../etc/passwd", false},
		{"0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7%2F", false},
		{"0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7/..", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isUUID(tt.kid); got != tt.want {
			t.Errorf("isUUID(%q) = %v, want %v", tt.kid, got, tt.want)
		}
	}
}
