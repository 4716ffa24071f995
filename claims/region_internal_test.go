package claims

import (
	"regexp"
	"testing"
)

// The languages isRegion and poolRegion match, as the regular expressions
// they replaced. They are the oracle of TestRegionAndPoolID and
// FuzzRegionAndPoolID.
var (
	regionRegexp = regexp.MustCompile(`^[a-z]{2}(?:-[a-z]+)+-[0-9]$`)
	poolIDRegexp = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-[0-9])_[0-9A-Za-z]+$`)
)

// checkRegionAndPoolID fails t when isRegion or poolRegion answer s other
// than the regular expressions do.
func checkRegionAndPoolID(t *testing.T, s string) {
	t.Helper()
	if got, want := isRegion(s), regionRegexp.MatchString(s); got != want {
		t.Errorf("isRegion(%q) = %v, the regexp says %v", s, got, want)
	}
	region, ok := poolRegion(s)
	m := poolIDRegexp.FindStringSubmatch(s)
	switch {
	case ok != (m != nil):
		t.Errorf("poolRegion(%q) ok = %v, the regexp matches: %v", s, ok, m != nil)
	case ok && region != m[1]:
		t.Errorf("poolRegion(%q) = %q, the regexp's region %q", s, region, m[1])
	case !ok && region != "":
		t.Errorf("poolRegion(%q) = %q, not ok", s, region)
	}
}

// TestRegionAndPoolID: the written-out matchers of region names and pool
// ids answer as the regular expressions do, around every edge of them.
func TestRegionAndPoolID(t *testing.T) {
	for _, tt := range []struct {
		s              string
		region, poolID bool
		regionOfPoolID string
	}{
		{"eu-west-1", true, false, ""},
		{"us-gov-west-1", true, false, ""},
		{"ab-c-1", true, false, ""},
		{"ap-southeast-2", true, false, ""},
		{"eu-west-1_AbC123", false, true, "eu-west-1"},
		{"us-gov-west-1_x", false, true, "us-gov-west-1"},
		{"ab-c-1_0", false, true, "ab-c-1"},
		{"", false, false, ""},
		{"a", false, false, ""},
		{"ab-1", false, false, ""},        // no word between
		{"ab--1", false, false, ""},       // an empty word
		{"ab-c--1", false, false, ""},     // an empty word before the digit
		{"ab--c-1", false, false, ""},     // an empty word after the letters
		{"abc-west-1", false, false, ""},  // three letters first
		{"a-west-1", false, false, ""},    // one letter first
		{"eu-west-12", false, false, ""},  // two digits
		{"eu-west-a", false, false, ""},   // no digit
		{"eu-West-1", false, false, ""},   // upper case
		{"EU-west-1", false, false, ""},   // upper case first
		{"eu-we5t-1", false, false, ""},   // a digit in a word
		{"eu_west-1", false, false, ""},   // underscore
		{"eu-west-1-", false, false, ""},  // trailing dash
		{"-eu-west-1", false, false, ""},  // leading dash
		{"eu-west-1\n", false, false, ""}, // a newline, which $ must not forgive
		{"eu-west-1 ", false, false, ""},
		{"eu-west-1_", false, false, ""},         // no suffix
		{"eu-west-1__x", false, false, ""},       // underscore in the suffix
		{"eu-west-1_a-b", false, false, ""},      // dash in the suffix
		{"eu-west-1_é", false, false, ""},        // non-ASCII in the suffix
		{"eu-west-1_x\n", false, false, ""},      // newline after the suffix
		{"_x", false, false, ""},                 // no region
		{"local_5x1A", false, false, ""},         // an emulator's id
		{"eu-west-1_AbC123_x", false, false, ""}, // a second underscore
		{"eu-weſt-1", false, false, ""},          // a letter outside ASCII
		{"eu-west-1_AbC123/", false, false, ""},
	} {
		if got := isRegion(tt.s); got != tt.region {
			t.Errorf("isRegion(%q) = %v, want %v", tt.s, got, tt.region)
		}
		region, ok := poolRegion(tt.s)
		if ok != tt.poolID || region != tt.regionOfPoolID {
			t.Errorf("poolRegion(%q) = %q, %v; want %q, %v", tt.s, region, ok, tt.regionOfPoolID, tt.poolID)
		}
		checkRegionAndPoolID(t, tt.s)
	}
}

// FuzzRegionAndPoolID holds isRegion and poolRegion to the regular
// expressions they replaced, on any string.
func FuzzRegionAndPoolID(f *testing.F) {
	for _, s := range []string{"eu-west-1", "us-gov-west-1_AbC123", "ab--1", "ab-c-1_", "eu-west-1\n", "eu-west-1_x_y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkRegionAndPoolID(t, s)
		// The same string as a region with a suffix, so that the fuzzer's
		// regions reach the pool id's suffix check too.
		checkRegionAndPoolID(t, s+"_AbC1")
	})
}
