//go:build unix

package main

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// lockFile takes an exclusive lock (flock) on the file at path, creating
// it, and returns its release. The lock is advisory: every writer of the
// deny list file (addToFile) takes it; readers need none, since the file
// is replaced by a rename. On NFS it needs the server's lock support
// (NFSv4 has it); where it is missing, have one writer only.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "flock", Path: path, Err: err}
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// isReadOnly reports whether err says that a file cannot be written: a
// read-only file system, or no permission.
func isReadOnly(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, fs.ErrPermission)
}
