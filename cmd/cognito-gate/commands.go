package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return serveCommand(ctx, args, stdout, stderr, commandServe,
		"serve [--config gate.yaml]\n\nRuns the reverse proxy on listen, forwarding allowed requests to upstream,\nand /metrics, /healthz and /readyz on admin_listen. SIGHUP reloads the\nconfiguration and the deny list; SIGINT or SIGTERM drain (server.drain_delay) and shut down\ngracefully.",
		"proxy", (*gate).proxyHandler, true)
}

func cmdForwardAuth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return serveCommand(ctx, args, stdout, stderr, commandForwardAuth,
		"forward-auth [--config gate.yaml]\n\nRuns an auth endpoint on listen for nginx auth_request, Traefik ForwardAuth\nand Envoy ext_authz: 200 with identity headers, or 401/403/503.",
		"forward-auth", (*gate).forwardAuthHandler, false)
}

// serveCommand parses a serving command's flags, loads the configuration
// and serves the listener name with handler; needUpstream requires (and
// makes /readyz check) an upstream.
func serveCommand(ctx context.Context, args []string, stdout, stderr io.Writer, cmd, synopsis, name string, handler func(*gate) http.Handler, needUpstream bool) error {
	fs := newFlags(cmd, synopsis, stderr)
	load := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	if err := cfg.forCommand(cmd); err != nil {
		return err
	}
	return serveWith(ctx, cfg, cmd, name, stdout, handler, needUpstream)
}

// serveWith starts the instance of cfg and serves handler on listen until
// a signal; SIGHUP (and reload.watch) reload the whole configuration.
func serveWith(ctx context.Context, cfg *gateConfig, cmd, name string, stdout io.Writer, handler func(*gate) http.Handler, needUpstream bool) error {
	in, err := newInstance(cfg, cmd, name, handler, needUpstream)
	if err != nil {
		return err
	}
	if in.heap = startHeapFloor(cfg.raw.Server, in.logger); in.heap != nil {
		defer in.heap.Stop()
	}
	lns, err := in.listen()
	if err == nil && cmd == commandForwardAuth {
		// forward_auth.grpc_listen, when set; each call judged by the
		// current generation.
		lns, err = openExtAuthz(lns, func() *gate { return in.current().g })
	}
	if err != nil {
		in.close()
		return err
	}
	hctx, cancel := context.WithTimeout(ctx, hydrateTimeout)
	in.current().g.hydrate(hctx)
	cancel()
	return in.serve(ctx, lns, stdout)
}

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", "check [--config gate.yaml] [--command serve|forward-auth]\n\nValidates a configuration file (and its policy) as the command would at\nstart-up, without contacting any user pool; prints every problem with its\nfile, line and field, then the warnings the command would log.", stderr)
	load := configFlag(fs)
	cmd := fs.String("command", commandServe, "the `command` the configuration is for: serve or forward-auth")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *cmd != commandServe && *cmd != commandForwardAuth {
		return usageErr(fs, "--command %q: want %s or %s", *cmd, commandServe, commandForwardAuth)
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	if err := cfg.forCommand(*cmd); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok for %s: %d user pool(s), %d policy rule(s), default %s\n", cfg.file, *cmd, len(cfg.claims.Pools), len(cfg.policy.Rules()), cfg.policy.Default())
	for _, w := range append(cfg.warnings(*cmd), cfg.operationsWarnings()...) {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	return nil
}

// readToken takes the token from the arguments of fs or, for "-", stdin.
func readToken(fs *flag.FlagSet, stdin io.Reader) (string, error) {
	args := fs.Args()
	switch {
	case len(args) == 0:
		return "", nil
	case len(args) > 1:
		return "", usageErr(fs, "%d arguments; want one token (or - to read it from stdin), after the flags", len(args))
	case args[0] == "-":
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(strings.TrimPrefix(args[0], "Bearer ")), nil
}

// verifyOnce starts a verifier for cfg, loads the keys and checks raw.
func verifyOnce(ctx context.Context, cfg *gateConfig, raw string) (*claims.Token, error) {
	v, err := claims.New(cfg.claims)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := v.Hydrate(hctx); err != nil {
		return nil, err
	}
	return v.Verify(ctx, raw)
}

func cmdVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("verify", "verify [--config gate.yaml] TOKEN|-\n\nVerifies one token against the configured user pools (fetching their keys)\nand prints its claims as JSON, or the reason it is rejected (exit 1).", stderr)
	load := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	raw, err := readToken(fs, stdin)
	if err != nil {
		return err
	}
	if raw == "" {
		return usageErr(fs, "no token; give one, or - to read it from stdin")
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	tok, err := verifyOnce(ctx, cfg, raw)
	if err != nil {
		r := claims.ReasonOf(err)
		fmt.Fprintf(stdout, "invalid: %s (HTTP %d)\n%v\n", r, r.Status(), err)
		return errSilent
	}
	m, err := tok.Claims()
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(map[string]any{"valid": true, "token_use": tok.Use, "kid": tok.KeyID, "claims": m}, "", "  ")
	fmt.Fprintln(stdout, string(out))
	return nil
}

func cmdExplain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("explain", "explain [--config gate.yaml] [--method GET] [--host HOST] --path PATH [TOKEN|-]\n\nShows how the policy decides a request, rule by rule. With a token, the\ntoken is verified first (fetching keys); without one, the request is\nanonymous.", stderr)
	load := configFlag(fs)
	method := fs.String("method", "GET", "request `method`")
	path := fs.String("path", "", "request `path`, e.g. /admin/users (required)")
	host := fs.String("host", "", "request `host`, for host rules")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *path == "":
		return usageErr(fs, "--path is required")
	case !strings.HasPrefix(*path, "/"):
		return usageErr(fs, "--path %q: want a path that starts with /, e.g. /admin/users", *path)
	}
	raw, err := readToken(fs, stdin)
	if err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	var tok *claims.Token
	if raw != "" {
		tok, err = verifyOnce(ctx, cfg, raw)
		if err != nil {
			r := claims.ReasonOf(err)
			fmt.Fprintf(stdout, "token rejected before the policy: %s (HTTP %d)\n%v\n", r, r.Status(), err)
			return errSilent
		}
	}
	req := httptest.NewRequest(*method, *path, nil)
	if *host != "" {
		req.Host = *host
	}
	ex := cfg.policy.Explain(req, tok)
	fmt.Fprint(stdout, ex.String())
	if !strings.HasSuffix(ex.String(), "\n") {
		fmt.Fprintln(stdout)
	}
	if !ex.Decision.Allow {
		return errSilent
	}
	return nil
}

func b64url(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
