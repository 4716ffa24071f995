package claims

import (
	"bytes"
	"errors"
	"testing"
)

// splitByTable is the byte-by-byte splitter that split replaced: it checks
// every byte against the base64url alphabet before decoding. FuzzSplitSame
// holds split to it.
func splitByTable(raw string) (segments, error) {
	var alphabet [256]bool
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		alphabet[c] = true
	}
	d1, d2 := -1, -1
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '.' {
			switch {
			case d1 < 0:
				d1 = i
			case d2 < 0:
				d2 = i
			default:
				return segments{}, ErrMalformed
			}
			continue
		}
		if !alphabet[c] {
			return segments{}, ErrMalformed
		}
	}
	if d2 < 0 {
		return segments{}, ErrMalformed
	}
	h, p, s := raw[:d1], raw[d1+1:d2], raw[d2+1:]
	if len(h) == 0 || len(p) == 0 || len(s) == 0 {
		return segments{}, ErrMalformed
	}
	var seg segments
	var err error
	if seg.header, err = b64.DecodeString(h); err != nil {
		return segments{}, ErrMalformed
	}
	if seg.payload, err = b64.DecodeString(p); err != nil {
		return segments{}, ErrMalformed
	}
	if seg.sig, err = b64.DecodeString(s); err != nil {
		return segments{}, ErrMalformed
	}
	seg.signingInput = []byte(raw[:d2])
	return seg, nil
}

// FuzzSplitSame checks that split accepts exactly what the byte-by-byte
// splitter accepts, with the same segments, and refuses the rest as
// ErrMalformed.
func FuzzSplitSame(f *testing.F) {
	for _, s := range []string{
		"eyJhbGciOiJSUzI1NiJ9.e30.AAAA", "a.b.c", "a..c", "YQ==.YQ.YQ", "YQ.YQ.YQ.YQ",
		"YQ.Y\nQ.YQ", "YQ.YQ.Y\rQ", "YQ.YQ.Y Q", "YQ.YQ.Y+Q", "YQ.YQ.Y/Q", "YQ.YQ.YR", ".YQ.YQ", "YQ.YQ.",
		"YQ.YQ.Y\x00Q", "YQ.YQ.\xffYQ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := split(raw)
		want, werr := splitByTable(raw)
		if (err == nil) != (werr == nil) {
			t.Fatalf("split(%q) error %v, byte-by-byte error %v", raw, err, werr)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("split(%q) error %v is not ErrMalformed", raw, err)
			}
			return
		}
		for _, p := range [][2][]byte{{got.header, want.header}, {got.payload, want.payload}, {got.sig, want.sig}, {got.signingInput, want.signingInput}} {
			if !bytes.Equal(p[0], p[1]) {
				t.Fatalf("split(%q) = %q, byte-by-byte %q", raw, p[0], p[1])
			}
		}
	})
}
