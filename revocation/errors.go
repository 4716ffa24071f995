package revocation

import (
	"errors"

	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
)

// Errors of this package. Test them with errors.Is.
var (
	// ErrInvalid is matched by every error of Load and Reload about the
	// file itself: it could not be read, is too large, holds too many
	// entries or an entry that is not valid. Each such problem is a
	// *FileError; Load returns the errors.Join of all of them (at most
	// MaxReported, and one more that counts the rest).
	ErrInvalid = errors.New("revocation: invalid deny list file")

	// ErrNoFile means Reload or Watch was called before any Load: the
	// list does not know which file is its.
	ErrNoFile = errors.New("revocation: no file loaded yet")

	// ErrConfig is matched by every error of New: the Options cannot
	// work. Each such error is a *ConfigError.
	ErrConfig = errors.New("revocation: invalid configuration")
)

// MaxReported is how many problems of one file Load reports one by one;
// past it a last *FileError says how many more there were, so that a
// hostile or mangled file of a million bad lines costs a counter, not a
// million errors.
const MaxReported = 100

// FileError is one problem of a deny list file, with where it is.
type FileError struct {
	// File is the path given to Load.
	File string
	// Line is the 1-based line of the problem; 0 for the file as a whole
	// (unreadable, too large).
	Line int
	// Key is the entry's member at fault ("sub", "expires", ...); empty for
	// the line or the file as a whole.
	Key string
	// Problem says what is wrong and what is wanted instead.
	Problem string
	// Err is the underlying error when there is one (a *fs.PathError for
	// a file that cannot be read), for errors.Is and errors.As.
	Err error
}

// Error returns "file:line: key: problem", leaving out what is unknown, so
// that editors and terminals can jump to the line (the form of every
// configuration error of the module).
func (e *FileError) Error() string {
	return (&yamlstrict.Error{File: e.File, Line: e.Line, Field: e.Key, Msg: e.Problem}).Error()
}

// Is reports whether target is ErrInvalid.
func (e *FileError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns Err.
func (e *FileError) Unwrap() error { return e.Err }

// ConfigError is one problem of Options.
type ConfigError struct {
	// Field is the Options field at fault ("MaxEntries", ...).
	Field string
	// Key is the same setting as cognito-gate's configuration file names
	// it ("revocation.max_entries", ...).
	Key string
	// Problem says what is wrong.
	Problem string
}

// Error returns "revocation: config: <Field>: <problem>".
func (e *ConfigError) Error() string {
	return "revocation: config: " + e.Field + ": " + e.Problem
}

// Is reports whether target is ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }
