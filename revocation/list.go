package revocation

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Defaults and limits of Options.
const (
	// DefaultMaxEntries is the entry limit when Options.MaxEntries is zero.
	DefaultMaxEntries = 100_000
	// EntriesLimit is the largest Options.MaxEntries accepted (about
	// 150 MB held; see the package documentation for the figure).
	EntriesLimit = 1_000_000
	// DefaultMaxFileBytes is the file size limit when Options.MaxFileBytes
	// is zero: DefaultMaxEntries lines of 320 bytes, more than twice what
	// an entry with a note takes.
	DefaultMaxFileBytes = 32 << 20
	// FileBytesLimit is the largest Options.MaxFileBytes accepted.
	FileBytesLimit = 256 << 20
	// pruneFraction: Watch drops expired entries from memory once this
	// fraction (1/pruneFraction) of the list has expired. They stop
	// matching at once either way.
	pruneFraction = 8
)

// Options configures a List. The zero value is usable: default limits,
// entries for any issuer, the real clock.
type Options struct {
	// MaxEntries bounds the entries of a file that have not expired: a
	// file with more is refused (and the list held stays). Zero means
	// DefaultMaxEntries; at most EntriesLimit.
	MaxEntries int
	// MaxFileBytes bounds the size of the file. Zero means
	// DefaultMaxFileBytes (32 MiB); at most FileBytesLimit.
	MaxFileBytes int64
	// Issuers, when not empty, lists the issuers an entry's iss may name
	// (give it claims.Verifier.Issuers()): an entry naming another could
	// never match, so it is a mistake, and the file is refused.
	Issuers []string
	// Now is the clock of loads and prunes: what has expired, how far
	// ahead expires may be. Nil means time.Now. Lookups use the time they
	// are given (the verifier's clock).
	Now func() time.Time
}

// options is a validated Options.
type options struct {
	maxEntries   int
	maxFileBytes int64
	issuers      []string
	now          func() time.Time
}

// compile validates o and returns it with its defaults filled in, or the
// joined *ConfigErrors of every problem.
func (o Options) compile() (*options, error) {
	c := &options{maxEntries: o.MaxEntries, maxFileBytes: o.MaxFileBytes, issuers: slices.Clone(o.Issuers), now: o.Now}
	var errs []error
	fail := func(field, key, format string, a ...any) {
		errs = append(errs, &ConfigError{Field: field, Key: key, Problem: fmt.Sprintf(format, a...)})
	}
	switch {
	case c.maxEntries == 0:
		c.maxEntries = DefaultMaxEntries
	case c.maxEntries < 0 || c.maxEntries > EntriesLimit:
		fail("MaxEntries", "revocation.max_entries", "%d: want 1 to %d (0 for %d)", c.maxEntries, EntriesLimit, DefaultMaxEntries)
	}
	switch {
	case c.maxFileBytes == 0:
		c.maxFileBytes = DefaultMaxFileBytes
	case c.maxFileBytes < 0 || c.maxFileBytes > FileBytesLimit:
		fail("MaxFileBytes", "revocation.max_file_bytes", "%d: want 1 to %d (0 for %d)", c.maxFileBytes, FileBytesLimit, DefaultMaxFileBytes)
	}
	for i, iss := range c.issuers {
		if why := checkValue(iss); why != "" {
			fail("Issuers", "pools", "entry %d: %s", i, why)
		}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// List is a deny list read from a file: a claims.Denylist. Lookups
// (Revoked) read an immutable snapshot through one atomic load, so they
// take no lock, allocate nothing, and never wait for a load: a load parses
// and checks the whole file, builds a new snapshot and publishes it at
// once, or — if anything in the file is wrong — keeps the one it had. All
// methods are safe for concurrent use.
type List struct {
	opts *options
	snap atomic.Pointer[snapshot]

	mu      sync.Mutex // serialises loads and prunes, and guards what follows
	path    string
	seen    os.FileInfo // the file last read, loaded or refused (nil: none)
	seenSum [sha256.Size]byte
	racy    bool   // seen was changed too recently to trust its times
	statErr string // Watch's last stat error, reported once
	status  Status
}

var _ claims.Denylist = (*List)(nil)

// New returns an empty List (it revokes nothing until a Load succeeds).
// Misconfiguration is an error here: the joined *ConfigErrors, each
// matching ErrConfig.
func New(o Options) (*List, error) {
	opts, err := o.compile()
	if err != nil {
		return nil, err
	}
	l := &List{opts: opts}
	l.snap.Store(newBuilder().done())
	return l, nil
}

// Revoked reports whether an entry matches t at now: its jti, its
// origin_jti, its sub or username (with the entry's watermark, if any),
// or its client, each compared byte for byte, the entry of the token's
// issuer or of every issuer, and not expired at now. It is the
// claims.Denylist the verifier asks; it allocates nothing.
func (l *List) Revoked(t *claims.Token, now time.Time) bool {
	return l.snap.Load().revoked(t, now.Unix())
}

// Load reads the file at path and, when every line of it is valid, makes
// its entries the list (entries that have already expired are skipped).
// Otherwise the list stays as it was and the error is the errors.Join of
// one *FileError per problem (matching ErrInvalid), each naming the file,
// the line and the key. Load also makes path the file of Reload and
// Watch, even when it fails.
func (l *List) Load(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.loadLocked(path)
}

// Reload is Load of the file last given to Load: what a SIGHUP does. It
// returns ErrNoFile before any Load.
func (l *List) Reload() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.path == "" {
		return ErrNoFile
	}
	return l.loadLocked(l.path)
}

// loadLocked is Load; l.mu is held.
func (l *List) loadLocked(path string) error {
	data, fi, err := l.read(path)
	return l.applyLocked(path, data, fi, err)
}

// applyLocked makes data, just read from path (with fi, or readErr), the
// list when it is valid; l.mu is held.
func (l *List) applyLocked(path string, data []byte, fi os.FileInfo, readErr error) error {
	l.path = path
	l.noteSeen(fi, data)
	now := l.opts.now()
	l.status.File = path
	l.status.Loads++
	err := readErr
	var p *parsed
	if err == nil {
		p, err = parse(path, data, l.opts, now)
	}
	if err != nil {
		l.status.Failures++
		l.status.LastError = err
		return err
	}
	l.snap.Store(build(p.entries))
	l.status.LoadedAt = now
	l.status.Stale = p.expired
	l.status.LastError = nil
	return nil
}

// racyWindow: a file modified less than this long before it was read may
// have been changed again within the file system's timestamp granularity
// (a few milliseconds on Linux) without its size or modification time
// changing, so Watch reads it again — and compares its contents — until
// the read is at least this much younger than the change. (Git's "racy
// clean" problem.) File times are wall-clock times: this uses time.Now,
// never Options.Now.
const racyWindow = 2 * time.Second

// noteSeen remembers the file just read, for Watch; l.mu is held.
func (l *List) noteSeen(fi os.FileInfo, data []byte) {
	l.seen = fi
	l.seenSum = sha256.Sum256(data)
	l.racy = fi != nil && !fi.ModTime().Before(time.Now().Add(-racyWindow))
}

// read returns the contents of the regular file at path, at most
// MaxFileBytes, and its FileInfo (nil when it could not be had).
func (l *List) read(path string) ([]byte, os.FileInfo, error) {
	fail := func(fi os.FileInfo, err error, format string, a ...any) ([]byte, os.FileInfo, error) {
		return nil, fi, &FileError{File: path, Problem: fmt.Sprintf(format, a...), Err: err}
	}
	// Stat first, so that a FIFO or a device is refused before an open
	// that could block.
	if fi, err := os.Stat(path); err != nil {
		return fail(nil, err, "cannot read: %v", err)
	} else if !fi.Mode().IsRegular() {
		return fail(fi, nil, "not a regular file (%s)", fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(nil, err, "cannot read: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(nil, err, "cannot read: %v", err)
	}
	if fi.Size() > l.opts.maxFileBytes {
		return fail(fi, nil, "%d bytes, more than %d (revocation.max_file_bytes)", fi.Size(), l.opts.maxFileBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, l.opts.maxFileBytes+1))
	switch {
	case err != nil:
		return fail(fi, err, "cannot read: %v", err)
	case int64(len(data)) > l.opts.maxFileBytes:
		return fail(fi, nil, "more than %d bytes (revocation.max_file_bytes)", l.opts.maxFileBytes)
	}
	return data, fi, nil
}

// Prune drops from memory every entry that has expired, and returns how
// many it dropped. Expired entries match nothing whether or not they are
// pruned; Watch prunes on its own once an eighth of the list has expired.
func (l *List) Prune() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pruneLocked(1)
}

// pruneLocked drops the expired entries when at least 1/fraction of the
// list (and at least one entry) has expired; l.mu is held.
func (l *List) pruneLocked(fraction int) int {
	s := l.snap.Load()
	now := l.opts.now().Unix()
	n := s.expiredAt(now)
	if n == 0 || n*fraction < s.size() {
		return 0
	}
	l.snap.Store(s.without(now))
	return n
}

// Status describes a List.
type Status struct {
	// File is the path last given to Load.
	File string
	// Entries is the number of entries held; Expired how many of them have
	// expired (they match nothing, and go at the next prune or load).
	Entries, Expired int
	// Stale is how many entries of the file loaded had already expired:
	// skipped, and lines to clean up.
	Stale int
	// LoadedAt is when the entries held were loaded (zero: never).
	LoadedAt time.Time
	// Loads counts load attempts (Load, Reload, Watch), Failures those that
	// kept the list held.
	Loads, Failures uint64
	// LastError is the error of the last load attempt, nil when it
	// succeeded.
	LastError error
}

// Status returns the list's status.
func (l *List) Status() Status {
	l.mu.Lock()
	st := l.status
	l.mu.Unlock()
	s := l.snap.Load()
	st.Entries, st.Expired = s.size(), s.expiredAt(l.opts.now().Unix())
	return st
}
