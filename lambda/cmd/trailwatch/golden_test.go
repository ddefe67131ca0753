package main

import (
	"os"
	"testing"
)

// TestGolden pins the full output of the commands over the repository's
// sample data; go test -update rewrites the files after a deliberate change.
func TestGolden(t *testing.T) {
	pkg := chdirRoot(t)
	events, err := os.ReadFile(jsonLines)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		golden string
		args   []string
		stdin  string
	}{
		// make demo: every CIS rule fires, the digest file is skipped.
		{"scan-demo-text.golden", []string{"scan", demoDir}, ""},
		{"scan-demo-json.golden", []string{"scan", "--format", "json", demoDir}, ""},
		// One log file, two events shown per alert: the rest are counted.
		{"scan-events-per-alert.golden", []string{"scan", "--events-per-alert", "2", usEast1a}, ""},
		// A truncated gzip: its matches before the damage, then the next file.
		{"scan-truncated.golden", []string{"scan", truncated, jsonLines}, ""},
		{"scan-truncated-json.golden", []string{"scan", "--format", "json", truncated, jsonLines}, ""},
		{"scan-stdin.golden", []string{"scan", "-"}, string(events)},
		{"test-embedded.golden", []string{"test"}, ""},
		// Several broken files: every problem, file:line:col, the good rules still tested.
		{"test-broken.golden", []string{"test", "--rules", broken}, ""},
		{"grep-root.golden", []string{"grep", `{ $.userIdentity.type = "Root" }`, demoDir}, ""},
		{"grep-bad-pattern.golden", []string{"grep", `{ ($.userIdentity.type = "Root") && ($.eventType != "AwsServiceEvent" }`, demoDir}, ""},
		{"grep-unclosed-string.golden", []string{"grep", `{ $.eventName = "ConsoleLogin }`, "-"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := runCLI(tt.stdin, tt.args...)
			checkGolden(t, pkg, tt.golden, r.golden(tt.args))
		})
	}
}
