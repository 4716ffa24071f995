package main

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/exampletest"
)

func TestExample(t *testing.T) {
	if n := exampletest.ReplayCurl(t, run); n != 5 {
		t.Errorf("%d curl lines replayed, want 5", n)
	}
}
