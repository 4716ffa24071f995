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
  version       print the version

Run 'cognito-gate <command> --help' for a command's flags.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// errUsage reports a command-line mistake (exit status 2).
var errUsage = errors.New("usage")

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
	case "version", "--version", "-version", "-v":
		fmt.Fprintln(stdout, "cognito-gate", versionString())
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

// parseFlags parses args, turning flag errors into errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// configFlag adds --config and returns the loader for it.
func configFlag(fs *flag.FlagSet) func() (*gateConfig, error) {
	path := fs.String("config", "gate.yaml", "configuration `file`")
	return func() (*gateConfig, error) { return loadConfig(*path, nil) }
}
