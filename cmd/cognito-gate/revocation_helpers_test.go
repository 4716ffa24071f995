package main

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// zapDiscard is a logger that drops everything.
func zapDiscard() *zap.Logger { return zap.NewNop() }

// testDenyList is the deny list of a configuration with section (under
// validConfig) and files, whose logs go to the returned observer.
func testDenyList(t *testing.T, section string, files map[string]string) (*denyList, *observer.ObservedLogs) {
	t.Helper()
	cfg, err := loadConfig(revocationDir(t, section, files), nil)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	d := newDenyList(cfg.revocation, zap.New(core))
	if d == nil {
		t.Fatal("no deny list")
	}
	t.Cleanup(d.close)
	return d, logs
}

// readFile returns the file's contents.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// writeRenamed replaces the file at path by renaming a new one over it,
// as the deny list file should be replaced.
func writeRenamed(t *testing.T, path, text string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".next-"+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
