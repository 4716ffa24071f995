package revocation

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// TestConcurrentReloadAndLookups runs lookups on many goroutines while
// the file is replaced, reloaded, watched and pruned (run it with -race).
// Every lookup must see one whole list: the entry both versions hold
// always matches, and a token neither version names never does.
func TestConcurrentReloadAndLookups(t *testing.T) {
	c := fakeclock.New(t0)
	dir := t.TempDir()
	both := jtiLine("both")
	versions := [2][]string{
		{both, jtiLine("only-a"), `{"sub":"s","issued_before":"` + rfc(t0) + `","expires":"` + until + `"}`},
		{both, jtiLine("only-b"), `{"origin_jti":"o","expires":"` + until + `"}`},
	}
	path := writeFile(t, dir, "revoked.jsonl", versions[0]...)
	l := loadList(t, Options{}, c, path)
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time)
	watched := make(chan error, 1)
	go func() { watched <- l.Watch(ctx, ticks, nil) }()

	var stop atomic.Bool
	var lookups, wrong atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			tBoth := token(func(t *claims.Token) { t.JTI = "both" })
			tNone := token(func(t *claims.Token) { t.JTI, t.Subject, t.OriginJTI = "none", "x", "y" })
			for !stop.Load() {
				if !l.Revoked(tBoth, t0) || l.Revoked(tNone, t0) {
					wrong.Add(1)
				}
				lookups.Add(1)
			}
		})
	}
	for i := range 200 {
		writeFile(t, dir, "revoked.jsonl", versions[i%2]...)
		switch i % 4 {
		case 0:
			if err := l.Reload(); err != nil {
				t.Error(err)
			}
		case 1:
			ticks <- t0
		case 2:
			if err := l.Load(path); err != nil {
				t.Error(err)
			}
		case 3:
			l.Prune()
			_ = l.Status()
		}
	}
	stop.Store(true)
	wg.Wait()
	cancel()
	<-watched
	if wrong.Load() != 0 {
		t.Errorf("%d of %d lookups saw a partial list", wrong.Load(), lookups.Load())
	}
	if lookups.Load() == 0 {
		t.Error("no lookups ran")
	}
}
