package main

import (
	"os"
	"testing"
)

// thresholdData holds two log files whose failed sign-ins reach the threshold
// of explainData's local-signin-failures rule only together.
const thresholdData = pkgDir + "/testdata/threshold"

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
		// carol's third failed sign-in in 09:00-09:05 is in the second file: one threshold
		// alert, which names the threshold, the window and the user; dave's one failure and
		// carol's failure at 09:05:00 (the next window) alert nothing.
		{"scan-threshold.golden", []string{"scan", "--rules", explainData + "/rules", thresholdData + "/1.jsonl", thresholdData + "/2.jsonl"}, ""},
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
