package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/revocation"
)

// revokeSynopsis is revoke's usage text.
const revokeSynopsis = `revoke [--config gate.yaml] (--jti ID | --origin-jti ID | --sub SUB | --username NAME | --client-id ID)
         [--issued-before TIME|now] [--iss ISSUER] [--expires DURATION|TIME] [--note TEXT]

Adds one entry to the deny list file (revocation.file of the configuration):
the tokens it names are refused (401 revoked) by every gate reading the file,
once they load it (revocation.poll_interval, or SIGHUP at once).

  --jti            one token
  --origin-jti     every token of one sign-in (what RevokeToken ends)
  --sub, --username  one user's tokens; with --issued-before, only those of
                   sign-ins before it (a global sign-out: --issued-before now)
  --client-id      one app client's tokens

expires defaults to 24h5m from now, when every token issued until now has
expired; it is at most 24h10m ahead. The file is replaced whole (lines that
have expired dropped), under a lock shared with the gates' admin endpoint,
and only if the result loads: a refused entry leaves the file as it was.
Exit status 0 when added, 1 when refused, 2 for a usage error.`

func cmdRevoke(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("revoke", revokeSynopsis, stderr)
	load := configFlag(fs)
	kinds := []struct {
		flag string
		kind revocation.Kind
		val  *string
	}{
		{"jti", revocation.JTI, fs.String("jti", "", "revoke the token with this `jti`")},
		{"origin-jti", revocation.OriginJTI, fs.String("origin-jti", "", "revoke every token of the sign-in with this `origin_jti`")},
		{"sub", revocation.Subject, fs.String("sub", "", "revoke the tokens of the user with this `sub`")},
		{"username", revocation.Username, fs.String("username", "", "revoke the tokens of the user with this `username`")},
		{"client-id", revocation.ClientID, fs.String("client-id", "", "revoke the tokens of the app client with this `id`")},
	}
	before := fs.String("issued-before", "", "only tokens of sign-ins before this `time` (RFC 3339, or now); --sub, --username, --client-id")
	iss := fs.String("iss", "", "only tokens of the pool with this `issuer`")
	expires := fs.String("expires", "", "when the entry goes: a `duration` from now (2h) or an RFC 3339 time; default 24h5m")
	note := fs.String("note", "", "free `text` for people (a ticket, who and why)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	now := time.Now()
	var e revocation.Entry
	var names []string
	for _, k := range kinds {
		if given[k.flag] {
			names = append(names, "--"+k.flag)
			e.Kind, e.Value = k.kind, *k.val
		}
	}
	if len(names) != 1 {
		return usageErr(fs, "want exactly one of --jti, --origin-jti, --sub, --username, --client-id; got %s", orNone(names))
	}
	e.Issuer, e.Note = *iss, *note
	if given["iss"] && *iss == "" {
		return usageErr(fs, "--iss: empty; leave it out for every pool")
	}
	if given["issued-before"] {
		t, err := revokeTime(*before, now, false)
		if err != nil {
			return usageErr(fs, "--issued-before: %v", err)
		}
		e.IssuedBefore = t
	}
	e.Expires = revocation.ExpiresFor(now)
	if given["expires"] {
		t, err := revokeTime(*expires, now, true)
		if err != nil {
			return usageErr(fs, "--expires: %v", err)
		}
		e.Expires = t
	}
	if err := checkExpiresAhead(e, now); err != nil {
		return usageErr(fs, "--%v", err)
	}

	cfg, err := load()
	if err != nil {
		return err
	}
	rs := cfg.revocation
	if rs == nil {
		return fmt.Errorf("%s: revocation.file is not set: there is no deny list to add to", cfg.file)
	}
	line := e.String()
	n, err := addToFile(rs.file, line, rs.opts, now)
	switch {
	case errors.Is(err, errReadOnly):
		return fmt.Errorf("%s cannot be written here (%w); add the line where the file comes from (the ConfigMap, the repository):\n%s", rs.file, err, line)
	case errors.Is(err, revocation.ErrInvalid):
		return fmt.Errorf("not added; the file is unchanged:\n%w", err)
	case err != nil:
		return fmt.Errorf("not added: %w", err)
	}
	fmt.Fprintf(stdout, "%s:%d: added %s\n", rs.file, n, line)
	if rs.poll > 0 {
		fmt.Fprintf(stdout, "gates reading the file load it within %s (revocation.poll_interval); SIGHUP loads it at once\n", rs.poll)
	} else {
		fmt.Fprintln(stdout, "revocation.poll_interval is 0s: send SIGHUP to the gates to load it")
	}
	return nil
}

// revokeTime reads a time flag at now: an RFC 3339 time in whole
// seconds; for issued_before "now" (rounded up to the second, so that a
// sign-in in the same second is not cut off by the watermark); for
// expires (duration) a duration from now (rounded up to the second).
func revokeTime(s string, now time.Time, duration bool) (time.Time, error) {
	if s == "now" && !duration {
		return ceilToSecond(now), nil
	}
	if duration {
		if d, err := time.ParseDuration(s); err == nil {
			if d <= 0 {
				return time.Time{}, fmt.Errorf("%s: want a positive duration", s)
			}
			return ceilToSecond(now.Add(d)), nil
		}
	}
	t, err := parseEntryTime(s)
	if err != nil && duration {
		return time.Time{}, fmt.Errorf("%w, or a duration such as 2h", err)
	}
	return t, err
}

// ceilToSecond rounds t up to a whole second.
func ceilToSecond(t time.Time) time.Time {
	if s := t.Truncate(time.Second); !s.Equal(t) {
		return s.Add(time.Second)
	}
	return t
}

// orNone joins names, or says none.
func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, " and ")
}
