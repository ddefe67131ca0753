package stack

import "testing"

func TestApplicationLogLevel(t *testing.T) {
	for level, want := range map[string]string{"debug": "DEBUG", "info": "INFO", "warn": "INFO", "error": "INFO"} {
		if got := string(applicationLogLevel(level)); got != want {
			t.Errorf("applicationLogLevel(%q) = %s, want %s (EMF metric lines are rated INFO)", level, got, want)
		}
	}
}
