package detect

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// ruleFile returns a valid rule file with the given id followed by extra.
func ruleFile(id, extra string) string {
	return "id: " + id + `
title: Trail stopped
severity: high
description: CloudTrail logging was stopped.
pattern: '{ $.eventName = "StopLogging" }'
` + extra
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return fsys
}

// loadErrors loads files and returns the error lines.
func loadErrors(t *testing.T, files map[string]string) []string {
	t.Helper()
	rs, err := LoadFS(mapFS(files))
	if err == nil {
		t.Fatalf("LoadFS = %d rules, nil error; want errors", len(rs.Rules()))
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("LoadFS error %T %q; want an ErrorList", err, err)
	}
	return strings.Split(err.Error(), "\n")
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name:  "unknown key with a suggestion",
			files: map[string]string{"a.yaml": ruleFile("r-1", "severty: low\nowner: me\n")},
			want: []string{
				`a.yaml:6:1: unknown key "severty" in rule (did you mean "severity"?)`,
				`a.yaml:7:1: unknown key "owner" in rule`,
			},
		},
		{
			name:  "missing required keys",
			files: map[string]string{"a.yaml": "# only an id\nid: r-1\nmode: shadow\n"},
			want: []string{
				`a.yaml:2:1: rule is missing required key "description"`,
				`a.yaml:2:1: rule is missing required key "pattern"`,
				`a.yaml:2:1: rule is missing required key "severity"`,
				`a.yaml:2:1: rule is missing required key "title"`,
			},
		},
		{
			name: "bad scalar values",
			files: map[string]string{"a.yaml": `id: CIS_3.1
title: "two\nlines"
severity: severe
description: "  "
pattern: '{ $.eventName = "StopLogging" }'
mode: loud
`},
			want: []string{
				`a.yaml:1:5: id "CIS_3.1" must be lower-case letters and digits separated by '.' or '-', starting with a letter (e.g. cis-3.5)`,
				`a.yaml:2:8: title must be a single line`,
				`a.yaml:3:11: severity "severe" must be one of informational, low, medium, high, critical`,
				`a.yaml:4:14: description must not be empty`,
				`a.yaml:6:7: mode "loud" must be alert or shadow`,
			},
		},
		{
			name: "wrong types",
			files: map[string]string{"a.yaml": `id: r-1
title: [a, b]
severity: 3
description: {a: b}
pattern:
controls: {cis-1.2.0: "3.1"}
`},
			want: []string{
				`a.yaml:2:8: title must be text, found a list`,
				`a.yaml:3:11: severity must be text, found number 3`,
				`a.yaml:4:14: description must be text, found a mapping`,
				`a.yaml:5:9: pattern must be text, found nothing`,
				`a.yaml:6:23: controls "cis-1.2.0" must be a list, found text "3.1"`,
			},
		},
		{
			name:  "duplicate key",
			files: map[string]string{"a.yaml": ruleFile("r-1", "title: Again\n")},
			want:  []string{`a.yaml:6:1: duplicate key "title" (first at line 2)`},
		},
		{
			name: "duplicate ids name both files",
			files: map[string]string{
				"a.yaml": ruleFile("r-1", ""),
				"b.yml":  "# copy\n" + ruleFile("r-1", ""),
			},
			want: []string{`b.yml:2:5: duplicate id "r-1", also used in a.yaml:1:5`},
		},
		{
			name: "exclusions",
			files: map[string]string{"a.yaml": ruleFile("r-1", `exclude:
  - pattern: '{ $.userIdentity.arn = "arn:aws:iam::1:user/ci" }'
    until: 2027-02-30
  - reason: ci
    until: tomorrow
    owner: me
  - just text
`)},
			want: []string{
				`a.yaml:7:5: exclude entry is missing required key "reason"`,
				`a.yaml:8:12: until "2027-02-30" must be a date YYYY-MM-DD`,
				`a.yaml:9:5: exclude entry is missing required key "pattern"`,
				`a.yaml:10:12: until "tomorrow" must be a date YYYY-MM-DD`,
				`a.yaml:11:5: unknown key "owner" in exclude entry`,
				`a.yaml:12:5: an exclude entry must be a mapping, found text "just text"`,
			},
		},
		{
			name: "threshold",
			files: map[string]string{
				"a.yaml": ruleFile("r-1", "threshold: {count: 0, window: 30s, groupBy: [userIdentity.arn, \"$.x\"], per: user}\n"),
				"b.yaml": ruleFile("r-2", "threshold: {count: 2.5, window: 90s}\n"),
				"c.yaml": ruleFile("r-3", "threshold: {count: 3, window: 25h}\n"),
				"d.yaml": ruleFile("r-4", "threshold: {window: soon}\n"),
				"e.yaml": ruleFile("r-5", "threshold: 5\n"),
			},
			want: []string{
				`a.yaml:6:20: threshold count must be a whole number of at least 1, found number 0`,
				`a.yaml:6:31: threshold window "30s" must be whole minutes from 1m to 24h`,
				`a.yaml:6:64: groupBy path "$.x" must be dotted field names such as userIdentity.arn`,
				`a.yaml:6:72: unknown key "per" in threshold`,
				`b.yaml:6:20: threshold count must be a whole number of at least 1, found number 2.5`,
				`b.yaml:6:33: threshold window "90s" must be whole minutes from 1m to 24h`,
				`c.yaml:6:31: threshold window "25h" must be whole minutes from 1m to 24h`,
				`d.yaml:6:12: threshold is missing required key "count"`,
				`d.yaml:6:21: threshold window "soon" must be a duration such as 5m or 1h`,
				`e.yaml:6:12: threshold must be a mapping, found number 5`,
			},
		},
		{
			name: "tests",
			files: map[string]string{"a.yaml": ruleFile("r-1", `tests:
  - {name: stop, match: yes, event: {eventName: StopLogging}}
  - {name: stop, match: false, event: [StopLogging]}
  - {match: true, event: {eventName: StopLogging, n: .inf}, extra: 1}
  - {name: dup, match: true, event: {a: 1, a: 2}}
`)},
			want: []string{
				`a.yaml:7:25: test match must be true or false, found text "yes"`,
				`a.yaml:8:12: duplicate test name "stop" (first at line 7)`,
				`a.yaml:8:39: test event must be a mapping, found a list`,
				`a.yaml:9:5: test is missing required key "name"`,
				`a.yaml:9:54: test event: number .inf has no JSON form; quote it to send text`,
				`a.yaml:9:61: unknown key "extra" in test`,
				`a.yaml:10:44: test event: duplicate key "a"`,
			},
		},
		{
			name: "file-level problems",
			files: map[string]string{
				"a.yaml": "",
				"b.yaml": "- id: r-1\n",
				"c.yaml": ruleFile("r-3", "---\n") + ruleFile("r-4", ""),
				"d.yaml": "id: r-1\ntitle: [unclosed\n",
				"e.yaml": "id: a: b\n",
			},
			want: []string{
				`a.yaml:1:1: empty rule file`,
				`b.yaml:1:1: a rule must be a mapping of keys (id, title, ...), found a list`,
				`c.yaml:6:1: more than one YAML document; a rule file holds one rule`,
				`d.yaml:2:1: invalid YAML: did not find expected ',' or ']'`,
				`e.yaml:1:1: invalid YAML: mapping values are not allowed in this context`,
			},
		},
		{
			name: "every bad file is reported together",
			files: map[string]string{
				"cis-3.2-x.yaml":  ruleFile("cis-3.2", "mode: never\n"),
				"cis-3.10-x.yaml": ruleFile("cis-3.10", "severity: low\n"),
				"good.yaml":       ruleFile("good", ""),
				"notes.txt":       "not a rule",
			},
			want: []string{
				`cis-3.10-x.yaml:6:1: duplicate key "severity" (first at line 3)`,
				`cis-3.2-x.yaml:6:7: mode "never" must be alert or shadow`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadErrors(t, tt.files)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("LoadFS errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadNoRuleFiles(t *testing.T) {
	_, err := LoadFS(fstest.MapFS{"README.md": {Data: []byte("# rules")}})
	if err == nil || err.Error() != "no rule files (*.yaml, *.yml) in ." {
		t.Errorf("LoadFS(no yaml) error = %v; want no rule files", err)
	}
}

func TestLoadValidRule(t *testing.T) {
	src := `# A full rule.
id: cis-9.1
title: Trail stopped
severity: critical
controls: {cis-1.2.0: ["3.5"], securityhub: [CloudWatch.5]}
description: >-
  CloudTrail logging
  was stopped.
pattern: '{ $.eventName = "StopLogging" }'
exclude:
  - pattern: '{ $.userIdentity.arn = "arn:aws:iam::123456789012:user/ci" }'
    reason: CI pipeline
    until: 2027-06-30
  - {pattern: '{ $.awsRegion = "eu-west-3" }', reason: sandbox region, until: "2026-01-31"}
  - {pattern: '{ $.awsRegion = "ap-east-1" }', reason: never used}
threshold: {count: 5, window: 1h30m, groupBy: [userIdentity.arn, awsRegion]}
mode: shadow
tests:
  - name: anchors, merges and YAML-only numbers
    match: true
    event:
      base: &base {eventName: StopLogging, n: 0x1F, big: 1_000, f: 12.50, e: 1e3, t: 2024-01-02T03:04:05Z, "quote\"d": "<&>"}
      <<: *base
      eventName: StopLogging
      list: [1, -0.5, true, null, ~]
`
	rs, err := LoadFS(mapFS(map[string]string{"r.yaml": src}))
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	r := rs.Rule("cis-9.1")
	if r == nil {
		t.Fatal("rule cis-9.1 not loaded")
	}
	if r.File != "r.yaml" || r.Line != 2 || r.Col != 5 {
		t.Errorf("rule position = %s:%d:%d; want r.yaml:2:5", r.File, r.Line, r.Col)
	}
	if r.Title != "Trail stopped" || r.Severity != "critical" || r.Description != "CloudTrail logging was stopped." || r.Mode != ModeShadow {
		t.Errorf("rule fields = %q %q %q %q", r.Title, r.Severity, r.Description, r.Mode)
	}
	if got := r.Controls["securityhub"]; len(got) != 1 || got[0] != "CloudWatch.5" {
		t.Errorf("Controls[securityhub] = %q", got)
	}
	if r.Pattern.String() != `{ $.eventName = "StopLogging" }` {
		t.Errorf("Pattern = %q", r.Pattern)
	}
	if len(r.Exclude) != 3 {
		t.Fatalf("len(Exclude) = %d; want 3", len(r.Exclude))
	}
	wantUntil := []time.Time{time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), {}}
	for i, e := range r.Exclude {
		if !e.Until.Equal(wantUntil[i]) {
			t.Errorf("Exclude[%d].Until = %v; want %v", i, e.Until, wantUntil[i])
		}
	}
	if r.Exclude[0].Reason != "CI pipeline" || r.Exclude[0].Line != 11 || r.Exclude[0].Col != 5 {
		t.Errorf("Exclude[0] = %q at %d:%d", r.Exclude[0].Reason, r.Exclude[0].Line, r.Exclude[0].Col)
	}
	th := r.Threshold
	if th == nil || th.Count != 5 || th.Window != 90*time.Minute || strings.Join(th.GroupBy, ",") != "userIdentity.arn,awsRegion" {
		t.Errorf("Threshold = %+v", th)
	}
	if len(r.Tests) != 1 {
		t.Fatalf("len(Tests) = %d; want 1", len(r.Tests))
	}
	wantEvent := `{"base":{"eventName":"StopLogging","n":31,"big":1000,"f":12.50,"e":1e3,"t":"2024-01-02T03:04:05Z","quote\"d":"<&>"},` +
		`"n":31,"big":1000,"f":12.50,"e":1e3,"t":"2024-01-02T03:04:05Z","quote\"d":"<&>",` +
		`"eventName":"StopLogging","list":[1,-0.5,true,null,null]}`
	if got := string(r.Tests[0].Event); got != wantEvent {
		t.Errorf("test event JSON:\n got %s\nwant %s", got, wantEvent)
	}
	if r.Tests[0].Line != 19 || r.Tests[0].Col != 5 || !r.Tests[0].Match {
		t.Errorf("test = %+v", r.Tests[0])
	}
}

func TestExclusionActive(t *testing.T) {
	e := Exclusion{Until: time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)}
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2027, 6, 29, 12, 0, 0, 0, time.UTC), true},
		{time.Date(2027, 6, 30, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2027, 6, 30, 20, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), false}, // 01:00 UTC on July 1st
	} {
		if got := e.Active(tt.now); got != tt.want {
			t.Errorf("Active(%v) = %v; want %v", tt.now, got, tt.want)
		}
	}
	if !(&Exclusion{}).Active(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("an exclusion without until expired")
	}
}

func TestRulesOrder(t *testing.T) {
	files := map[string]string{}
	for _, id := range []string{"cis-3.10", "cis-3.2", "zeta", "cis-3.1", "cis-3.14", "alpha", "cis-10.1"} {
		files[id+".yaml"] = ruleFile(id, "")
	}
	rs, err := LoadFS(mapFS(files))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rs.Rules() {
		ids = append(ids, r.ID)
	}
	want := "alpha cis-3.1 cis-3.2 cis-3.10 cis-3.14 cis-10.1 zeta"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("Rules() order = %s; want %s", got, want)
	}
}
