//go:build !unix

package main

import (
	"errors"
	"io/fs"
)

// lockFile refuses: without flock, writers of the deny list file could
// lose each other's entries. Edit the file by other means (write a new
// file and rename it over the old one).
func lockFile(path string) (func(), error) {
	return nil, &fs.PathError{Op: "lock", Path: path, Err: errors.ErrUnsupported}
}

// isReadOnly reports whether err says that a file cannot be written.
func isReadOnly(err error) bool { return errors.Is(err, fs.ErrPermission) }
