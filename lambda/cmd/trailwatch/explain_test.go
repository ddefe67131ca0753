package main

import (
	"os"
	"strings"
	"testing"
)

const explainData = pkgDir + "/testdata/explain"

// TestExplainGolden pins the explanations; go test -update rewrites them.
func TestExplainGolden(t *testing.T) {
	pkg := chdirRoot(t)
	signins, err := os.ReadFile(explainData + "/signins.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		golden string
		args   []string
		stdin  string
	}{
		// One pretty-printed event: every condition of an && holds.
		{"explain-signin-no-mfa.golden", []string{"explain", "cis-3.2", explainData + "/signin-no-mfa.json"}, ""},
		// A long || where one term holds; --first stops early.
		{"explain-first.golden", []string{"explain", "--first", "3", "cis-3.5", jsonLines}, ""},
		// Exclude entries: one suppresses, an expired one does not; hostile text is escaped.
		{"explain-exclude.golden", []string{"explain", "--rules", explainData + "/rules", "local-iam-changes", explainData + "/iam-changes.jsonl"}, ""},
		// A shadow rule, and a threshold rule, on standard input.
		{"explain-shadow.golden", []string{"explain", "--rules", explainData + "/rules", "local-root-shadow", "-"}, string(signins)},
		{"explain-threshold.golden", []string{"explain", "--rules", explainData + "/rules", "local-signin-failures", "-"}, string(signins)},
		// A pattern rather than a rule, over a delivered log file.
		{"explain-pattern.golden", []string{"explain", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`, jsonLines}, ""},
		{"explain-bad-pattern.golden", []string{"explain", `{ $.eventName = }`, jsonLines}, ""},
		{"explain-unknown-rule.golden", []string{"explain", "cis-9.9", jsonLines}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := runCLI(tt.stdin, tt.args...)
			checkGolden(t, pkg, tt.golden, r.golden(tt.args))
		})
	}
}

func TestExplain(t *testing.T) {
	chdirRoot(t)
	tests := []struct {
		name           string
		args           []string
		stdin          string
		code           int
		stdout, stderr string
	}{
		{"alerts", []string{"explain", "cis-3.2", explainData + "/signin-no-mfa.json"}, "", 0, "Result: match: cis-3.2 alerts", ""},
		{"no match", []string{"explain", "cis-3.3", explainData + "/signin-no-mfa.json"}, "", 1, "Result: no match", ""},
		{"only excluded", []string{"explain", "--first", "1", "--rules", explainData + "/rules", "local-iam-changes", explainData + "/iam-changes.jsonl"}, "", 1, "suppressed by exclude 1", ""},
		{"pattern", []string{"explain", `{ $.eventName = StopLogging }`, jsonLines}, "", 0, "Result: match", ""},
		{"not objects", []string{"explain", "cis-3.1", "-"}, `[1,2]` + "\n", 2, "Pattern:", "not an object"},
		{"broken file", []string{"explain", "cis-3.6", truncated}, "", 2, "Result:", "after 13 records"},
		{"empty file", []string{"explain", "cis-3.1", "-"}, "", 2, "", "(stdin): no events"},
		{"missing file", []string{"explain", "cis-3.1", "no/such.json"}, "", 2, "", "no/such.json: no such file"},
		{"no arguments", []string{"explain"}, "", 2, "", "no PATTERN or RULE-ID given"},
		{"no file", []string{"explain", "cis-3.1"}, "", 2, "", "no EVENT-FILE given"},
		{"too many", []string{"explain", "cis-3.1", "a", "b"}, "", 2, "", `unexpected argument "b"`},
		{"negative first", []string{"explain", "--first", "-1", "cis-3.1", "a"}, "", 2, "", "--first must not be negative"},
		{"help", []string{"explain", "-h"}, "", 0, "Usage: trailwatch explain", ""},
		{"in the command list", []string{"help"}, "", 0, "  explain   show why a rule or pattern matches an event", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(tt.stdin, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
}
