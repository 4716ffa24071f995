package scripts_test

import (
	"bufio"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestRelease runs release.sh into a temporary folder and checks each
// binary (its format and architecture), SHA256SUMS against the files, and
// --version of the one that runs here. It builds linux/amd64 and
// darwin/arm64 (another OS and another architecture); all four platforms
// with COGNITO_GATE_RELEASE_ALL=1. The build needs a git tree
// (-buildvcs=true).
func TestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles four binaries")
	}
	if err := exec.Command("git", "rev-parse", "HEAD").Run(); err != nil {
		t.Skip("not a git checkout")
	}
	out := t.TempDir()
	cmd := exec.Command("./release.sh", "v0.0.0-test")
	platforms := []struct{ os, arch string }{{"linux", "amd64"}, {"darwin", "arm64"}}
	if os.Getenv("COGNITO_GATE_RELEASE_ALL") == "1" {
		platforms = []struct{ os, arch string }{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}
	}
	var names []string
	for _, p := range platforms {
		names = append(names, p.os+"/"+p.arch)
	}
	cmd.Env = append(os.Environ(), "OUT="+out, "ALLOW_DIRTY=1", "PLATFORMS="+strings.Join(names, " "))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, b)
	}
	dir := filepath.Join(out, "v0.0.0-test")
	sums := map[string]string{}
	f, err := os.Open(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", sc.Text())
		}
		sums[name] = sum
	}
	for _, p := range platforms {
		name := fmt.Sprintf("cognito-gate-v0.0.0-test-%s-%s", p.os, p.arch)
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		h := sha256.Sum256(data)
		if got := sums[name]; got != hex.EncodeToString(h[:]) {
			t.Errorf("%s: SHA256SUMS says %q, the file is %x", name, got, h)
		}
		if got := arch(t, path, p.os); got != p.arch {
			t.Errorf("%s: built for %s", name, got)
		}
		if p.os == runtime.GOOS && p.arch == runtime.GOARCH {
			v, err := exec.Command(path, "--version").Output()
			if err != nil || !strings.HasPrefix(string(v), "cognito-gate v0.0.0-test (revision ") || strings.Contains(string(v), "revision unknown") {
				t.Errorf("%s --version: %q %v; want the version and the VCS revision", name, v, err)
			}
		}
	}
	if len(sums) != len(platforms) {
		t.Errorf("SHA256SUMS lists %d files, want %d", len(sums), len(platforms))
	}
}

// arch reads the architecture of an ELF (linux) or Mach-O (darwin) binary.
func arch(t *testing.T, path, goos string) string {
	t.Helper()
	switch goos {
	case "linux":
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
	default:
		f, err := macho.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
	}
}
