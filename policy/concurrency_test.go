package policy_test

import (
	"sync"
	"testing"
)

// TestConcurrentDecide runs the example table from many goroutines at once
// on one policy; run it with -race.
func TestConcurrentDecide(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p := loadExample(t)
	type expected struct {
		tc   decideCase
		want string
	}
	var cases []expected
	for _, tc := range exampleCases {
		cases = append(cases, expected{tc, p.Decide(request(t, tc.method, tc.target), users[tc.user]).String()})
	}
	const goroutines = 8
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range 20 {
				for k := range cases {
					c := cases[(k+g+i)%len(cases)]
					r := request(t, c.tc.method, c.tc.target)
					tok := users[c.tc.user]
					var got string
					if (k+g)%4 == 0 {
						got = p.Explain(r, tok).Decision.String()
					} else {
						got = p.Decide(r, tok).String()
					}
					if got != c.want {
						errs <- c.tc.name + ": " + got + "; want " + c.want
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
