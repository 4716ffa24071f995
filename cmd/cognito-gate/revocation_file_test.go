package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/revocation"
)

// TestAddToFile: the line is appended, expired lines dropped, comments
// and the file's mode kept; a result that would not load leaves the file
// as it was.
func TestAddToFile(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	live := entryLine(revocation.JTI, "live", now.Add(time.Hour))
	expired := entryLine(revocation.JTI, "expired", now.Add(-time.Second))
	atNow := entryLine(revocation.JTI, "at-now", now)
	add := revocation.Entry{Kind: revocation.Subject, Value: "s", Expires: now.Add(time.Hour)}.String()
	tests := []struct {
		name, file, line string
		opts             revocation.Options
		want             string // the file after; "" for unchanged
		wantLine         int
		wantErr          string
	}{
		{"empty file", "", add, revocation.Options{}, add + "\n", 1, ""},
		{"comments and live entries kept", "# head\n\n" + live, add, revocation.Options{}, "# head\n\n" + live + add + "\n", 4, ""},
		{"expired lines dropped", "# head\n" + expired + live + atNow, add, revocation.Options{}, "# head\n" + live + add + "\n", 3, ""},
		{"no final newline", strings.TrimSuffix(live, "\n"), add, revocation.Options{}, live + add + "\n", 2, ""},
		{"CRLF lines", strings.ReplaceAll("# head\n"+live, "\n", "\r\n"), add, revocation.Options{}, strings.ReplaceAll("# head\n"+live, "\n", "\r\n") + add + "\n", 3, ""},
		{"a broken line is not dropped", "# head\nnot json\n", add, revocation.Options{}, "", 3, "revoked.jsonl:2: not a JSON object"},
		{"a bad entry", live, `{"jti":"x","expires":"2030-01-01T00:00:00Z"}`, revocation.Options{}, "", 2, "revoked.jsonl:2: expires: 2030-01-01T00:00:00Z is"},
		{"one entry too many", live, add, revocation.Options{MaxEntries: 1}, "", 2, "revoked.jsonl:2: more than 1 entries"},
		{"too large", live, add, revocation.Options{MaxFileBytes: int64(len(live) + 10)}, "", 2, "more than " + fmt.Sprint(len(live)+10) + " (revocation.max_file_bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "revoked.jsonl")
			if err := os.WriteFile(path, []byte(tt.file), 0o640); err != nil {
				t.Fatal(err)
			}
			tt.opts.Now = clock
			n, err := addToFile(path, tt.line, tt.opts, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, revocation.ErrInvalid) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if readFile(t, path) != tt.file {
					t.Errorf("the file changed to %q", readFile(t, path))
				}
			} else if err != nil {
				t.Fatal(err)
			} else if got := readFile(t, path); got != tt.want {
				t.Errorf("file:\n%q\nwant\n%q", got, tt.want)
			}
			if n != tt.wantLine {
				t.Errorf("line = %d, want %d", n, tt.wantLine)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode = %v, want 0640", fi.Mode().Perm())
			}
			if names := dirEntries(t, dir); len(names) != 2 || names[0] != ".revoked.jsonl.lock" || names[1] != "revoked.jsonl" {
				t.Errorf("directory holds %q, want the file and its lock file", names)
			}
		})
	}
}

// TestAddToFileReplaces: the file is replaced (another inode, which Watch
// tells at once), through a symlink the file it names.
func TestAddToFileReplaces(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "data", "revoked.jsonl")
	os.Mkdir(filepath.Dir(real), 0o755)
	os.WriteFile(real, nil, 0o600)
	link := filepath.Join(dir, "revoked.jsonl")
	if err := os.Symlink(filepath.Join("data", "revoked.jsonl"), link); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(real)
	now := time.Now()
	line := revocation.Entry{Kind: revocation.JTI, Value: "x", Expires: now.Add(time.Hour).Truncate(time.Second)}.String()
	if _, err := addToFile(link, line, revocation.Options{}, now); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", fi.Mode(), err)
	}
	after, _ := os.Stat(real)
	if os.SameFile(before, after) {
		t.Error("the file was rewritten in place, not replaced")
	}
	if !strings.Contains(readFile(t, real), `"jti":"x"`) {
		t.Error("the entry is not in the file the symlink names")
	}
}

// TestAddToFileConcurrentWriters: writers that share the file lose no
// entry (the lock serialises read, append and rename), in this process
// and in others (`cognito-gate revoke`).
func TestAddToFileConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "revoked.jsonl")
	os.WriteFile(path, nil, 0o600)
	now := time.Now()
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			line := revocation.Entry{Kind: revocation.JTI, Value: fmt.Sprintf("jti-%d", i), Expires: now.Add(time.Hour).Truncate(time.Second)}.String()
			if _, err := addToFile(path, line, revocation.Options{}, now); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	text := readFile(t, path)
	for i := range n {
		if !strings.Contains(text, fmt.Sprintf(`"jti-%d"`, i)) {
			t.Errorf("entry %d lost:\n%s", i, text)
		}
	}
	if got := strings.Count(text, "\n"); got != n {
		t.Errorf("%d lines, want %d", got, n)
	}
}

// TestAddToFileReadOnly: a directory that cannot be written is
// errReadOnly, with nothing changed (a ConfigMap volume is read-only).
func TestAddToFileReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "revoked.jsonl")
	os.WriteFile(path, []byte("# x\n"), 0o600)
	if os.Geteuid() == 0 {
		// Root ignores permissions; the immutable attribute binds it.
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("as root, a read-only directory needs chattr +i: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
	} else {
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	now := time.Now()
	_, err := addToFile(path, revocation.Entry{Kind: revocation.JTI, Value: "x", Expires: now.Add(time.Hour).Truncate(time.Second)}.String(), revocation.Options{}, now)
	if !errors.Is(err, errReadOnly) {
		t.Fatalf("err = %v, want errReadOnly", err)
	}
	if readFile(t, path) != "# x\n" {
		t.Error("the file changed")
	}
}

func TestWithoutExpired(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct{ name, in, want string }{
		{"expired", `{"jti":"a","expires":"2026-11-22T11:59:59Z"}` + "\n", ""},
		{"at now", `{"jti":"a","expires":"2026-11-22T12:00:00Z"}` + "\n", ""},
		{"live", `{"jti":"a","expires":"2026-11-22T12:00:01Z"}` + "\n", `{"jti":"a","expires":"2026-11-22T12:00:01Z"}` + "\n"},
		{"comment", "# {\"expires\":\"2000-01-01T00:00:00Z\"}\n", "# {\"expires\":\"2000-01-01T00:00:00Z\"}\n"},
		{"indented", `  {"jti":"a","expires":"2000-01-01T00:00:00Z"}  ` + "\n", ""},
		{"bad expires kept", `{"jti":"a","expires":"2000-01-01T00:00:00.5Z"}` + "\n", `{"jti":"a","expires":"2000-01-01T00:00:00.5Z"}` + "\n"},
		{"typed expires kept", `{"jti":"a","expires":1}` + "\n", `{"jti":"a","expires":1}` + "\n"},
		{"broken JSON kept", `{"jti":"a","expires":"2000-01-01T00:00:00Z"` + "\n", `{"jti":"a","expires":"2000-01-01T00:00:00Z"` + "\n"},
		{"duplicate expires kept", `{"jti":"a","expires":"2000-01-01T00:00:00Z","expires":"2099-01-01T00:00:00Z"}` + "\n", `{"jti":"a","expires":"2000-01-01T00:00:00Z","expires":"2099-01-01T00:00:00Z"}` + "\n"},
		{"last line without newline", "# a\n" + `{"jti":"a","expires":"2000-01-01T00:00:00Z"}`, "# a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(withoutExpired([]byte(tt.in), now)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
