package main

import (
	"crypto/tls"
	"path/filepath"
	"time"
)

// maxDrainDelay bounds server.drain_delay: a load balancer notices a
// failing readiness check within seconds, and a longer delay only keeps a
// stopping pod (and a rollout) waiting.
const maxDrainDelay = 5 * time.Minute

// Polling of the files (reload.poll_interval).
const (
	defaultPollInterval = 10 * time.Second
	minPollInterval     = 100 * time.Millisecond
)

// reloadConfig is the reload section.
type reloadConfig struct {
	// Watch reloads the configuration when the configuration file, the
	// policy file, a keys_file or a TLS file changes, as SIGHUP does.
	Watch bool `yaml:"watch"`
	// PollInterval is how often the files are read to tell a change: the
	// TLS certificates and keys always (when TLS is on), the others when
	// Watch is set.
	PollInterval time.Duration `yaml:"poll_interval"`
}

// operations is what the production settings load to: the listeners' and
// the upstream's TLS, and the files a watch polls.
type operations struct {
	listenTLS, adminTLS *listenerTLS // nil: plain HTTP
	upstreamTLS         *upstreamTLS // nil: Go's defaults (system roots)
	watched             []string     // the files reload.watch polls
}

// upstreamClientConfig is the TLS configuration of serve's transport to
// the upstream (proxy.go), or nil for Go's defaults.
func (o *operations) upstreamClientConfig() *tls.Config {
	if o.upstreamTLS == nil {
		return nil
	}
	return o.upstreamTLS.config
}

// pairs returns the key pairs that the listeners and the upstream
// transport use, for polling.
func (o *operations) pairs() []*keyPair {
	var ps []*keyPair
	for _, lt := range []*listenerTLS{o.listenTLS, o.adminTLS} {
		if lt != nil {
			ps = append(ps, lt.pair)
		}
	}
	if o.upstreamTLS != nil && o.upstreamTLS.pair != nil {
		ps = append(ps, o.upstreamTLS.pair)
	}
	return ps
}

// operations checks the settings for running in production — the drain
// delay, TLS on the listeners and to the upstream, reloading — and loads
// the TLS files.
func (v *validator) operations() {
	fc := v.fc
	if d := fc.Server.DrainDelay; d > maxDrainDelay {
		v.bad("server.drain_delay", "at most %s, got %s", maxDrainDelay, d)
	}
	ops := &v.gc.ops
	ops.listenTLS = v.listenerTLS("tls", fc.TLS)
	ops.adminTLS = v.listenerTLS("admin_tls", fc.AdminTLS)
	ops.upstreamTLS = v.upstreamTLS()
	switch r := &fc.Reload; {
	case r.PollInterval == 0:
		r.PollInterval = defaultPollInterval
	case r.PollInterval < minPollInterval:
		v.bad("reload.poll_interval", "at least %s, got %s", minPollInterval, r.PollInterval)
	}
	if fc.Reload.Watch {
		ops.watched = append(ops.watched, v.gc.file)
		if v.gc.policyFile != "" {
			ops.watched = append(ops.watched, v.gc.policyFile)
		}
		for _, p := range fc.Pools {
			if p.KeysFile != "" {
				ops.watched = append(ops.watched, v.relative(p.KeysFile))
			}
		}
		if u := fc.UpstreamTLS; u.CAFile != "" {
			ops.watched = append(ops.watched, v.relative(u.CAFile))
		}
	}
}

// relative resolves path against the configuration file's directory.
func (v *validator) relative(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(v.gc.file), path)
}

// keyPair loads section's cert_file and key_file, both or neither; nil
// when neither is set or they do not load.
func (v *validator) keyPair(section, certFile, keyFile string) *keyPair {
	switch {
	case certFile == "" && keyFile == "":
		return nil
	case certFile == "":
		v.bad(section+".cert_file", "required with %s.key_file", section)
		return nil
	case keyFile == "":
		v.bad(section+".key_file", "required with %s.cert_file", section)
		return nil
	}
	p, err := loadKeyPair(v.relative(certFile), v.relative(keyFile))
	if err != nil {
		v.bad(section+".cert_file", "%v", err)
		return nil
	}
	return p
}

// minVersion checks section.min_version.
func (v *validator) minVersion(section, s string) uint16 {
	ver, ok := tlsVersions[s]
	if !ok {
		v.bad(section+".min_version", `want "1.2" or "1.3", got %q`, s)
	}
	return ver
}

// listenerTLS checks a listener's TLS section.
func (v *validator) listenerTLS(section string, c tlsListenConfig) *listenerTLS {
	ver := v.minVersion(section, c.MinVersion)
	if c.CertFile == "" && c.KeyFile == "" {
		if c.MinVersion != "" {
			v.bad(section+".min_version", "set only with %s.cert_file and key_file", section)
		}
		return nil
	}
	p := v.keyPair(section, c.CertFile, c.KeyFile)
	if p == nil {
		return nil
	}
	return &listenerTLS{pair: p, minVersion: ver}
}

// upstreamTLS checks upstream_tls against upstream.
func (v *validator) upstreamTLS() *upstreamTLS {
	u := v.fc.UpstreamTLS
	if u == (upstreamTLSConfig{}) {
		return nil
	}
	v.minVersion("upstream_tls", u.MinVersion)
	switch {
	case v.gc.upstream == nil:
		v.bad("upstream_tls", "set only with an https upstream (serve)")
	case v.gc.upstream.Scheme != "https":
		v.bad("upstream_tls", "the upstream %s is plain http; use an https upstream or remove upstream_tls", v.gc.upstream.Redacted())
	}
	if u.InsecureSkipVerify {
		// An explicit opt-out, and only that: nothing to verify with.
		for _, f := range []struct{ field, val string }{{"ca_file", u.CAFile}, {"server_name", u.ServerName}} {
			if f.val != "" {
				v.bad("upstream_tls."+f.field, "not used with insecure_skip_verify, which checks no certificate; remove one of them")
			}
		}
	}
	var caPEM []byte
	if u.CAFile != "" {
		var err error
		if caPEM, err = readLimited(v.relative(u.CAFile), maxPEMBytes); err != nil {
			v.bad("upstream_tls.ca_file", "%v", err)
			return nil
		}
	}
	pair := v.keyPair("upstream_tls", u.CertFile, u.KeyFile)
	if pair == nil && u.CertFile != "" {
		return nil
	}
	ut, err := newUpstreamTLS(u, caPEM, pair)
	if err != nil {
		v.bad("upstream_tls.ca_file", "%s: %v", u.CAFile, err)
		return nil
	}
	return ut
}

// insecureUpstreamWarning is logged at start and on every reload, and
// printed by check, while upstream_tls.insecure_skip_verify is set.
const insecureUpstreamWarning = "upstream_tls.insecure_skip_verify is set: the upstream's certificate is not checked, so anyone on the path to it can read and change every request, verified tokens and identity headers included; set upstream_tls.ca_file instead"

// operationsWarnings are the production settings' footguns, for the
// start-up log and check.
func (gc *gateConfig) operationsWarnings() []string {
	var ws []string
	if gc.raw.UpstreamTLS.InsecureSkipVerify {
		ws = append(ws, insecureUpstreamWarning)
	}
	return ws
}
