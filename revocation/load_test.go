package revocation

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// TestLoadErrors: every kind of bad line is refused with its file, line
// and key, and refuses the whole file.
func TestLoadErrors(t *testing.T) {
	good := `{"jti":"j","expires":"` + until + `"}`
	beyond := rfc(t0.Add(MaxLifetime + time.Second))
	tests := []struct {
		name  string
		lines []string
		opts  Options
		want  []string // each error, after "<file>:"
	}{
		{"entry beyond the bound", []string{good, `{"sub":"s","expires":"` + beyond + `"}`},
			Options{}, []string{`2: expires: ` + beyond + ` is 24h10m1s from now, more than 24h10m0s: no Cognito access or ID token lives longer than 24h0m0s, and the verifier's leeway is at most 5m0s`}},
		{"entry at the bound loads", []string{`{"sub":"s","expires":"` + rfc(t0.Add(MaxLifetime)) + `"}`}, Options{}, nil},
		{"a year ahead", []string{`{"sub":"s","expires":"2027-11-22T12:00:00Z"}`}, Options{}, []string{`1: expires: 2027-11-22T12:00:00Z is 8760h0m0s from now, more than 24h10m0s`}},
		{"empty value", []string{`{"jti":"","expires":"` + until + `"}`}, Options{},
			[]string{`1: jti: empty; a value must name something (a token without the claim matches no entry)`}},
		{"empty username", []string{`{"username":"","expires":"` + until + `"}`}, Options{}, []string{`1: username: empty`}},
		{"padded value", []string{`{"sub":" s","expires":"` + until + `"}`}, Options{}, []string{`1: sub: " s" has white space at an end; values are compared exactly`}},
		{"value with a trailing no-break space", []string{`{"sub":"s\u00a0","expires":"` + until + `"}`}, Options{}, []string{`1: sub: "s\u00a0" has white space at an end`}},
		{"control character", []string{`{"sub":"a\u0000b","expires":"` + until + `"}`}, Options{}, []string{`1: sub: "a\x00b" holds a control character`}},
		{"long value", []string{`{"sub":"` + strings.Repeat("x", MaxValueBytes+1) + `","expires":"` + until + `"}`}, Options{}, []string{`1: sub: 513 bytes, more than 512`}},
		{"unknown key", []string{`{"jti":"j","expire":"` + until + `"}`}, Options{},
			[]string{`1: expire: unknown key; want one of jti, origin_jti, sub, username, client_id, iss, issued_before, expires, note`, `1: expires: required`}},
		{"key in another case", []string{`{"JTI":"j","expires":"` + until + `"}`}, Options{}, []string{`1: JTI: unknown key`}},
		{"duplicate key", []string{`{"jti":"a","jti":"b","expires":"` + until + `"}`}, Options{}, []string{`1: not a JSON object: offset 11: "jti": duplicate member name`}},
		{"duplicate key spelt with an escape", []string{`{"jti":"a","\u006ati":"b","expires":"` + until + `"}`}, Options{}, []string{`1: not a JSON object: offset 11: "jti": duplicate member name`}},
		{"two kinds", []string{`{"jti":"a","sub":"b","expires":"` + until + `"}`}, Options{}, []string{`1: sub: jti and sub in one entry; an entry names one thing (write two lines for two)`}},
		{"no kind", []string{`{"iss":"` + issA + `","expires":"` + until + `"}`}, Options{}, []string{`1: names no token: want one of jti, origin_jti, sub, username, client_id`}},
		{"not a string", []string{`{"jti":5,"expires":"` + until + `"}`}, Options{}, []string{`1: jti: want a string, got number`}},
		{"expires as a number", []string{`{"jti":"j","expires":1795435200}`}, Options{}, []string{`1: expires: want a string, got number`}},
		{"not an object", []string{`["jti","j"]`}, Options{}, []string{`1: not a JSON object: top level is array: not an object: wrong type`}},
		{"syntax", []string{good, `{"jti":"j",}`}, Options{}, []string{`2: not a JSON object: offset 11: trailing comma in object: syntax error`}},
		{"two objects on a line", []string{good + good}, Options{}, []string{`1: not a JSON object: offset 44: invalid character '{' after top-level value`}},
		{"yaml is not json", []string{`jti: j`}, Options{}, []string{`1: not a JSON object: offset 0: invalid character 'j'`}},
		{"invalid utf-8", []string{"{\"jti\":\"\xff\",\"expires\":\"" + until + "\"}"}, Options{}, []string{`1: not a JSON object: offset 8: invalid UTF-8`}},
		{"lone surrogate", []string{`{"jti":"\ud800","expires":"` + until + `"}`}, Options{}, []string{`1: not a JSON object: offset 8: lone surrogate escape`}},
		{"no expires", []string{`{"jti":"j"}`}, Options{}, []string{`1: expires: required: when the entry may go, at most 24h10m0s from now (every token issued up to now has expired 24h5m0s from now)`}},
		{"bad time", []string{`{"jti":"j","expires":"tomorrow"}`}, Options{}, []string{`1: expires: "tomorrow": want an RFC 3339 time such as 2026-11-22T12:00:00Z`}},
		{"time without zone", []string{`{"jti":"j","expires":"2026-11-22T13:00:00"}`}, Options{}, []string{`1: expires: "2026-11-22T13:00:00": want an RFC 3339 time`}},
		{"fractional seconds", []string{`{"jti":"j","expires":"2026-11-22T13:00:00.5Z"}`}, Options{}, []string{`1: expires: "2026-11-22T13:00:00.5Z": want whole seconds, as tokens' times are`}},
		{"watermark on a jti", []string{`{"jti":"j","issued_before":"` + rfc(t0) + `","expires":"` + until + `"}`}, Options{},
			[]string{`1: issued_before: only for sub, username and client_id entries: every token a jti names was issued before its revocation`}},
		{"watermark on an origin_jti", []string{`{"origin_jti":"o","issued_before":"` + rfc(t0) + `","expires":"` + until + `"}`}, Options{}, []string{`1: issued_before: only for sub, username and client_id`}},
		{"watermark in the future", []string{`{"sub":"s","issued_before":"` + rfc(t0.Add(time.Hour)) + `","expires":"` + until + `"}`}, Options{},
			[]string{`1: issued_before: ` + rfc(t0.Add(time.Hour)) + ` is 1h0m0s in the future; a watermark is a moment that has passed (leave issued_before out to refuse every token)`}},
		{"watermark within the clock skew", []string{`{"sub":"s","issued_before":"` + rfc(t0.Add(MaxClockSkew)) + `","expires":"` + until + `"}`}, Options{}, nil},
		{"bad watermark", []string{`{"sub":"s","issued_before":"now","expires":"` + until + `"}`}, Options{}, []string{`1: issued_before: "now": want an RFC 3339 time`}},
		{"issuer not configured", []string{`{"sub":"s","iss":"` + issB + `","expires":"` + until + `"}`}, Options{Issuers: []string{issA}},
			[]string{`1: iss: "` + issB + `" is not the issuer of a configured user pool (` + issA + `): the entry could never match`}},
		{"issuer configured", []string{`{"sub":"s","iss":"` + issA + `","expires":"` + until + `"}`}, Options{Issuers: []string{issA, issB}}, nil},
		{"another form of a configured pool's issuer", []string{`{"sub":"s","iss":"https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_PoolA","expires":"` + until + `"}`}, Options{Issuers: []string{issA}}, nil},
		{"a replica region of a configured pool", []string{`{"sub":"s","iss":"https://cognito-idp.eu-central-1.amazonaws.com/eu-west-1_PoolA","expires":"` + until + `"}`}, Options{Issuers: []string{issA}}, nil},
		{"a bare pool id is not its pool's issuer", []string{`{"sub":"s","iss":"eu-west-1_PoolA","expires":"` + until + `"}`}, Options{Issuers: []string{issA}},
			[]string{`1: iss: "eu-west-1_PoolA" is not the issuer of a configured user pool (` + issA + `): the entry could never match`}},
		{"empty issuer", []string{`{"sub":"s","iss":"","expires":"` + until + `"}`}, Options{}, []string{`1: iss: empty`}},
		{"long note", []string{`{"sub":"s","note":"` + strings.Repeat("n", MaxNoteBytes+1) + `","expires":"` + until + `"}`}, Options{}, []string{`1: note: 257 bytes, more than 256`}},
		{"long line", []string{`{"sub":"s","expires":"` + until + `"}` + strings.Repeat(" ", MaxLineBytes)}, Options{}, []string{`1: 4140 bytes, more than 4096 for one entry`}},
		{"too many entries", []string{good, `{"jti":"k","expires":"` + until + `"}`, `{"jti":"l","expires":"` + until + `"}`}, Options{MaxEntries: 2},
			[]string{`3: more than 2 entries that have not expired (revocation.max_entries); remove expired or redundant ones, or raise the limit`}},
		{"expired entries do not count", []string{good, `{"jti":"k","expires":"` + rfc(t0) + `"}`, `{"jti":"l","expires":"` + until + `"}`}, Options{MaxEntries: 2}, nil},
		{"every problem", []string{`{"jti":""}`, good, `{"sub":"s","issued_before":"x","expires":"y"}`}, Options{},
			[]string{`1: jti: empty`, `1: expires: required`, `3: issued_before: "x": want an RFC 3339 time`, `3: expires: "y": want an RFC 3339 time`}},
		{"blank lines, comments, CRLF and a byte-order mark", []string{"\uFEFF# revoked tokens\r", "", "   # indented comment", good + "\r", "\t"}, Options{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeclock.New(t0)
			l := newList(t, tt.opts, c, good) // the list held before
			path := writeFile(t, t.TempDir(), "revoked.jsonl", tt.lines...)
			err := l.Load(path)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load: %v, want ErrInvalid", err)
			}
			got := unjoin(err)
			if len(got) != len(tt.want) {
				t.Fatalf("Load: %d problems, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i, e := range got {
				var fe *FileError
				if !errors.As(e, &fe) || fe.File != path {
					t.Errorf("problem %d, %v, is not a *FileError of %s", i, e, path)
				}
				if want := path + ":" + tt.want[i]; !strings.HasPrefix(e.Error(), want) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i, e, want)
				}
			}
			// The list held stays.
			if !l.Revoked(token(func(tok *claims.Token) { tok.JTI = "j" }), t0) {
				t.Error("the refused file replaced the list held")
			}
			if st := l.Status(); st.Failures != 1 || st.LastError == nil || !st.LoadedAt.Equal(t0) {
				t.Errorf("status %+v, want one failure kept and the first load", st)
			}
		})
	}
}

// unjoin returns the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestLoadFileProblems(t *testing.T) {
	dir := t.TempDir()
	c := fakeclock.New(t0)
	big := writeFile(t, dir, "big.jsonl", strings.Repeat(`{"jti":"j","expires":"`+until+`"}`+"\n", 100))
	tests := []struct {
		name   string
		path   string
		opts   Options
		want   string
		wantIs error
	}{
		{"missing", filepath.Join(dir, "nope.jsonl"), Options{}, "nope.jsonl: cannot read: ", fs.ErrNotExist},
		{"a directory", dir, Options{}, ": not a regular file (d---------)", nil},
		{"too large", big, Options{MaxFileBytes: 1000}, "big.jsonl: 4501 bytes, more than 1000 (revocation.max_file_bytes)", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newList(t, tt.opts, c, `{"jti":"j","expires":"`+until+`"}`)
			err := l.Load(tt.path)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v, want ErrInvalid and %q", err, tt.want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Load: %v, want it to match %v", err, tt.wantIs)
			}
			if !l.Revoked(token(func(tok *claims.Token) { tok.JTI = "j" }), t0) {
				t.Error("the refused file replaced the list held")
			}
		})
	}
}

// TestLoadReportsAtMostMaxReported: a file of a million bad lines costs a
// counter, not a million errors.
func TestLoadReportsAtMostMaxReported(t *testing.T) {
	c := fakeclock.New(t0)
	l := newList(t, Options{}, c)
	bad := strings.Repeat("{\"jti\":\"\"}\n", 200_000)
	path := writeFile(t, t.TempDir(), "bad.jsonl", bad)
	err := l.Load(path)
	got := unjoin(err)
	if len(got) != MaxReported+1 {
		t.Fatalf("%d errors, want %d and a count", len(got), MaxReported+1)
	}
	if want := path + ": 399900 more problems not listed"; got[MaxReported].Error() != want {
		t.Errorf("last error %q, want %q", got[MaxReported], want)
	}
}

func TestReload(t *testing.T) {
	c := fakeclock.New(t0)
	l, err := New(Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Reload(); !errors.Is(err, ErrNoFile) {
		t.Fatalf("Reload before Load: %v, want ErrNoFile", err)
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "r.jsonl", `{"jti":"a","expires":"`+until+`"}`)
	if err := l.Load(path); err != nil {
		t.Fatal(err)
	}
	jti := func(j string) bool { return l.Revoked(token(func(tok *claims.Token) { tok.JTI = j }), t0) }
	writeFile(t, dir, "r.jsonl", `{"jti":"b","expires":"`+until+`"}`)
	if !jti("a") || jti("b") {
		t.Fatal("the list changed before Reload")
	}
	if err := l.Reload(); err != nil {
		t.Fatal(err)
	}
	if jti("a") || !jti("b") {
		t.Error("Reload did not make the file's entries the list")
	}
	// A broken file keeps the list; fixing it and reloading recovers.
	writeFile(t, dir, "r.jsonl", `{"jti":"c","expires":"`+until+`"}`, `{"jti":"d"`)
	if err := l.Reload(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Reload of a broken file: %v", err)
	}
	if !jti("b") || jti("c") {
		t.Error("a broken file changed the list")
	}
	writeFile(t, dir, "r.jsonl", `{"jti":"c","expires":"`+until+`"}`)
	if err := l.Reload(); err != nil || !jti("c") || jti("b") {
		t.Errorf("Reload after the fix: %v", err)
	}
	if st := l.Status(); st.File != path || st.Loads != 4 || st.Failures != 1 || st.LastError != nil || st.Entries != 1 {
		t.Errorf("status %+v", st)
	}
}

func TestNewRejectsMisconfiguration(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		field, key string
	}{
		{"negative entries", Options{MaxEntries: -1}, "MaxEntries", "revocation.max_entries"},
		{"too many entries", Options{MaxEntries: EntriesLimit + 1}, "MaxEntries", "revocation.max_entries"},
		{"negative bytes", Options{MaxFileBytes: -1}, "MaxFileBytes", "revocation.max_file_bytes"},
		{"too many bytes", Options{MaxFileBytes: FileBytesLimit + 1}, "MaxFileBytes", "revocation.max_file_bytes"},
		{"empty issuer", Options{Issuers: []string{issA, ""}}, "Issuers", "pools"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			var ce *ConfigError
			if !errors.Is(err, ErrConfig) || !errors.As(err, &ce) || ce.Field != tt.field || ce.Key != tt.key {
				t.Fatalf("New: %v, want a *ConfigError of %s (%s)", err, tt.field, tt.key)
			}
		})
	}
	if _, err := New(Options{MaxEntries: EntriesLimit, MaxFileBytes: FileBytesLimit}); err != nil {
		t.Errorf("the limits themselves: %v", err)
	}
}
