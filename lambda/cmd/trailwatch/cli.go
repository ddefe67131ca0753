package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit statuses shared by the commands; each command's help says what they
// mean for it.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// env is what a command may touch: its streams and nothing global, so that
// run can be tested in process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand of trailwatch.
type command struct {
	name    string
	summary string // one line for the command list
	usage   string // the synopsis line
	help    string // the rest of "trailwatch help NAME"
	run     func(c *command, e *env, args []string) int
}

var commands []*command

func init() {
	// Assigned here rather than in the declaration: helpCmd refers to commands.
	commands = []*command{scanCmd, grepCmd, explainCmd, replayCmd, queryCmd, testCmd, versionCmd, helpCmd}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run executes the command line args (without the program name) and returns
// the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Matches can be many small writes: buffer them, and flush before any
	// message on stderr so that a terminal shows both in order.
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	stdout, stderr = out, flushFirst{w: stderr, out: out}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage())
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage())
		return exitOK
	case "-version", "--version":
		return versionCmd.run(versionCmd, e, args[1:])
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "trailwatch: unknown command %q\n\n%s", args[0], mainUsage())
		return exitUsage
	}
	return c.run(c, e, args[1:])
}

// flushFirst flushes out before each write to w.
type flushFirst struct {
	w   io.Writer
	out *bufio.Writer
}

func (f flushFirst) Write(p []byte) (int, error) {
	f.out.Flush()
	return f.w.Write(p)
}

func mainUsage() string {
	var b strings.Builder
	b.WriteString(`trailwatch runs CIS AWS Foundations monitoring rules (CIS v1.2.0 3.1-3.14)
over CloudTrail log files on disk, with the code the detector Lambda runs.

Usage:
  trailwatch <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\n" + pathHelp + `
Run 'trailwatch help <command>' for the flags and exit status of a command.
`)
	return b.String()
}

// pathHelp explains PATH arguments; scan and grep share it.
const pathHelp = `Paths:
  A PATH is a CloudTrail log file as delivered (.json or .json.gz holding
  {"Records":[...]}), a file of single events, one JSON object per line, a
  directory, or - for standard input. Directories are read recursively in
  name order: only .json, .json.gz, .jsonl and .jsonl.gz files are read;
  CloudTrail digest and Insights files and hidden directories are skipped.
  Flags may come before, between or after the PATHs; every argument after --
  is a PATH, which is how to pass one that starts with a dash:
    trailwatch scan --format json -- -weird-name.json.gz
`

// newFlagSet returns a flag set that reports nothing itself: commands print
// their own errors and help.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags wherever they appear among the positional
// arguments, up to a "--" after which every argument is positional. A lone
// "-" (standard input) is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError reports a command-line mistake and returns exitUsage; -h and
// --help print the command's help on stdout instead and return exitOK.
func (e *env) usageError(c *command, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, c.fullHelp())
		return exitOK
	}
	fmt.Fprintf(e.stderr, "trailwatch %s: %v\nusage: %s\nRun 'trailwatch help %s' for details.\n", c.name, err, c.usage, c.name)
	return exitUsage
}

func (c *command) fullHelp() string {
	return "Usage: " + c.usage + "\n\n" + c.help
}

// errorf prints a problem on stderr in the "trailwatch: ..." form.
func (e *env) errorf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "trailwatch: "+format+"\n", args...)
}

var helpCmd = &command{
	name:    "help",
	summary: "print help for trailwatch or one of its commands",
	usage:   "trailwatch help [COMMAND]",
	help: `Prints the list of commands, or the flags and exit status of COMMAND.

Exit status: 0, or 2 for an unknown command.
`,
	run: func(c *command, e *env, args []string) int {
		switch len(args) {
		case 0:
			fmt.Fprint(e.stdout, mainUsage())
			return exitOK
		case 1:
			c := lookup(args[0])
			if c == nil {
				fmt.Fprintf(e.stderr, "trailwatch help: unknown command %q\n\n%s", args[0], mainUsage())
				return exitUsage
			}
			fmt.Fprint(e.stdout, c.fullHelp())
			return exitOK
		}
		return e.usageError(c, errors.New("too many arguments"))
	},
}
