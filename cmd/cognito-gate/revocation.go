package main

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// denyList is the deny list of a serving process: the list of the file
// (revocation.file) and the entries added on this replica alone (when the
// file is read-only, see revocation_admin.go), their metrics, the admin
// endpoint, and the goroutine that watches the file. A process has one,
// from its first configuration on, across reloads (a change of the
// revocation section needs a restart: revocationRestart). The methods of a
// nil *denyList do nothing: no deny list is configured.
type denyList struct {
	setup   *revocationSetup
	logger  *zap.Logger
	file    *revocation.List // the file's entries (setup.list)
	replica *replicaEntries  // this replica's own
	// token is the SHA-256 of the admin secret, read again on SIGHUP.
	token atomic.Pointer[[sha256.Size]byte]
	// writeMu serialises this process's writes of the file (the lock
	// file serialises them with other processes').
	writeMu sync.Mutex
	// write adds a line to the file: addToFile (tests replace it to
	// play a read-only volume).
	write func(path, line string, opts revocation.Options, now time.Time) (int, error)
	admin *adminCounter

	// seen is the file list's status when its loads were last logged
	// (see logLoads).
	seenMu sync.Mutex
	seen   revocation.Status

	stop      context.CancelFunc // ends the watch; nil when not started
	done      chan struct{}      // closed when the watch has ended
	closeOnce sync.Once
}

// newDenyList returns the deny list of rs (nil when rs is nil: none
// configured), holding the entries rs loaded at validation. Start its
// watch with start, end it with close.
func newDenyList(rs *revocationSetup, logger *zap.Logger) *denyList {
	if rs == nil {
		return nil
	}
	d := &denyList{setup: rs, logger: logger.Named("revocation"), file: rs.list, replica: newReplicaEntries(rs.replica),
		write: addToFile, admin: newAdminCounter()}
	tok := rs.token
	d.token.Store(&tok)
	st := d.logged()
	d.logger.Info("deny list loaded", zap.String("file", st.File), zap.Int("entries", st.Entries), zap.Int("stale", st.Stale),
		zap.Duration("poll_interval", rs.poll), zap.Bool("admin_endpoint", rs.tokenFile != ""))
	return d
}

// denylist is what the verifier asks (claims.Config.Denylist): the
// file's entries and this replica's. Nil (an untyped nil, which
// claims.New accepts) without a deny list.
func (d *denyList) denylist() claims.Denylist {
	if d == nil {
		return nil
	}
	return unionDenylist{file: d.file, replica: d.replica.list}
}

// unionDenylist revokes what either list revokes. Both lookups are lock-
// and allocation-free (revocation.List.Revoked); the replica's list is
// empty unless entries were added on this replica.
type unionDenylist struct{ file, replica *revocation.List }

var _ claims.Denylist = unionDenylist{}

func (u unionDenylist) Revoked(t *claims.Token, now time.Time) bool {
	return u.file.Revoked(t, now) || u.replica.Revoked(t, now)
}

// reload is SIGHUP's part for the deny list: the file is loaded again
// (a file with any problem keeps the entries held) and so is the admin
// secret (a file that does not read keeps the secret held). Both are
// logged, with counts. It is independent of the reload of the
// configuration file, which checks the deny list file too.
func (d *denyList) reload() {
	if d == nil {
		return
	}
	err := d.file.Reload()
	st := d.logged()
	if err != nil {
		d.logger.Error("revocation reload failed; keeping the entries held", zap.String("file", st.File),
			zap.Int("entries", st.Entries-st.Expired), zap.Error(err))
	} else {
		d.logger.Info("revocation reloaded", zap.String("file", st.File), zap.Int("entries", st.Entries-st.Expired), zap.Int("stale", st.Stale))
	}
	if d.setup.tokenFile == "" {
		return
	}
	tok, err := readAdminToken(d.setup.tokenFile)
	if err != nil {
		d.logger.Error("revocation admin secret not reloaded; keeping the one held", zap.String("admin_token_file", d.setup.tokenFile), zap.Error(err))
		return
	}
	d.token.Store(&tok)
}

// start starts the watch of the file, when revocation.poll_interval is
// not 0: a goroutine of the deny list's, ended by close.
func (d *denyList) start() {
	if d == nil || d.setup.poll == 0 || d.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.stop, d.done = cancel, make(chan struct{})
	ticker := time.NewTicker(d.setup.poll)
	go func() {
		defer close(d.done)
		defer ticker.Stop()
		d.watch(ctx, ticker.C)
	}()
}

// watch runs revocation.List.Watch on ticks until ctx ends. Watch reports
// refused files (logged here); the loads it makes are logged from their
// effect on the list's status, once the next tick shows that the poll
// of the previous one is over (Watch takes a tick only between polls).
func (d *denyList) watch(ctx context.Context, ticks <-chan time.Time) {
	fwd := make(chan time.Time)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		d.file.Watch(ctx, fwd, func(err error) {
			d.logger.Error("revocation file refused; keeping the entries held", zap.Error(err))
		})
	}()
	defer func() { <-watched }()
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-ticks:
			select {
			case fwd <- t:
			case <-ctx.Done():
				return
			}
			d.logLoads()
		}
	}
}

// logLoads logs the loads of the file made since it was last looked at
// (by Watch: the others are logged where they are made, and refusals
// reported by Watch).
func (d *denyList) logLoads() {
	d.seenMu.Lock()
	defer d.seenMu.Unlock()
	st := d.file.Status()
	if ok := (st.Loads - st.Failures) - (d.seen.Loads - d.seen.Failures); ok > 0 {
		d.logger.Info("revocation file changed; loaded", zap.String("file", st.File), zap.Int("entries", st.Entries-st.Expired), zap.Int("stale", st.Stale))
	}
	d.seen = st
}

// logged returns the file list's status after a load its caller logs
// itself, and marks that load as logged for logLoads.
func (d *denyList) logged() revocation.Status {
	d.seenMu.Lock()
	defer d.seenMu.Unlock()
	d.seen = d.file.Status()
	return d.seen
}

// close ends the watch and removes this replica's entries' file. Safe to
// call more than once.
func (d *denyList) close() {
	if d == nil {
		return
	}
	d.closeOnce.Do(func() {
		if d.stop != nil {
			d.stop()
			<-d.done
		}
		d.replica.close()
	})
}
