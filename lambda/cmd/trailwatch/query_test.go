package main

import (
	"strings"
	"testing"
)

const queryRules = pkgDir + "/testdata/query-rules"

// TestQueryGolden pins the queries the command prints.
func TestQueryGolden(t *testing.T) {
	pkg := chdirRoot(t)
	tests := []struct {
		golden string
		args   []string
	}{
		{"query-insights-rule.golden", []string{"query", "--engine", "insights", "cis-3.1"}},
		{"query-athena-rule.golden", []string{"query", "--engine", "athena", "cis-3.3"}},
		{"query-athena-pattern.golden", []string{"query", "--engine", "athena", "--table", "security.cloudtrail", "--limit", "50",
			`{ $.requestParameters.bucketName = "prod-*" && $.resources[*].ARN = "arn:aws:s3:::prod-*" }`}},
		// The rule's active exclude entry is left out, the expired one is not.
		{"query-exclusions.golden", []string{"query", "--rules", queryRules, "--engine", "insights", "local-denied-burst"}},
		{"query-unsupported.golden", []string{"query", "--engine", "insights", `{ $.resources[*].ARN = "arn:aws:s3:::prod-*" }`}},
		{"query-bad-pattern.golden", []string{"query", "--engine", "athena", `{ $.eventName = }`}},
		{"query-athena-table.golden", []string{"query", "--athena-table", "s3://trail-logs/audit", "--accounts", "111122223333",
			"--regions", "us-east-1,eu-west-1", "--since", "2026/01/01"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := runCLI("", tt.args...)
			checkGolden(t, pkg, tt.golden, r.golden(tt.args))
		})
	}
}

func TestQuery(t *testing.T) {
	chdirRoot(t)
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{"every rule translates for Logs Insights", []string{"query", "--engine", "insights", "cis-3.2"}, 0, "| filter (eventName = \"ConsoleLogin\")", ""},
		{"every rule translates for Athena", []string{"query", "--engine", "athena", "cis-3.14"}, 0, "eventname = 'CreateVpc'", ""},
		{"no engine", []string{"query", "cis-3.1"}, 2, "", `--engine must be insights or athena, not ""`},
		{"unknown engine", []string{"query", "--engine", "splunk", "cis-3.1"}, 2, "", `not "splunk"`},
		{"no argument", []string{"query", "--engine", "athena"}, 2, "", "no RULE-ID or PATTERN given"},
		{"two arguments", []string{"query", "--engine", "athena", "cis-3.1", "cis-3.2"}, 2, "", `unexpected argument "cis-3.2"`},
		{"unknown rule", []string{"query", "--engine", "athena", "cis-9.9"}, 2, "", `no rule "cis-9.9" in the embedded rules; the rules are: cis-3.1,`},
		{"table with insights", []string{"query", "--engine", "insights", "--table", "t", "cis-3.1"}, 2, "", "--table names an Athena table"},
		{"bad table name", []string{"query", "--engine", "athena", "--table", "my-table", "cis-3.1"}, 2, "", `"my-table" is not a table name`},
		{"limit out of range", []string{"query", "--engine", "athena", "--limit", "0", "cis-3.1"}, 2, "", "--limit must be 1 to 10000"},
		{"partition flags without a table", []string{"query", "--engine", "athena", "--since", "2026/01/01", "cis-3.1"}, 2, "", "go with --athena-table"},
		{"table with an argument", []string{"query", "--athena-table", "s3://trail-logs", "cis-3.1"}, 2, "", "--athena-table prints the table"},
		{"table with an engine", []string{"query", "--athena-table", "s3://trail-logs", "--engine", "athena"}, 2, "", "takes no --engine"},
		{"bad location", []string{"query", "--athena-table", "trail-logs"}, 2, "", "not an s3://BUCKET/PREFIX location"},
		{"bad account", []string{"query", "--athena-table", "s3://trail-logs", "--accounts", "12"}, 2, "", `"12" is not an AWS account id`},
		{"organization trail", []string{"query", "--athena-table", "s3://org-trail/AWSLogs/o-a1b2c3d4e5/"}, 0,
			"'storage.location.template' = 's3://org-trail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${day}'", ""},
		{"injected account", []string{"query", "--athena-table", "s3://trail-logs"}, 0, "'projection.account.type' = 'injected'", ""},
		{"help", []string{"help", "query"}, 0, "Usage: trailwatch query --engine insights|athena", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI("", tt.args...)
			if r.code != tt.code {
				t.Errorf("run(%q) = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("run(%q) stdout does not contain %q:\n%s", tt.args, tt.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("run(%q) stderr does not contain %q:\n%s", tt.args, tt.stderr, r.stderr)
			}
			if tt.code != 0 && r.stdout != "" {
				t.Errorf("run(%q) failed and printed on stdout:\n%s", tt.args, r.stdout)
			}
		})
	}
}

// TestQuery_everyRule: both engines translate every shipped rule.
func TestQuery_everyRule(t *testing.T) {
	rs, err := loadRules("")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules() {
		for _, engine := range []string{"insights", "athena"} {
			if res := runCLI("", "query", "--engine", engine, r.ID); res.code != 0 {
				t.Errorf("query --engine %s %s: exit %d\n%s", engine, r.ID, res.code, res.stderr)
			}
		}
	}
}

func TestQueryHelp_documentsEveryFlag(t *testing.T) {
	help := queryCmd.fullHelp()
	for _, f := range []string{"--engine insights|athena", "--rules DIR", "--table NAME", "--limit N", "--athena-table s3://BUCKET[/PREFIX]",
		"--accounts ID,...", "--regions R,...", "--since YYYY/MM/DD", "Exit status:"} {
		if !strings.Contains(help, f) {
			t.Errorf("help of query does not mention %q", f)
		}
	}
}
