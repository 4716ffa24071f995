package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// errReadOnly means that the deny list file cannot be written where it
// is: a read-only volume (a Kubernetes ConfigMap or Secret), or a
// directory this process may not write to.
var errReadOnly = errors.New("the deny list file is read-only here")

// addToFile adds line, one entry (revocation.Entry.String), at the end of
// the deny list file at path, and returns the line number it got. The
// file is replaced, never rewritten in place, so that a reader (Watch and
// Reload here, and every other replica's) sees the old file or the new
// one whole:
//
//  1. an exclusive lock (flock) on a lock file beside it serialises the
//     writers of the file — the admin endpoints of the replicas sharing a
//     volume and `cognito-gate revoke` — so that none loses another's
//     entry between its read and its rename;
//  2. the file is read (symlinks followed: the file they name is the one
//     replaced), its lines whose entry has expired are dropped, and line
//     is appended;
//  3. the result is written to a temporary file in the same directory
//     (same mode, synced), and loaded whole by a fresh revocation.List
//     with opts, at now: a result that would not load (a bad entry, too
//     many entries, a file already broken) is removed, the file is left
//     as it was, and the error is the list's, naming path and the lines
//     of the result;
//  4. the temporary file is renamed over the file (atomic), and the
//     directory synced.
//
// A file or directory that cannot be written is errReadOnly (wrapped),
// with nothing changed. When the result is refused, the line number is
// the one line would have had.
func addToFile(path, line string, opts revocation.Options, now time.Time) (int, error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return 0, err
	}
	dir, base := filepath.Split(target)
	unlock, err := lockFile(filepath.Join(dir, "."+base+".lock"))
	if err != nil {
		return 0, writeErr(err)
	}
	defer unlock()
	fi, err := os.Stat(target)
	if err != nil {
		return 0, err
	}
	limit := opts.MaxFileBytes
	if limit == 0 {
		limit = revocation.DefaultMaxFileBytes
	}
	data, err := readLimited(target, limit)
	if err != nil {
		return 0, err
	}
	data = withoutExpired(data, now)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	data = append(append(data, line...), '\n')
	n := bytes.Count(data, []byte{'\n'})

	tmp, err := os.CreateTemp(dir, "."+base+".*.new")
	if err != nil {
		return 0, writeErr(err)
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmp.Name())
		}
	}()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(fi.Mode().Perm())
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, writeErr(err)
	}
	if err := checkFile(tmp.Name(), path, opts); err != nil {
		return n, err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return 0, writeErr(err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return n, nil
}

// checkFile loads the file at tmp with a fresh list of opts, and returns
// its errors as errors of the file named name.
func checkFile(tmp, name string, opts revocation.Options) error {
	l, err := revocation.New(opts)
	if err != nil {
		return err
	}
	err = l.Load(tmp)
	for _, e := range joined(err) {
		var fe *revocation.FileError
		if errors.As(e, &fe) {
			fe.File = name
		}
	}
	return err
}

// writeErr marks err as errReadOnly when it says that the file or its
// directory cannot be written.
func writeErr(err error) error {
	if isReadOnly(err) {
		return fmt.Errorf("%w: %w", errReadOnly, err)
	}
	return err
}

// withoutExpired returns data, a deny list file, less the lines whose
// entry expired at or before now: they match nothing, and a file that
// only grows would reach revocation.max_file_bytes. Comments, blank lines
// and lines that do not read as an entry with an expires are kept (the
// load of the result judges them).
func withoutExpired(data []byte, now time.Time) []byte {
	out := make([]byte, 0, len(data))
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if exp, ok := lineExpires(line); ok && !now.Before(exp) {
			continue
		}
		out = append(out, line...)
	}
	return out
}

// lineExpires returns the expires of the entry on line, if it has a
// valid one.
func lineExpires(line []byte) (time.Time, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return time.Time{}, false
	}
	var exp time.Time
	found := false
	err := jsonstrict.ObjectEach(line, func(name, value []byte, kind jsonstrict.Kind) error {
		if string(name) != "expires" || kind != jsonstrict.StringKind {
			return nil
		}
		s, err := jsonstrict.String(value)
		if err != nil {
			return err
		}
		exp, err = parseEntryTime(s)
		found = err == nil
		return nil
	})
	return exp, err == nil && found
}

// parseEntryTime reads a time as the deny list file writes them: RFC 3339
// in whole seconds.
func parseEntryTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time such as 2026-11-22T12:00:00Z", clipValue(s))
	case t.Nanosecond() != 0:
		return time.Time{}, fmt.Errorf("%q: want whole seconds", clipValue(s))
	}
	return t, nil
}
