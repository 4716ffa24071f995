package claims

import (
	"net/http"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// TestOnDemandClient: on-demand key sets use the configured HTTP client,
// or one made as the key cache makes its own, whose timeouts follow
// FetchTimeout (a longer FetchTimeout must not be cut short at 3 s).
func TestOnDemandClient(t *testing.T) {
	given := &http.Client{}
	if c, own := onDemandClient(jwks.Config{HTTPClient: given}); c != given || own {
		t.Errorf("configured client: %p, own %v; want %p, not owned", c, own, given)
	}
	for _, tt := range []struct{ fetch, want time.Duration }{{0, jwks.DefaultFetchTimeout}, {7 * time.Second, 7 * time.Second}, {time.Second, time.Second}} {
		c, own := onDemandClient(jwks.Config{FetchTimeout: tt.fetch})
		tr, ok := c.Transport.(*http.Transport)
		if !own || !ok || c.Timeout != tt.want || tr.ResponseHeaderTimeout != tt.want || c.CheckRedirect == nil {
			t.Errorf("FetchTimeout %s: own %v, timeout %s, transport %T; want owned, %s, no redirects", tt.fetch, own, c.Timeout, c.Transport, tt.want)
		}
	}
}

// TestOnDemandBackoff: Cooldown, doubling per 403/404 answer in a row, at
// most MaxBackoff; the key cache's defaults for zero values.
func TestOnDemandBackoff(t *testing.T) {
	o := &onDemand{cfg: jwks.Config{Cooldown: time.Second, MaxBackoff: 5 * time.Second}}
	var got []time.Duration
	for o.absences = 1; o.absences <= 5; o.absences++ {
		got = append(got, o.backoff())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("back-offs %v, want %v", got, want)
		}
	}
	o = &onDemand{absences: 1}
	if d := o.backoff(); d != jwks.DefaultCooldown {
		t.Errorf("default first back-off %s, want %s", d, jwks.DefaultCooldown)
	}
	o.absences = 100
	if d := o.backoff(); d != jwks.DefaultMaxBackoff {
		t.Errorf("default last back-off %s, want %s", d, jwks.DefaultMaxBackoff)
	}
}
