package main

import (
	"crypto/sha256"
	"time"

	"go.uber.org/zap"
)

// watcher polls files every reload.poll_interval: the TLS certificates and
// keys of the current generation, read again in place when they change
// (a pair that does not load keeps the previous one, logged), and, with
// reload.watch, the configuration's files, a change of which asks for a
// reload (triggers) as SIGHUP does. It reads the files rather than
// watching for events: no inotify, and it follows the symbolic-link
// swaps of Kubernetes volumes like any other change. A change is loaded
// once the files have stayed the same for one poll (see fileStates).
type watcher struct {
	in       *instance
	triggers chan<- struct{}

	files    fileStates
	lastErrs map[string]string // the last failure logged, by certificate file
}

// loop checks at each tick until done; a nil tick means a timer of the
// current generation's poll interval.
func (w *watcher) loop(done <-chan struct{}, tick <-chan time.Time) {
	w.check() // the files as loaded: the baseline
	for {
		t := tick
		var timer *time.Timer
		if t == nil {
			timer = time.NewTimer(w.in.current().g.cfg.raw.Reload.PollInterval)
			t = timer.C
		}
		select {
		case <-done:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-t:
		}
		w.check()
	}
}

// check refreshes the key pairs and looks at the watched files once.
func (w *watcher) check() {
	cfg := w.in.current().g.cfg
	if w.lastErrs == nil {
		w.lastErrs = map[string]string{}
	}
	for _, p := range cfg.ops.pairs() {
		changed, err := p.refresh()
		switch {
		case err != nil:
			// Logged once per distinct failure, not at every poll.
			if w.lastErrs[p.certFile] != err.Error() {
				w.in.logger.Error("certificate not reloaded; keeping the current one", zap.String("cert_file", p.certFile), zap.Error(err))
				w.lastErrs[p.certFile] = err.Error()
			}
		case changed:
			delete(w.lastErrs, p.certFile)
			w.in.logger.Info("certificate reloaded", zap.String("cert_file", p.certFile), zap.Time("not_after", p.notAfter()))
		}
	}
	if !cfg.raw.Reload.Watch {
		return
	}
	sums := make(map[string][sha256.Size]byte, len(cfg.ops.watched))
	for _, f := range cfg.ops.watched {
		sums[f] = fileSum(f)
	}
	if w.files.poll(sums) {
		select {
		case w.triggers <- struct{}{}:
		default: // a reload is asked for already
		}
	}
}

// fileSum is the SHA-256 of file, or of nothing when it cannot be read (a
// file that goes away and comes back is a change too).
func fileSum(file string) [sha256.Size]byte {
	data, err := readLimited(file, maxConfigBytes)
	if err != nil {
		return sha256.Sum256([]byte("unreadable: " + err.Error()))
	}
	return sha256.Sum256(data)
}

// fileStates decides, poll by poll, when the watched files ask for a
// reload: when one differs from what was last loaded and none changed
// since the previous poll. A file written in place (an editor, a
// ConfigMap tool that truncates and writes) can be read half written, and
// half a policy can be a valid one with rules or requirements missing;
// waiting for a quiet poll loads it whole. A rename (Kubernetes' symbolic
// link swap) is whole at once, and is loaded one poll later than it was
// seen.
type fileStates struct {
	loaded map[string][sha256.Size]byte // as at the last reload, or at start
	last   map[string][sha256.Size]byte // as at the previous poll
}

// poll takes the files' sums at one poll and reports whether to reload.
// The first poll is the baseline.
func (s *fileStates) poll(sums map[string][sha256.Size]byte) bool {
	if s.loaded == nil {
		s.loaded, s.last = sums, sums
		return false
	}
	stable, changed := true, false
	for f, sum := range sums {
		if last, ok := s.last[f]; !ok || last != sum {
			stable = false
		}
		if loaded, ok := s.loaded[f]; !ok || loaded != sum {
			changed = true
		}
	}
	s.last = sums
	if stable && changed {
		s.loaded = sums
		return true
	}
	return false
}
