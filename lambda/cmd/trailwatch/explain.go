package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/explain"
	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

var explainCmd = &command{
	name:    "explain",
	summary: "show why a rule or pattern matches an event, or not",
	usage:   "trailwatch explain [--rules DIR] [--first N] PATTERN|RULE-ID EVENT-FILE",
	help: `Evaluates a rule (by id, e.g. cis-3.5) or a filter pattern (text starting
with "{") on each event of EVENT-FILE and prints, per event, the pattern's
conditions as a tree: each node's truth, and for each condition the value
its selector found in the event. For a rule, its exclude entries are
explained the same way, and a closing line gives the verdict the detector
would reach: no match, an alert, a match an exclude entry suppresses, a
match of a shadow rule, or one that counts towards a threshold.

  trailwatch explain cis-3.2 signin.json
  trailwatch explain '{ $.errorCode = "AccessDenied*" }' events.jsonl

EVENT-FILE holds one event (a JSON object, pretty-printed or not), events
one per line, or a CloudTrail log file ({"Records":[...]}, .json or
.json.gz); - reads standard input.

Flags:
  --rules DIR   look RULE-ID up in the rule files in DIR instead of the
                embedded rules
  --first N     explain only the first N events (default: all)

Exit status:
  0  the rule would alert (or the pattern matched) on at least one event
  1  on none
  2  usage error, an unknown rule, a pattern that does not parse, or an
     event file that could not be read to the end
`,
	run: runExplain,
}

func runExplain(c *command, e *env, args []string) int {
	fs := newFlagSet("explain")
	rulesDir := fs.String("rules", "", "")
	first := fs.Int("first", 0, "")
	positional, err := parseArgs(fs, args)
	switch {
	case err != nil:
	case len(positional) == 0:
		err = errors.New("no PATTERN or RULE-ID given")
	case len(positional) == 1:
		err = errors.New("no EVENT-FILE given (use - for standard input)")
	case len(positional) > 2:
		err = fmt.Errorf("unexpected argument %q: give one PATTERN or RULE-ID and one EVENT-FILE", positional[2])
	case *first < 0:
		err = fmt.Errorf("--first must not be negative, not %d", *first)
	}
	if err != nil {
		return e.usageError(c, err)
	}
	x := &explainer{env: e, now: time.Now}
	if strings.HasPrefix(strings.TrimSpace(positional[0]), "{") {
		if x.pattern, err = filterpattern.Parse(positional[0]); err != nil {
			var se *filterpattern.SyntaxError
			if errors.As(err, &se) {
				fmt.Fprintf(e.stderr, "trailwatch explain: bad pattern: %v\n%s\n", se, se.Snippet())
			} else {
				fmt.Fprintf(e.stderr, "trailwatch explain: bad pattern: %v\n", err)
			}
			return exitUsage
		}
	} else {
		rs, err := loadRules(*rulesDir)
		if err != nil {
			e.errorf("%s", describeRulesError(*rulesDir, err))
			return exitUsage
		}
		x.rules = rs
		if x.rule = rs.Rule(positional[0]); x.rule == nil {
			var ids []string
			for _, r := range rs.Rules() {
				ids = append(ids, r.ID)
			}
			fmt.Fprintf(e.stderr, "trailwatch explain: no rule %q in %s; the rules are: %s\n",
				positional[0], rulesWhere(*rulesDir), strings.Join(ids, ", "))
			return exitUsage
		}
		x.pattern = x.rule.Pattern
	}
	if err := x.prepare(); err != nil {
		e.errorf("%v", err)
		return exitUsage
	}
	return x.explainFile(positional[1], *first)
}

func rulesWhere(dir string) string {
	if dir == "" {
		return "the embedded rules"
	}
	return dir
}

// explainer explains one rule or pattern over the events of a file.
type explainer struct {
	*env
	rules   *detect.RuleSet // the rule's set; nil for a bare pattern
	rule    *detect.Rule    // nil for a bare pattern
	pattern *filterpattern.Pattern
	now     func() time.Time

	main     *explain.Explainer
	excludes []*explain.Explainer // one per rule.Exclude entry
	matcher  *detect.Matcher      // the detector's verdict, to check ours
}

func (x *explainer) prepare() error {
	var err error
	if x.main, err = explain.New(x.pattern); err != nil {
		return err
	}
	if x.rule == nil {
		return nil
	}
	for _, ex := range x.rule.Exclude {
		ee, err := explain.New(ex.Pattern)
		if err != nil {
			return err
		}
		x.excludes = append(x.excludes, ee)
	}
	x.matcher = x.rules.NewMatcher()
	x.matcher.SetNow(x.now)
	return nil
}

// explainFile explains the first n events of the file (all when n is 0).
func (x *explainer) explainFile(name string, n int) int {
	in := input{name: name}
	if name == "-" {
		in = input{name: stdinName, stdin: true}
	}
	rc, err := x.open(in)
	if err != nil {
		x.errorf("%s", describePathError(err))
		return exitUsage
	}
	defer rc.Close()
	x.header()
	r := cloudtrail.NewReader(rc)
	fired, broken := 0, false
	for i := 1; n == 0 || i <= n; i++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			if i == 1 {
				x.errorf("%s: no events", in.name)
				return exitUsage
			}
			break
		}
		if err != nil {
			x.errorf("%s", readError(in, err, r.Records()))
			broken = true
			break
		}
		ok, err := x.explainEvent(i, rec)
		if err != nil {
			broken = true
		}
		if ok {
			fired++
		}
	}
	switch {
	case broken:
		return exitUsage
	case fired == 0:
		return exitFail
	}
	return exitOK
}

func (x *explainer) header() {
	if x.rule != nil {
		fmt.Fprintf(x.stdout, "Rule %s: %s (%s, %s", x.rule.ID, x.rule.Title, x.rule.Severity, x.rule.Mode)
		if x.rule.File != "" {
			fmt.Fprintf(x.stdout, ", %s", x.rule.File)
		}
		fmt.Fprintln(x.stdout, ")")
	}
	fmt.Fprintf(x.stdout, "Pattern: %s\n", x.pattern)
}

// explainEvent prints the explanation of one event and reports whether the
// rule would alert on it (for a bare pattern: whether it matched).
func (x *explainer) explainEvent(i int, rec []byte) (bool, error) {
	fmt.Fprintf(x.stdout, "\nEvent %d: %s\n", i, describeEvent(rec))
	root, err := x.main.Explain(rec)
	if err != nil {
		fmt.Fprintf(x.stdout, "Not evaluated: %v\n", err)
		return false, err
	}
	fmt.Fprint(x.stdout, root.Tree())
	if x.rule == nil {
		fmt.Fprintf(x.stdout, "Result: %s\n", matchWord(root.Result))
		return root.Result, nil
	}

	var by int // 1-based index of the exclude entry that suppresses the match
	for j, ex := range x.rule.Exclude {
		active := ex.Active(x.now())
		fmt.Fprintf(x.stdout, "Exclude %d (%s", j+1, ex.Reason)
		if !ex.Until.IsZero() {
			state := "until"
			if !active {
				state = "expired after"
			}
			fmt.Fprintf(x.stdout, "; %s %s", state, ex.Until.Format(dateLayout))
		}
		fmt.Fprintf(x.stdout, "): %s\n", ex.Pattern)
		ex, err := x.excludes[j].Explain(rec)
		if err != nil {
			return false, err
		}
		fmt.Fprint(x.stdout, ex.Tree())
		if active && ex.Result && by == 0 {
			by = j + 1
		}
	}

	verdict, fires := x.verdict(root.Result, by)
	fmt.Fprintf(x.stdout, "Result: %s\n", verdict)
	// The explanation must agree with the detector's own matcher.
	if got, err := x.matcher.Match(rec); err == nil && slices.Contains(got, x.rule) != (root.Result && by == 0) {
		x.errorf("event %d: the explanation disagrees with the detector, which says %s", i, matchWord(!root.Result || by > 0))
		return false, errDisagree
	}
	return fires, nil
}

// errDisagree reports an explanation that contradicts the detector's matcher.
var errDisagree = errors.New("explanation disagrees with the detector")

// verdict says what the detector does with an event: matched is the
// pattern's result, by the exclude entry that suppresses it (0 for none).
func (x *explainer) verdict(matched bool, by int) (string, bool) {
	r := x.rule
	switch {
	case !matched:
		return "no match: " + r.ID + " does not fire", false
	case by > 0:
		return fmt.Sprintf("match, suppressed by exclude %d (%s): no alert", by, r.Exclude[by-1].Reason), false
	case r.Mode == detect.ModeShadow:
		return "match, but " + r.ID + " is in shadow mode: counted and logged, never sent", true
	case r.Threshold != nil:
		t := r.Threshold
		s := fmt.Sprintf("match: counts towards the threshold of %d in %s", t.Count, shortDuration(t.Window))
		if len(t.GroupBy) > 0 {
			s += " per " + strings.Join(t.GroupBy, ", ")
		}
		return s + "; the alert goes out with the match that reaches it", true
	}
	return "match: " + r.ID + " alerts (one message per log file)", true
}

func matchWord(ok bool) string {
	if ok {
		return "match"
	}
	return "no match"
}

// describeEvent names an event in one line: what, who, when, its id.
func describeEvent(rec []byte) string {
	ev, err := cloudtrail.ParseEvent(rec)
	if err != nil {
		return "(not a CloudTrail event)"
	}
	var parts []string
	if ev.EventName != "" {
		parts = append(parts, printable(ev.EventSource+" "+ev.EventName))
	}
	if p := ev.Principal(); p != "" {
		parts = append(parts, "by "+printable(p))
	}
	if ev.EventTime != "" {
		parts = append(parts, "at "+printable(ev.EventTime))
	}
	if ev.EventID != "" {
		parts = append(parts, "(eventID "+printable(ev.EventID)+")")
	}
	if len(parts) == 0 {
		return "(no eventName, principal, time or id)"
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

// printable escapes what could move a terminal's cursor or reorder its line,
// and cuts what is too long to read.
func printable(s string) string {
	q := strconv.QuoteToGraphic(s)
	q = q[1 : len(q)-1]
	if r := []rune(q); len(r) > 200 {
		q = string(r[:197]) + "..."
	}
	return q
}
