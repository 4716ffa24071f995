//go:build unix

package revocation

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// TestLoadRefusesFIFO: a named pipe at the path is refused, not opened
// (an open would block until something writes to it).
func TestLoadRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	l := newList(t, Options{}, fakeclock.New(t0))
	if err := l.Load(fifo); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not a regular file (p") {
		t.Fatalf("Load: %v, want ErrInvalid, not a regular file", err)
	}
}
