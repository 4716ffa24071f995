//go:build amd64 && !purego

package jose

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestMontgomeryInUse: where the processor has ADX and BMI2 (as
// /proc/cpuinfo lists them on Linux), NewRSAKey verifies with montModulus,
// so that a change to the detection cannot quietly leave every key on the
// slower bigmod path.
func TestMontgomeryInUse(t *testing.T) {
	key := fuzzKey(t, 2048)
	rk := must(NewRSAKey(&key.PublicKey))
	if (rk.mont != nil) != haveMontgomery || (rk.n != nil) == haveMontgomery {
		t.Fatalf("haveMontgomery %v, but the key has montModulus %v and bigmod %v", haveMontgomery, rk.mont != nil, rk.n != nil)
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	for line := range strings.Lines(string(info)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) != "flags" {
			continue
		}
		flags := strings.Fields(value)
		if slices.Contains(flags, "adx") && slices.Contains(flags, "bmi2") && !haveMontgomery {
			t.Fatal("the processor has adx and bmi2, but haveMontgomery is false")
		}
		return
	}
	t.Skip("no flags line in /proc/cpuinfo")
}
