package cognitotest_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// TestNewClosesThePoolWhenTheTestEnds: the pool of New serves its keys
// during the test and is closed by the test's cleanup.
func TestNewClosesThePoolWhenTheTestEnds(t *testing.T) {
	var url string
	t.Run("test", func(t *testing.T) {
		p := cognitotest.New(t, cognitotest.Config{})
		url = p.JWKSURL()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("JWKS: %s", resp.Status)
		}
	})
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("the pool still answers after its test ended: %s", resp.Status)
	}
}

// fatalTB records Fatalf; it ends the calling goroutine as testing.T does.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper()        {}
func (f *fatalTB) Cleanup(func()) {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// TestNewFailsTheTestOnABadConfig: New reports a pool that cannot start
// through tb.Fatalf, naming itself and the cause.
func TestNewFailsTheTestOnABadConfig(t *testing.T) {
	tb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		cognitotest.New(tb, cognitotest.Config{Region: "moon-1"})
		t.Error("New returned on a bad config")
	}()
	<-done
	if want := "cognitotest.New: fakepool: invalid config"; len(tb.msg) < len(want) || tb.msg[:len(want)] != want {
		t.Errorf("Fatalf(%q), want it to start with %q", tb.msg, want)
	}
}

// TestNamesAreFakepools: the errors, types and options of cognitotest are
// fakepool's, so that tests and fakepool users can mix them.
func TestNamesAreFakepools(t *testing.T) {
	_, err := cognitotest.Start(cognitotest.Config{TokenLifetime: -1})
	if !errors.Is(err, cognitotest.ErrInvalidConfig) || !errors.Is(err, fakepool.ErrInvalidConfig) {
		t.Errorf("Start(negative lifetime) = %v, want ErrInvalidConfig", err)
	}
	if cognitotest.ErrStart != fakepool.ErrStart {
		t.Error("ErrStart is not fakepool's")
	}
	var p *fakepool.Pool = cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Names"})
	var opt fakepool.TokenOption = cognitotest.WithUsername("bob")
	if p.AccessToken(opt) == "" {
		t.Error("no token")
	}
}

// TestEveryFakepoolNameIsHere: every exported top-level name of fakepool
// (its options, types, constants and errors) has a cognitotest name, so
// that a test never needs both imports.
func TestEveryFakepoolNameIsHere(t *testing.T) {
	fakepoolNames := exportedNames(t, "fakepool")
	ours := exportedNames(t, ".")
	var missing []string
	for _, n := range fakepoolNames {
		if !slices.Contains(ours, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("fakepool names that cognitotest lacks: %v", missing)
	}
}

// exportedNames returns the exported top-level names (not methods) of the
// non-test Go files in dir.
func exportedNames(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names = append(names, s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names = append(names, n.Name)
							}
						}
					}
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("no exported names in %s", dir)
	}
	return names
}
