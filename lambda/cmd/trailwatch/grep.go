package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

var grepCmd = &command{
	name:    "grep",
	summary: "print the events a filter pattern matches",
	usage:   "trailwatch grep PATTERN PATH...",
	help: `Prints every event of the PATHs that PATTERN matches, as one line of compact
JSON, in file order. PATTERN is a CloudWatch Logs JSON filter pattern, the
language of the rule files, evaluated with the same engine; quote it for the
shell:

  trailwatch grep '{ $.userIdentity.type = "Root" && $.eventType != "AwsServiceEvent" }' testdata/cloudtrail
  trailwatch grep '{ $.errorCode = "AccessDenied*" }' - < events.jsonl

` + pathHelp + `
Exit status:
  0  at least one event matched
  1  no event matched
  2  an error: a usage error, a pattern that does not parse (the message
     gives its column, with the pattern and a caret under the offending
     text), or an input that could not be read to the end (its matches up to
     the damage are still printed and the other inputs are still read)
`,
	run: runGrep,
}

func runGrep(c *command, e *env, args []string) int {
	fs := newFlagSet("grep")
	positional, err := parseArgs(fs, args)
	switch {
	case err != nil:
	case len(positional) == 0:
		err = errors.New("no PATTERN given")
	case len(positional) == 1:
		err = errors.New("no PATH given (use - for standard input)")
	case countStdin(positional[1:]) > 1:
		err = errors.New("- (standard input) given more than once")
	}
	if err != nil {
		return e.usageError(c, err)
	}
	pattern, err := filterpattern.Parse(positional[0])
	if err != nil {
		var se *filterpattern.SyntaxError
		if errors.As(err, &se) {
			fmt.Fprintf(e.stderr, "trailwatch grep: bad pattern: %v\n%s\n", se, se.Snippet())
		} else {
			fmt.Fprintf(e.stderr, "trailwatch grep: bad pattern: %v\n", err)
		}
		return exitUsage
	}
	g := &grepper{env: e, pattern: pattern, doc: filterpattern.Compile(pattern).NewDoc()}
	in := e.expandPaths(positional[1:])
	g.failed = in.failed
	for _, f := range in.files {
		g.grepFile(f)
	}
	switch {
	case g.failed > 0:
		return exitUsage
	case g.matched == 0:
		return exitFail
	}
	return exitOK
}

// grepper evaluates one pattern over many inputs.
type grepper struct {
	*env
	pattern *filterpattern.Pattern
	doc     *filterpattern.Doc
	buf     bytes.Buffer

	matched, failed int
}

func (g *grepper) grepFile(in input) {
	rc, err := g.open(in)
	if err != nil {
		g.errorf("%s", describePathError(err))
		g.failed++
		return
	}
	defer rc.Close()
	r := cloudtrail.NewReader(rc)
	malformed := 0
	for {
		// One pass per record: the pattern's scanner finds where it ends.
		rec, err := r.NextFunc(g.doc.ResetPrefix)
		var bad *cloudtrail.MalformedError
		if errors.As(err, &bad) {
			malformed++
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				g.errorf("%s", readError(in, err, r.Records()))
				g.failed++
			}
			break
		}
		if !g.pattern.Eval(g.doc) {
			continue
		}
		g.buf.Reset()
		if err := json.Compact(&g.buf, rec); err != nil {
			malformed++
			continue
		}
		g.matched++
		g.buf.WriteByte('\n')
		g.stdout.Write(g.buf.Bytes())
	}
	if malformed > 0 {
		g.errorf("%s: %d of %d records are not JSON objects and were skipped", in.name, malformed, r.Records())
		g.failed++
	}
}
