package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cognito-gate/cognito-gate/revocation"
)

// replicaEntries are the entries added on this replica alone: by the
// admin endpoint when the deny list file is read-only (a ConfigMap). They
// are checked like the file's (a revocation.List with the same options,
// loaded from a file of this process's own in a temporary directory
// made at the first entry), held until they expire or the process ends,
// and never seen by other replicas.
type replicaEntries struct {
	list *revocation.List // empty until the first entry

	mu      sync.Mutex
	dir     string // the temporary directory; "" before the first entry
	entries []revocation.Entry
}

// newReplicaEntries returns an empty set of entries held in l, an empty
// list.
func newReplicaEntries(l *revocation.List) *replicaEntries {
	return &replicaEntries{list: l}
}

// add adds e, at now: the entries that have not expired and e are
// written to this replica's file and loaded. An entry the list refuses
// changes nothing, and the error is the list's (its line is the last of
// the entries held).
func (r *replicaEntries) add(e revocation.Entry, now time.Time) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dir == "" {
		dir, err := os.MkdirTemp("", "cognito-gate-revocations-")
		if err != nil {
			return 0, err
		}
		r.dir = dir
	}
	var keep []revocation.Entry
	var b strings.Builder
	for _, x := range append(r.entries, e) {
		if now.Before(x.Expires) {
			keep = append(keep, x)
			b.WriteString(x.String())
			b.WriteByte('\n')
		}
	}
	path := filepath.Join(r.dir, "replica.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return 0, err
	}
	if err := r.list.Load(path); err != nil {
		return 0, err
	}
	r.entries = keep
	return len(keep), nil
}

// close removes the replica's file.
func (r *replicaEntries) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dir != "" {
		os.RemoveAll(r.dir)
		r.dir = ""
	}
}
