package revocation

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// watcher runs l.Watch on ticks of the test's own and collects what it
// reports. The tests run in testing/synctest bubbles only so that tick can
// wait for Watch to be done with each tick (file I/O does not block
// durably, so synctest.Wait waits for it); the clocks are still the
// tests' own. (In a bubble, time.Now is the bubble's, and file times are
// real: files written now look modified in the future, so Watch compares
// their contents on every tick, which changes no outcome.)
type watcher struct {
	t     *testing.T
	ticks chan time.Time
	stop  context.CancelFunc
	done  chan error
	mu    sync.Mutex
	errs  []error
}

func startWatch(t *testing.T, l *List) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{t: t, ticks: make(chan time.Time), stop: cancel, done: make(chan error, 1)}
	go func() {
		w.done <- l.Watch(ctx, w.ticks, func(err error) {
			w.mu.Lock()
			w.errs = append(w.errs, err)
			w.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-w.done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v, want context.Canceled", err)
		}
	})
	return w
}

// tick makes Watch look at the file once and waits until it has, and is
// waiting for the next tick. It must be called inside a synctest bubble,
// where Watch was started.
func (w *watcher) tick() {
	w.ticks <- t0
	synctest.Wait()
}

// reported returns and forgets what Watch reported.
func (w *watcher) reported() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	errs := w.errs
	w.errs = nil
	return errs
}

func revokesJTI(l *List, jti string) bool {
	return l.Revoked(token(func(t *claims.Token) { t.JTI = jti }), t0)
}

func jtiLine(jti string) string { return `{"jti":"` + jti + `","expires":"` + until + `"}` }

func TestWatchBeforeLoad(t *testing.T) {
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Watch(context.Background(), nil, nil); !errors.Is(err, ErrNoFile) {
		t.Fatalf("Watch before Load: %v, want ErrNoFile", err)
	}
}

func TestWatchReloadsOnChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := fakeclock.New(t0)
		dir := t.TempDir()
		path := writeFile(t, dir, "revoked.jsonl", jtiLine("a"))
		l := loadList(t, Options{}, c, path)
		w := startWatch(t, l)
		loads := func() uint64 { return l.Status().Loads }

		w.tick()
		if loads() != 1 || len(w.reported()) != 0 {
			t.Fatalf("an unchanged file: %d loads, want 1", loads())
		}

		writeFile(t, dir, "revoked.jsonl", jtiLine("b"))
		w.tick()
		if !revokesJTI(l, "b") || revokesJTI(l, "a") || loads() != 2 {
			t.Fatalf("after a change: b %v, a %v, %d loads", revokesJTI(l, "b"), revokesJTI(l, "a"), loads())
		}

		// A broken file: reported once, the list kept, not read again until
		// it changes.
		writeFile(t, dir, "revoked.jsonl", jtiLine("c"), `{"jti":"d","expires":"2099-01-01T00:00:00Z"}`)
		w.tick()
		if errs := w.reported(); len(errs) != 1 || !errors.Is(errs[0], ErrInvalid) {
			t.Fatalf("broken file reported %v, want one ErrInvalid", errs)
		}
		if !revokesJTI(l, "b") || revokesJTI(l, "c") {
			t.Fatal("a broken file changed the list")
		}
		w.tick()
		if errs := w.reported(); len(errs) != 0 {
			t.Fatalf("the same broken file reported again: %v", errs)
		}

		writeFile(t, dir, "revoked.jsonl", jtiLine("c"))
		w.tick()
		if !revokesJTI(l, "c") || revokesJTI(l, "b") || len(w.reported()) != 0 {
			t.Fatal("the fixed file was not loaded")
		}

		// The file goes away for a while: reported once, the list kept.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		w.tick()
		w.tick()
		if errs := w.reported(); len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) || !errors.Is(errs[0], ErrInvalid) {
			t.Fatalf("missing file reported %v, want one error", errs)
		}
		if !revokesJTI(l, "c") {
			t.Fatal("a missing file emptied the list")
		}
		writeFile(t, dir, "revoked.jsonl", jtiLine("e"))
		w.tick()
		if !revokesJTI(l, "e") || revokesJTI(l, "c") {
			t.Fatal("the file back was not loaded")
		}
	})
}

// TestWatchConfigMapUpdate: a Kubernetes ConfigMap volume holds the file
// behind two symlinks (name → ..data/name, ..data → ..<timestamp>) and
// updates it by swapping ..data: the path's file is another inode.
func TestWatchConfigMapUpdate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := fakeclock.New(t0)
		dir := t.TempDir()
		version := func(name string, lines ...string) {
			t.Helper()
			if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, name), "revoked.jsonl", lines...)
			if err := os.Symlink(name, filepath.Join(dir, "..data_tmp")); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
				t.Fatal(err)
			}
		}
		version("..2026_11_22_12_00_00.1", jtiLine("a"))
		path := filepath.Join(dir, "revoked.jsonl")
		if err := os.Symlink("..data/revoked.jsonl", path); err != nil {
			t.Fatal(err)
		}
		l := loadList(t, Options{}, c, path)
		w := startWatch(t, l)
		version("..2026_11_22_12_05_00.2", jtiLine("b")) // the same size and, maybe, time
		w.tick()
		if !revokesJTI(l, "b") || revokesJTI(l, "a") {
			t.Fatal("the ConfigMap update was not loaded")
		}
	})
}

// TestWatchInPlaceRewrite: a file rewritten in place with the same size
// within the file system's timestamp granularity is still seen (its
// contents are compared while its times are too recent to trust); once
// its times are old, a rewrite that keeps size and time is not (Reload
// sees it).
func TestWatchInPlaceRewrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := fakeclock.New(t0)
		path := writeFile(t, t.TempDir(), "revoked.jsonl", jtiLine("a"))
		rewrite := func(jti string) {
			t.Helper()
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(jtiLine(jti)+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// As if within one timestamp tick.
			if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}
		l := loadList(t, Options{}, c, path)
		w := startWatch(t, l)
		rewrite("b")
		w.tick()
		if !revokesJTI(l, "b") {
			t.Fatal("a quick rewrite in place was missed")
		}
		if st := l.Status(); st.Loads != 2 {
			t.Errorf("%d loads, want 2: unchanged contents read again are not loaded again", st.Loads)
		}

		old := time.Now().Add(-time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		if err := l.Reload(); err != nil {
			t.Fatal(err)
		}
		rewrite("c")
		w.tick()
		if revokesJTI(l, "c") {
			t.Fatal("the stat said unchanged, yet the file was read")
		}
		if err := l.Reload(); err != nil || !revokesJTI(l, "c") {
			t.Fatalf("Reload: %v", err)
		}
	})
}

// TestWatchPrunes: expired entries stop matching at once and are dropped
// from memory once an eighth of the list has expired.
func TestWatchPrunes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := fakeclock.New(t0)
		var lines []string
		for i := range 16 {
			exp := until
			if i < 2 {
				exp = rfc(t0.Add(time.Minute)) // 2 of 16: an eighth
			} else if i < 3 {
				exp = rfc(t0.Add(30 * time.Second))
			}
			lines = append(lines, `{"jti":"j`+string(rune('a'+i))+`","expires":"`+exp+`"}`)
		}
		l := newList(t, Options{}, c, lines...)
		w := startWatch(t, l)
		revokes := func(jti string) bool { return l.Revoked(token(func(t *claims.Token) { t.JTI = jti }), c.Now()) }
		c.Advance(30 * time.Second)
		w.tick()
		if st := l.Status(); st.Entries != 16 || st.Expired != 1 {
			t.Fatalf("one of 16 expired: %+v, want it held until an eighth has", st)
		}
		if revokes("jc") {
			t.Error("an expired entry matched before it was pruned")
		}
		c.Advance(30 * time.Second)
		w.tick()
		if st := l.Status(); st.Entries != 13 || st.Expired != 0 {
			t.Fatalf("three of 16 expired: %+v, want them dropped", st)
		}
		if !revokes("jd") || revokes("ja") {
			t.Error("pruning changed what matches")
		}
		// Prune drops whatever has expired.
		c.Advance(time.Hour)
		if n := l.Prune(); n != 13 || l.Status().Entries != 0 {
			t.Errorf("Prune dropped %d, %d left; want all 13", n, l.Status().Entries)
		}
	})
}
