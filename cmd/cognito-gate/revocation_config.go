package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// revocationConfig is the revocation section: the deny list file (package
// revocation) and the admin endpoint that adds to it (revocation_admin.go).
type revocationConfig struct {
	// File is the deny list, JSON lines, relative to the configuration
	// file's directory. Empty: no deny list (and no other key may be set).
	File string `yaml:"file"`
	// PollInterval is how often the file is looked at for changes; nil
	// means defaultRevocationPoll, 0 only on SIGHUP.
	PollInterval *time.Duration `yaml:"poll_interval"`
	// MaxEntries and MaxFileBytes are revocation.Options' bounds (0: the
	// package's defaults).
	MaxEntries   int   `yaml:"max_entries"`
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// AdminTokenFile holds the bearer secret of POST /revocations on the
	// admin listener; empty: the endpoint is off (404).
	AdminTokenFile string `yaml:"admin_token_file"`
	// AdminAllowRemote lets peers that are not on loopback use the
	// endpoint (with the secret); false: loopback peers only (403).
	AdminAllowRemote bool `yaml:"admin_allow_remote"`
}

// Bounds of the revocation section.
const (
	defaultRevocationPoll = 10 * time.Second
	minRevocationPoll     = 100 * time.Millisecond
	// minAdminTokenBytes: the admin secret must be at least this long
	// (`openssl rand -hex 32` writes 64 characters), so that guessing it
	// is hopeless even with no rate limit.
	minAdminTokenBytes = 32
	// maxAdminTokenBytes bounds the admin token file.
	maxAdminTokenBytes = 4096
)

// revocationSetup is a validated revocation section.
type revocationSetup struct {
	file string // absolute, or as given when absolute
	opts revocation.Options
	poll time.Duration // 0: SIGHUP only
	// list is the deny list loaded from file at validation: the list the
	// process starts with, so that the file read by check is the file
	// served (no second read at start-up).
	list *revocation.List
	// replica is the empty list of the entries added on this replica
	// alone (see replicaEntries).
	replica *revocation.List
	// tokenFile is the admin token file ("" when the endpoint is off);
	// token the SHA-256 of the secret in it (the secret itself is not
	// kept).
	tokenFile   string
	token       [sha256.Size]byte
	allowRemote bool
}

// revocation checks the revocation section and loads the deny list file.
// Problems of the section are reported at their keys; those of the file
// as the file's own errors (file:line: key: problem), with the policy
// file's. It runs after pools, whose issuers an entry's iss must name.
func (v *validator) revocation() {
	rc := v.fc.Revocation
	if rc.File == "" {
		for _, k := range []struct {
			key string
			set bool
		}{
			{"revocation.poll_interval", rc.PollInterval != nil}, {"revocation.max_entries", rc.MaxEntries != 0},
			{"revocation.max_file_bytes", rc.MaxFileBytes != 0}, {"revocation.admin_token_file", rc.AdminTokenFile != ""},
			{"revocation.admin_allow_remote", rc.AdminAllowRemote},
		} {
			if k.set {
				v.bad(k.key, "set only with revocation.file")
			}
		}
		return
	}
	rs := &revocationSetup{file: v.nextToConfig(rc.File), poll: defaultRevocationPoll, allowRemote: rc.AdminAllowRemote}
	if p := rc.PollInterval; p != nil {
		rs.poll = *p
		if rs.poll != 0 && rs.poll < minRevocationPoll {
			v.bad("revocation.poll_interval", "at least %s (or 0s: only on SIGHUP), got %s", minRevocationPoll, rs.poll)
		}
	}
	rs.opts = revocation.Options{MaxEntries: rc.MaxEntries, MaxFileBytes: rc.MaxFileBytes, Issuers: denylistIssuers(v.gc.claims.Pools)}
	list, err := revocation.New(rs.opts)
	if err == nil {
		rs.replica, err = revocation.New(rs.opts)
	}
	if err != nil {
		for _, e := range joined(err) {
			var ce *revocation.ConfigError
			if errors.As(e, &ce) {
				v.bad(ce.Key, "%s", ce.Problem)
			} else {
				v.bad("revocation", "%v", e)
			}
		}
		return
	}
	if rc.AdminTokenFile != "" {
		rs.tokenFile = v.nextToConfig(rc.AdminTokenFile)
		tok, err := readAdminToken(rs.tokenFile)
		if err != nil {
			v.bad("revocation.admin_token_file", "%v", err)
		}
		rs.token = tok
	} else if rc.AdminAllowRemote {
		v.bad("revocation.admin_allow_remote", "set only with revocation.admin_token_file (the admin endpoint is off without it)")
	}
	if err := list.Load(rs.file); err != nil {
		v.others = append(v.others, joined(err)...)
		return
	}
	rs.list = list
	v.gc.revocation = rs
}

// denylistIssuers returns the issuers the pools accept, for
// revocation.Options.Issuers: an entry whose iss is none of them could
// never match, so the file is refused. For a pool given by its id, both
// Cognito issuer formats. Nil (any iss) when a pool's issuers cannot be
// listed here (replica regions): only the mistake goes unnoticed then,
// an entry never lets a token through.
func denylistIssuers(pools []claims.Pool) []string {
	var out []string
	for _, p := range pools {
		switch {
		case len(p.Regions) > 0:
			return nil
		case p.Issuer != "":
			out = append(out, p.Issuer)
		default:
			for _, form := range []func(string) (string, error){claims.CognitoIssuer, claims.UpdatedIssuer} {
				if iss, err := form(p.UserPoolID); err == nil {
					out = append(out, iss)
				}
			}
		}
	}
	return out
}

// readAdminToken reads the admin secret from path: the file's text less
// one trailing line break (and surrounding white space), at least
// minAdminTokenBytes of printable ASCII. It returns its SHA-256, which is
// what requests are compared with.
func readAdminToken(path string) ([sha256.Size]byte, error) {
	data, err := readLimited(path, maxAdminTokenBytes)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	tok := strings.TrimSpace(string(data))
	switch {
	case len(tok) < minAdminTokenBytes:
		return [sha256.Size]byte{}, fmt.Errorf("%s: the secret is %d bytes, want at least %d (e.g. `openssl rand -hex 32`)", path, len(tok), minAdminTokenBytes)
	case strings.IndexFunc(tok, func(r rune) bool { return r <= ' ' || r > unicode.MaxASCII || r == 0x7f }) >= 0:
		return [sha256.Size]byte{}, fmt.Errorf("%s: the secret must be one word of printable ASCII (it travels in an Authorization header)", path)
	}
	return sha256.Sum256([]byte(tok)), nil
}

// revocationRestart refuses a change of the revocation section between a
// and b (a reload): a running process does not apply it — the deny list,
// its bounds and the admin endpoint are set up once; the file and the
// admin secret are read again on SIGHUP, the file also when it changes.
func revocationRestart(a, b *gateConfig) error {
	if reflect.DeepEqual(a.raw.Revocation, b.raw.Revocation) {
		return nil
	}
	return fmt.Errorf("revocation: changed: %w", errRestart)
}

// nextToConfig resolves path against the configuration file's directory,
// as pools[].keys_file and policy_file are.
func (v *validator) nextToConfig(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(v.gc.file), path)
}

// revocationWarnings are the revocation section's footguns, for the
// start-up log and check.
func (gc *gateConfig) revocationWarnings() []string {
	if rs := gc.revocation; rs != nil && rs.allowRemote {
		return []string{"revocation.admin_allow_remote is set: POST /revocations on admin_listen accepts peers on other hosts; the admin secret then crosses the network, so serve the admin listener over TLS (admin_tls) or a private network only"}
	}
	return nil
}
