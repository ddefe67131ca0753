package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/lambda/detect"
)

func decodeMatches(t *testing.T, stdout string) []matchLine {
	t.Helper()
	var out []matchLine
	for line := range strings.Lines(stdout) {
		var m matchLine
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad json line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// The demo data makes every shipped rule fire, and none of the near misses
// written next to them.
func TestScan_demoFiresEveryRule(t *testing.T) {
	chdirRoot(t)
	r := runCLI("", "scan", "--format", "json", demoDir)
	if r.code != 0 {
		t.Fatalf("scan exit %d: %s", r.code, r.stderr)
	}
	matches := decodeMatches(t, r.stdout)
	fired := map[string]bool{}
	for _, m := range matches {
		fired[m.Rule] = true
		if strings.Contains(m.File, "CloudTrail-Digest") {
			t.Errorf("digest file scanned: %s", m.File)
		}
		for _, field := range []string{m.Severity, m.EventID, m.EventName, m.EventTime, m.AWSRegion, m.RecipientAccountID, m.File, m.Principal, m.SourceIPAddress} {
			if field == "" {
				t.Errorf("match with an empty field: %+v", m)
				break
			}
		}
	}
	rs, err := detect.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range rs.Rules() {
		if !fired[rule.ID] {
			t.Errorf("rule %s did not fire on the demo data", rule.ID)
		}
	}
	if len(rs.Rules()) != 14 {
		t.Errorf("%d shipped rules, want 14", len(rs.Rules()))
	}

	// Near misses: (rule, eventName, principal substring) that must not match.
	nearMisses := []struct{ rule, eventName, principal string }{
		{"cis-3.2", "ConsoleLogin", "user/bob"},                             // MFA used
		{"cis-3.2", "ConsoleLogin", "alice@example.com"},                    // SSO sign-in with MFA
		{"cis-3.3", "CredentialChallenge", ":root"},                         // AwsServiceEvent
		{"cis-3.3", "CredentialVerification", ":root"},                      // AwsServiceEvent
		{"cis-3.3", "PutParameter", ":root"},                                // invoked by CloudFormation
		{"cis-3.7", "EnableKey", ""},                                        // not a disable
		{"cis-3.8", "GetBucketPolicy", ""},                                  // read-only
		{"cis-3.8", "PutBucketPublicAccessBlock", ""},                       // not on the CIS list
		{"cis-3.9", "StartConfigurationRecorder", ""},                       // not on the CIS list
		{"cis-3.10", "ModifySecurityGroupRules", ""},                        // added only in CIS v5
		{"cis-3.13", "AssociateRouteTable", ""},                             // not on the CIS list
		{"", "RotateKey", ""},                                               // AwsServiceEvent
		{"", "SharedSnapshotCopyInitiated", ""},                             // AwsServiceEvent
		{"", "AssumeRoleWithWebIdentity", ""},                               // CI sign-in
		{"", "DescribeLoadBalancers", ""},                                   // error, but not AccessDenied
		{"cis-3.6", "ConsoleLogin", "arn:aws:iam::111122223333:user/carol"}, // her successful sign-in
	}
	for _, nm := range nearMisses {
		for _, m := range matches {
			if (nm.rule == "" || m.Rule == nm.rule) && m.EventName == nm.eventName && strings.Contains(m.Principal, nm.principal) {
				t.Errorf("near miss matched: %s %s by %s", m.Rule, m.EventName, m.Principal)
			}
		}
	}

	// The text output has one alert per (rule, file), each with a subject.
	text := runCLI("", "scan", demoDir)
	if got, want := strings.Count(text.stdout, "\nSubject: ")+1, 17; !strings.HasPrefix(text.stdout, "Subject: ") || got != want {
		t.Errorf("text output has %d alerts, want %d", got, want)
	}
	for _, rule := range rs.Rules() {
		if !strings.Contains(text.stdout, "] "+rule.ID+" ") {
			t.Errorf("no text alert for %s", rule.ID)
		}
	}
}

// Directory walks read log files only, in name order, and say what they skipped.
func TestScan_directoryWalk(t *testing.T) {
	chdirRoot(t)
	events, err := os.ReadFile(jsonLines)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(events), "\n")
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[` + strings.TrimSpace(lines[1]) + `]}`)) // StopLogging
	zw.Close()
	write("b/stop.json.gz", gz.Bytes())
	write("a.jsonl", []byte(lines[3]))                   // CreateVpc
	write("c.json", []byte(strings.TrimSpace(lines[6]))) // RunInstances
	write("notes.txt", []byte(lines[1]))                 // not a log file name
	write(".cache/stop.json", []byte(lines[1]))          // hidden directory
	write("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/28/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261128T092021Z.json.gz", gz.Bytes())
	write("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/11/28/111122223333_CloudTrail-Insight_us-east-1_20261128T0910Z_abcdefghijklmnop.json.gz", gz.Bytes())

	r := runCLI("", "scan", "--format", "json", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var files []string
	for _, m := range decodeMatches(t, r.stdout) {
		files = append(files, strings.TrimPrefix(m.File, dir+string(filepath.Separator))+" "+m.Rule)
	}
	want := []string{"a.jsonl cis-3.14", "b/stop.json.gz cis-3.5", "c.json cis-3.1"}
	if !slices.Equal(files, want) {
		t.Errorf("matches by file = %q, want %q", files, want)
	}
	for _, s := range []string{"3 files, 3 records", "2 skipped (1 CloudTrail Insights file, 1 CloudTrail digest file)"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("summary %q does not contain %q", r.stderr, s)
		}
	}
}

// Threshold rules count across all files of a run; shadow rules print no
// text alert but show in JSON.
func TestScan_thresholdAndShadow(t *testing.T) {
	chdirRoot(t)
	rulesDir := t.TempDir()
	writeRule := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(rulesDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeRule("signin-failures.yaml", `id: local-signin-failures
title: Repeated console sign-in failures
severity: high
controls: {local: ["auth-1"]}
description: Two failed console sign-ins for one user within five minutes.
pattern: '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}'
threshold: {count: 2, window: 5m, groupBy: [userIdentity.userName]}
mode: alert
tests:
  - {name: failure matches, match: true, event: {eventName: ConsoleLogin, errorMessage: Failed authentication}}
  - {name: success does not, match: false, event: {eventName: ConsoleLogin, responseElements: {ConsoleLogin: Success}}}
`)
	writeRule("root-shadow.yaml", `id: local-root-shadow
title: Root identity seen
severity: low
controls: {local: ["root-1"]}
description: Any record with the root identity, to try the rule before it alerts.
pattern: '{$.userIdentity.type="Root"}'
mode: shadow
tests:
  - {name: root matches, match: true, event: {userIdentity: {type: Root}}}
  - {name: user does not, match: false, event: {userIdentity: {type: IAMUser}}}
`)
	writeRule("iam-changes.yaml", `id: local-iam-changes
title: IAM policy changed outside the pipeline
severity: medium
controls: {local: ["iam-2"]}
description: IAM policy changes, except those the deploy pipeline makes.
pattern: '{($.eventSource=iam.amazonaws.com) && (($.eventName=CreatePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=AttachUserPolicy))}'
exclude:
  - pattern: '{ $.userIdentity.arn = "arn:aws:sts::*:assumed-role/github-actions-deploy/*" }'
    reason: the deploy pipeline manages policies
mode: alert
tests:
  - {name: CreatePolicy matches, match: true, event: {eventSource: iam.amazonaws.com, eventName: CreatePolicy}}
  - {name: the pipeline is excluded, match: false, event: {eventSource: iam.amazonaws.com, eventName: CreatePolicyVersion, userIdentity: {arn: "arn:aws:sts::111122223333:assumed-role/github-actions-deploy/run-1"}}}
`)
	// Split carol's two failures over two files: only the second completes the window.
	data, err := os.ReadFile("testdata/cloudtrail-src/111122223333_CloudTrail_us-east-1_20261128T0905Z_6HqwZGxomRXKdaoN.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	var failures [][]byte
	for _, rec := range file.Records {
		if bytes.Contains(rec, []byte(`"Failed authentication"`)) {
			var b bytes.Buffer
			json.Compact(&b, rec)
			failures = append(failures, append(b.Bytes(), '\n'))
		}
	}
	if len(failures) != 2 {
		t.Fatalf("%d failed sign-ins in the sample, want 2", len(failures))
	}
	inputs := t.TempDir()
	first, second := filepath.Join(inputs, "1.jsonl"), filepath.Join(inputs, "2.jsonl")
	os.WriteFile(first, failures[0], 0o644)
	os.WriteFile(second, failures[1], 0o644)

	r := runCLI("", "scan", "--rules", rulesDir, first, second, usEast1a)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "Subject: [HIGH] local-signin-failures "); n != 1 {
		t.Errorf("%d threshold alerts, want 1:\n%s", n, r.stdout)
	}
	if !strings.Contains(r.stdout, "Log file: "+second) || strings.Contains(r.stdout, "Log file: "+first) {
		t.Errorf("threshold alert not attributed to the file that completed the window:\n%s", r.stdout)
	}
	const crossed = "\nThreshold: 2 matches from userIdentity.userName=carol in the 5-minute window 2026-11-28 09:00–09:05 UTC (threshold 2).\n"
	if !strings.Contains(r.stdout, crossed) {
		t.Errorf("threshold alert does not say which threshold it crossed (%q):\n%s", crossed, r.stdout)
	}
	if !strings.Contains(r.stdout, "Subject: [HIGH] local-signin-failures Repeated console sign-in failures - 111122223333 us-east-1 (2 events)\n") {
		t.Errorf("subject of the threshold alert is not the whole title and the count:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "local-root-shadow") {
		t.Errorf("shadow rule printed a text alert:\n%s", r.stdout)
	}
	for _, s := range []string{"local-signin-failures=4(1 threshold alert)", "local-root-shadow=8(shadow)", "local-iam-changes=2", "; 1 excluded by exclude entries; 2 alerts"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("summary %q does not contain %q", r.stderr, s)
		}
	}

	j := runCLI("", "scan", "--format", "json", "--rules", rulesDir, usEast1a)
	shadow := 0
	for _, m := range decodeMatches(t, j.stdout) {
		if m.Rule == "local-root-shadow" {
			shadow++
			if m.Mode != "shadow" {
				t.Errorf("shadow match without mode: %+v", m)
			}
		}
	}
	if shadow != 8 {
		t.Errorf("%d shadow matches in json, want 8", shadow)
	}
}

// Gzip on standard input is recognised like a gzip file.
func TestScan_gzipOnStdin(t *testing.T) {
	chdirRoot(t)
	data, err := os.ReadFile(usEast1a)
	if err != nil {
		t.Fatal(err)
	}
	fromStdin := runCLI(string(data), "scan", "--format", "json", "-")
	fromFile := runCLI("", "scan", "--format", "json", usEast1a)
	if fromStdin.code != 0 || fromStdin.stdout != strings.ReplaceAll(fromFile.stdout, `"file":"`+usEast1a+`"`, `"file":"(stdin)"`) {
		t.Errorf("stdin scan differs from file scan (exit %d):\n%s", fromStdin.code, fromStdin.stdout)
	}
}

// The public samples scan without damage; skipped when they are absent.
func TestScan_realSamples(t *testing.T) {
	chdirRoot(t)
	dir := "../shared/cloudtrail/invictus-ir-aws_dataset"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real CloudTrail samples not available: %v", err)
	}
	r := runCLI("", "scan", "--format", "json", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "55 files") || r.stdout == "" {
		t.Errorf("unexpected scan of the samples: %s", r.stderr)
	}
}
