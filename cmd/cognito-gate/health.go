package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// defaultHealthURL is what `cognito-gate health` asks without --url: the
// liveness endpoint of the default admin listener.
const defaultHealthURL = "http://" + defaultAdminListen + "/healthz"

// maxHealthBody bounds what health reads and prints of an answer.
const maxHealthBody = 4 << 10

func cmdHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("health", "health [--url "+defaultHealthURL+"] [--timeout 2s] [--ca-file FILE | --insecure-skip-verify]\n\nAsks a running gateway's admin listener and exits 0 when it answers 2xx,\n1 otherwise (another status, no answer in time, no connection), printing\nthe status and the answer: /healthz says the process serves, /readyz that\nit can verify tokens (not while draining). For container health checks\nin images without a shell or curl. Proxy variables are ignored and\nredirects are not followed.", stderr)
	rawURL := fs.String("url", defaultHealthURL, "the `URL` to ask: http or https, normally /healthz or /readyz of admin_listen")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the whole answer")
	caFile := fs.String("ca-file", "", "PEM `file` of the CA certificates that sign an https admin listener's certificate (default: the system's)")
	insecure := fs.Bool("insecure-skip-verify", false, "do not verify an https admin listener's certificate (a check of this machine's own listener)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	u, err := url.Parse(*rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return usageErr(fs, "--url %q: want an http or https URL such as %s", *rawURL, defaultHealthURL)
	}
	if *timeout <= 0 {
		return usageErr(fs, "--timeout %s: want a positive duration such as 2s", *timeout)
	}
	if *caFile != "" && *insecure {
		return usageErr(fs, "set --ca-file or --insecure-skip-verify, not both")
	}
	if (*caFile != "" || *insecure) && u.Scheme != "https" {
		return usageErr(fs, "--ca-file and --insecure-skip-verify are for https URLs; --url is %s", u.Redacted())
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: *insecure}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("--ca-file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--ca-file %s: no PEM certificate in it", *caFile)
		}
	}
	client := &http.Client{
		Timeout:       *timeout,
		Transport:     &http.Transport{Proxy: nil, TLSClientConfig: tc, DisableKeepAlives: true, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	healthy, report := probe(ctx, client, u.String())
	fmt.Fprintln(stdout, report)
	if !healthy {
		return errSilent
	}
	return nil
}

// probe asks target with a GET and reports whether it answered 2xx, and a
// line or more saying what it answered.
func probe(ctx context.Context, client *http.Client, target string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return false, "unhealthy: " + err.Error()
	}
	req.Header.Set("User-Agent", "cognito-gate-health")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, fmt.Sprintf("unhealthy: %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxHealthBody))
	text := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	state := "healthy"
	if !ok {
		state = "unhealthy"
	}
	line := fmt.Sprintf("%s: %s: %s", state, target, resp.Status)
	if text != "" {
		line += "\n" + text
	}
	return ok, line
}
