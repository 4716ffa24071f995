package middleware_test

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
)

// TestDenialWithUnsentBodyIsAnsweredAtOnce guards finding 10 in
// Handler: a request that announced a body it never sent was denied only
// after net/http had waited, with no deadline, to discard the body. The
// Echo adapters run the same suite (adaptertest.UnsentBody).
func TestDenialWithUnsentBodyIsAnsweredAtOnce(t *testing.T) {
	adaptertest.UnsentBody(t, adaptertest.NetHTTP)
}

// TestStatusesLikeEveryAdapter: Handler answers the shared suite's
// statuses, challenges and bodies, as the Echo adapters must.
func TestStatusesLikeEveryAdapter(t *testing.T) { adaptertest.Statuses(t, adaptertest.NetHTTP) }
