package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	chdirRoot(t)
	events, err := os.ReadFile(jsonLines)
	if err != nil {
		t.Fatal(err)
	}
	emptyDir := t.TempDir()
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		// stdout and stderr must contain these texts ("" checks nothing).
		stdout, stderr string
		// emptyStdout requires that nothing is printed on stdout.
		emptyStdout bool
	}{
		{name: "no command", args: nil, code: 2, stderr: "Commands:", emptyStdout: true},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`, emptyStdout: true},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: "Commands:"},
		{name: "--help", args: []string{"--help"}, code: 0, stdout: "trailwatch help"},
		{name: "help", args: []string{"help"}, code: 0, stdout: "Paths:"},
		{name: "help scan", args: []string{"help", "scan"}, code: 0, stdout: "Usage: trailwatch scan [--rules DIR]"},
		{name: "help unknown", args: []string{"help", "nope"}, code: 2, stderr: `unknown command "nope"`},
		{name: "help too many", args: []string{"help", "scan", "grep"}, code: 2, stderr: "too many arguments"},
		{name: "version", args: []string{"version"}, code: 0, stdout: "trailwatch "},
		{name: "--version", args: []string{"--version"}, code: 0, stdout: "trailwatch "},
		{name: "version with argument", args: []string{"version", "now"}, code: 2, stderr: "takes no arguments"},

		{name: "scan demo", args: []string{"scan", demoDir}, code: 0, stdout: "] cis-3.3 Root account used - 111122223333 us-east-1 (5 events)", stderr: "5 files, 108 records"},
		{name: "scan -h", args: []string{"scan", "-h"}, code: 0, stdout: "--events-per-alert N"},
		{name: "scan --help after a path", args: []string{"scan", demoDir, "--help"}, code: 0, stdout: "Usage: trailwatch scan", emptyStdout: false},
		{name: "scan without path", args: []string{"scan"}, code: 2, stderr: "no PATH given", emptyStdout: true},
		{name: "scan unknown flag", args: []string{"scan", "--colour", demoDir}, code: 2, stderr: "flag provided but not defined: -colour", emptyStdout: true},
		{name: "scan bad format", args: []string{"scan", "--format", "xml", demoDir}, code: 2, stderr: `must be text or json, not "xml"`, emptyStdout: true},
		{name: "scan format without value", args: []string{"scan", demoDir, "--format"}, code: 2, stderr: "flag needs an argument: -format", emptyStdout: true},
		{name: "scan events-per-alert zero", args: []string{"scan", "--events-per-alert", "0", demoDir}, code: 2, stderr: "at least 1", emptyStdout: true},
		{name: "scan events-per-alert not a number", args: []string{"scan", "--events-per-alert=many", demoDir}, code: 2, stderr: "invalid value", emptyStdout: true},
		{name: "scan stdin twice", args: []string{"scan", "-", "-"}, code: 2, stderr: "more than once", emptyStdout: true},
		{name: "scan rules dir missing", args: []string{"scan", "--rules", "no/such/dir", demoDir}, code: 2, stderr: "the rules in no/such/dir do not load", emptyStdout: true},
		{name: "scan broken rules", args: []string{"scan", "--rules", broken, demoDir}, code: 2, stderr: "bad-pattern.yaml:6:145", emptyStdout: true},
		{name: "scan json", args: []string{"scan", "--format", "json", jsonLines}, code: 0, stdout: `"rule":"cis-3.5"`},
		{name: "scan flags after paths", args: []string{"scan", jsonLines, "--format=json", "--events-per-alert", "3"}, code: 0, stdout: `"rule":"cis-3.14"`},
		{name: "scan stdin", args: []string{"scan", "-"}, stdin: string(events), code: 0, stdout: "Log file: (stdin)", stderr: "1 file, 7 records"},
		{name: "scan empty stdin", args: []string{"scan", "-"}, code: 0, stderr: "1 file, 0 records; 0 matches; 0 alerts", emptyStdout: true},
		{name: "scan missing file", args: []string{"scan", "no/such/file.json"}, code: 1, stderr: "no/such/file.json: no such file or directory", emptyStdout: true},
		{name: "scan missing file among good ones", args: []string{"scan", "no/such/file.json", jsonLines}, code: 1, stdout: "cis-3.5", stderr: "no/such/file.json"},
		{name: "scan truncated", args: []string{"scan", truncated}, code: 1, stdout: "cis-3.6 Console sign-in failed", stderr: "after 13 records"},
		{name: "scan empty directory", args: []string{"scan", emptyDir}, code: 0, stderr: "no log files in this directory", emptyStdout: true},
		{name: "scan digest named explicitly", args: []string{"scan", digest}, code: 0, stderr: "skipped: CloudTrail digest file", emptyStdout: true},
		{name: "scan dash-prefixed path after --", args: []string{"scan", "--", "-no-such.json"}, code: 1, stderr: "-no-such.json: no such file or directory"},

		{name: "grep match", args: []string{"grep", `{ $.eventName = "StopLogging" }`, demoDir}, code: 0, stdout: `"eventName":"StopLogging"`},
		{name: "grep no match", args: []string{"grep", `{ $.eventName = "DeleteTrail" }`, demoDir}, code: 1, emptyStdout: true},
		{name: "grep stdin", args: []string{"grep", `{ $.errorCode = "*UnauthorizedOperation" }`, "-"}, stdin: string(events), code: 0, stdout: `"eventName":"RunInstances"`},
		{name: "grep bad pattern", args: []string{"grep", `{ $.eventName = }`, demoDir}, code: 2, stderr: "bad pattern: col 17", emptyStdout: true},
		{name: "grep without pattern", args: []string{"grep"}, code: 2, stderr: "no PATTERN given"},
		{name: "grep without path", args: []string{"grep", `{ $.a = 1 }`}, code: 2, stderr: "no PATH given"},
		{name: "grep unknown flag", args: []string{"grep", "-v", `{ $.a = 1 }`, demoDir}, code: 2, stderr: "flag provided but not defined: -v"},
		{name: "grep -h", args: []string{"grep", "-h"}, code: 0, stdout: "Usage: trailwatch grep PATTERN PATH..."},
		{name: "grep truncated input is an error", args: []string{"grep", `{ $.eventName = "ConsoleLogin" }`, truncated}, code: 2, stdout: `"eventName":"ConsoleLogin"`, stderr: "after 13 records"},
		{name: "grep missing file", args: []string{"grep", `{ $.a = 1 }`, "no/such/file.json"}, code: 2, stderr: "no such file"},

		{name: "test embedded rules", args: []string{"test"}, code: 0, stdout: "ok: 14 rules"},
		{name: "test broken rules", args: []string{"test", "--rules", broken}, code: 1, stdout: "FAIL: 4 rule files that do not load, 1 rule with failing tests"},
		{name: "test missing rules dir", args: []string{"test", "--rules", "no/such/dir"}, code: 1, stdout: "FAIL: read rules directory no/such/dir"},
		{name: "test with argument", args: []string{"test", "rules"}, code: 2, stderr: `unexpected argument "rules"`},
		{name: "test -h", args: []string{"test", "-h"}, code: 0, stdout: "Usage: trailwatch test [--rules DIR]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("run(%q) = %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.args, r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("run(%q) stdout does not contain %q:\n%s", tt.args, tt.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("run(%q) stderr does not contain %q:\n%s", tt.args, tt.stderr, r.stderr)
			}
			if tt.emptyStdout && r.stdout != "" {
				t.Errorf("run(%q) printed on stdout:\n%s", tt.args, r.stdout)
			}
		})
	}
}

// Every flag a command defines is documented in its help.
func TestHelp_documentsEveryFlag(t *testing.T) {
	tests := []struct {
		cmd   *command
		flags []string
	}{
		{scanCmd, []string{"--rules DIR", "--format text|json", "--events-per-alert N"}},
		{testCmd, []string{"--rules DIR"}},
		{grepCmd, nil},
	}
	for _, tt := range tests {
		help := tt.cmd.fullHelp()
		for _, f := range tt.flags {
			if !strings.Contains(help, f) {
				t.Errorf("help of %s does not mention %q", tt.cmd.name, f)
			}
		}
		if !strings.Contains(help, "Exit status:") {
			t.Errorf("help of %s does not give the exit status", tt.cmd.name)
		}
	}
	for _, c := range commands {
		if !strings.Contains(mainUsage(), c.name+" ") {
			t.Errorf("main usage does not list %s", c.name)
		}
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args       []string
		positional []string
		format     string
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, "text"},
		{[]string{"--format", "json", "a"}, []string{"a"}, "json"},
		{[]string{"a", "--format=json", "b"}, []string{"a", "b"}, "json"},
		{[]string{"a", "b", "-format", "json"}, []string{"a", "b"}, "json"},
		{[]string{"-", "--format", "json"}, []string{"-"}, "json"},
		{[]string{"--", "--format", "-x"}, []string{"--format", "-x"}, "text"},
		{[]string{"a", "--", "-b", "--format=json"}, []string{"a", "-b", "--format=json"}, "text"},
		{nil, nil, "text"},
	}
	for _, tt := range tests {
		fs := newFlagSet("t")
		format := fs.String("format", "text", "")
		got, err := parseArgs(fs, tt.args)
		if err != nil {
			t.Errorf("parseArgs(%q) error: %v", tt.args, err)
			continue
		}
		if !slices.Equal(got, tt.positional) || *format != tt.format {
			t.Errorf("parseArgs(%q) = %q, format %q; want %q, format %q", tt.args, got, *format, tt.positional, tt.format)
		}
	}
}

func TestVersionString(t *testing.T) {
	got := versionString()
	if !strings.HasPrefix(got, "trailwatch ") || !strings.Contains(got, "go1.") {
		t.Errorf("versionString() = %q, want trailwatch VERSION ... goVERSION OS/ARCH", got)
	}
	version = "v9.9.9"
	defer func() { version = "" }()
	if got := versionString(); !strings.HasPrefix(got, "trailwatch v9.9.9 ") {
		t.Errorf("versionString() with version set = %q", got)
	}
}
