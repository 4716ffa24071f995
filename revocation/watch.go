package revocation

import (
	"context"
	"crypto/sha256"
	"os"
	"time"
)

// Watch loads the list's file again whenever it has changed, looking at
// every tick of ticks (a time.Ticker's C, say every 10 s; a channel of the
// test's own in tests), until ctx ends; then it returns ctx.Err(). It
// returns ErrNoFile at once before any Load.
//
// A change is a different file at the path (another inode: a Kubernetes
// ConfigMap or Secret volume swaps a symlink), or a different size or
// modification time; a file read less than two seconds after it was
// modified is read again at the next ticks (and compared by content),
// since file times are too coarse to show a second write that quick.
// Replace the file by renaming a new one over it rather than rewriting it
// in place, which Watch (or Reload) could read half-written — and refuse
// until the write is complete. A changed file that is refused keeps the
// list held and is not read again until it changes again; a path that
// cannot be stat'ed (for a while, during a replacement) keeps the list
// too. report,
// when not nil, is given each such problem once (the errors of Load, or a
// *FileError for the stat), on Watch's goroutine. After each tick Watch
// also drops expired entries from memory once an eighth of the list has
// expired.
//
// Run it on a goroutine of its own, owned by whoever owns the List; it
// starts nothing else.
func (l *List) Watch(ctx context.Context, ticks <-chan time.Time, report func(error)) error {
	l.mu.Lock()
	path := l.path
	l.mu.Unlock()
	if path == "" {
		return ErrNoFile
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticks:
			if err := l.poll(); err != nil && report != nil {
				report(err)
			}
		}
	}
}

// poll is one tick of Watch.
func (l *List) poll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.pruneLocked(pruneFraction)
	fi, err := os.Stat(l.path)
	if err != nil {
		if err.Error() == l.statErr {
			return nil
		}
		l.statErr = err.Error()
		return &FileError{File: l.path, Problem: "cannot read; keeping the entries held: " + err.Error(), Err: err}
	}
	l.statErr = ""
	if l.seen != nil && !l.racy && os.SameFile(fi, l.seen) && fi.Size() == l.seen.Size() && fi.ModTime().Equal(l.seen.ModTime()) {
		return nil
	}
	data, fi, err := l.read(l.path)
	if err == nil && l.seen != nil && os.SameFile(fi, l.seen) && sha256.Sum256(data) == l.seenSum {
		// Read again only because its times could not be trusted, and
		// unchanged.
		l.noteSeen(fi, data)
		return nil
	}
	return l.applyLocked(l.path, data, fi, err)
}
