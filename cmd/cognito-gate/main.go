// Command cognito-gate verifies Amazon Cognito tokens in front of an API:
// as a reverse proxy (serve), as the auth endpoint of nginx, Traefik or
// Envoy (forward-auth), or as a tool to check configurations, tokens and
// policy decisions. `cognito-gate demo` runs all of it against a fake user
// pool, with no AWS account.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

const usage = `cognito-gate verifies Amazon Cognito tokens in front of an API.

Usage:
  cognito-gate <command> [flags]

Commands:
  serve         run the reverse proxy: verify, apply the policy, forward to the upstream
  forward-auth  run an auth endpoint for nginx auth_request, Traefik ForwardAuth, Envoy ext_authz
  demo          run a fake user pool, a demo upstream and the gateway on 127.0.0.1 (no AWS account)
  verify        verify one token and print its claims or the reason it fails
  explain       explain the policy's decision for one request, rule by rule
  check         validate a configuration file
  revoke        add an entry to the deny list file (revocation.file): a token, a sign-in, a user, an app client
  health        ask a running gateway's /healthz or /readyz (exit 0 or 1), for images without curl
  version       print the version, the VCS revision and the Go version (also --version)

Run 'cognito-gate <command> --help' for a command's flags.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// errUsage reports a command-line mistake (exit status 2). A bare errUsage
// is one whose explanation was printed already; usageErr makes one that run
// explains.
var errUsage = errors.New("usage")

// usageError is a command-line mistake that run explains on stderr: the
// reason, then the command's usage.
type usageError struct {
	msg   string
	fs    *flag.FlagSet // whose Usage follows the reason; nil for none
	shown bool          // already explained (by the flag package)
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return errUsage }

// usageErr returns a usage error of the command of fs.
func usageErr(fs *flag.FlagSet, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), fs: fs}
}

// printUsageError explains the usage error err of cmd: nothing for a bare
// errUsage or one the flag package printed; else the reason and, when
// known, the command's usage.
func printUsageError(stderr io.Writer, cmd string, err error) {
	if err == errUsage {
		return
	}
	var ue *usageError
	if !errors.As(err, &ue) {
		fmt.Fprintf(stderr, "cognito-gate %s: %s\n", cmd, strings.TrimPrefix(err.Error(), "usage: "))
		return
	}
	if ue.shown {
		return
	}
	fmt.Fprintf(stderr, "cognito-gate %s: %s\n", cmd, ue.msg)
	if ue.fs != nil {
		fmt.Fprintln(stderr)
		ue.fs.Usage()
	}
}

// run executes one command line and returns the exit status: 0 success, 1
// failure (an invalid token, a denied request, a broken configuration),
// 2 usage error.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, rest, stdout, stderr)
	case "forward-auth":
		err = cmdForwardAuth(ctx, rest, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, rest, stdout, stderr)
	case "verify":
		err = cmdVerify(ctx, rest, stdin, stdout, stderr)
	case "explain":
		err = cmdExplain(ctx, rest, stdin, stdout, stderr)
	case "check":
		err = cmdCheck(rest, stdout, stderr)
	case "revoke":
		err = cmdRevoke(rest, stdout, stderr)
	case "health":
		err = cmdHealth(ctx, rest, stdout, stderr)
	case "version", "--version", "-version", "-v":
		fmt.Fprintln(stdout, readBuildInfo())
		return 0
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "cognito-gate: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		printUsageError(stderr, cmd, err)
		return 2
	case errors.Is(err, errSilent):
		return 1
	default:
		fmt.Fprintf(stderr, "cognito-gate %s: %s\n", cmd, strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 1
	}
}

// errSilent is a failure whose message was already printed.
var errSilent = errors.New("failed")

// newFlags returns a flag set for a command that prints its help to stderr.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cognito-gate %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag errors (which the flag package
// explains, with the usage) into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error(), fs: fs, shown: true}
	}
	return nil
}

// noArgs refuses arguments after the flags of a command that takes none.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageErr(fs, "unexpected argument %q (this command takes only flags)", fs.Arg(0))
	}
	return nil
}

// configFlag adds --config and returns the loader for it.
func configFlag(fs *flag.FlagSet) func() (*gateConfig, error) {
	path := fs.String("config", "gate.yaml", "configuration `file`")
	return func() (*gateConfig, error) { return loadConfig(*path, nil) }
}
