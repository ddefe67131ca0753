package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/alert"
	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/explain"
)

var scanCmd = &command{
	name:    "scan",
	summary: "run the rules over log files, local or in S3, and print the alerts",
	usage:   "trailwatch scan [--rules DIR] [--format text|json] [--events-per-alert N] [--since DAY] [--until DAY] [--account ID] [--region NAME] [--concurrency N] PATH...|s3://BUCKET[/PREFIX]...",
	help: `Evaluates the rules over every PATH, or every CloudTrail log file in the
S3 locations, one log file at a time as the detector Lambda does, and prints
every match. The rules are the embedded CIS rules unless --rules names a
directory of rule files: to see what an edited rule would have sent over
the last month, scan the trail's bucket with --rules and --since 30d.

Flags:
  --rules DIR             read the rule files (*.yaml, *.yml) in DIR instead
  --format text|json      text (the default): one alert per rule and log file,
                          exactly as e-mail subscribers receive it: the Subject
                          line, then the body; alerts are separated by a line
                          of '=' characters.
                          json: one JSON object per line for every matching
                          event, in file order, with rule, severity, title,
                          file, eventTime, eventSource, eventName, eventID,
                          awsRegion, recipientAccountId, principal,
                          sourceIPAddress and, when set, errorCode; "mode":
                          "shadow" marks matches of rules in shadow mode.
  --events-per-alert N    how many events a text alert shows in full (default
                          20); the alert still counts every match

Flags for s3:// locations:
  --since DAY             only log files of DAY or later, by the date in their
                          key; DAY is YYYY-MM-DD, or Nd for N days before today
                          (UTC)
  --until DAY             only log files of DAY or earlier
  --account ID            only this account's log files; repeat the flag or
                          separate IDs with commas
  --region NAME           only log files of this region; repeat or separate
                          with commas
  --concurrency N         objects fetched and scanned at once (default 8)

S3 locations:
  s3://BUCKET[/PREFIX] reads the CloudTrail log files under PREFIX of a
  trail's bucket, laid out as [prefix/]AWSLogs/[o-org/]<account>/CloudTrail/
  <region>/YYYY/MM/DD/. The listing follows that layout, so the filters above
  narrow what is listed, not only what is read; digest and Insights files are
  never listed, and other objects are skipped as the detector skips them.
  Objects are fetched concurrently but reported in key order, so the output
  is the same as a local scan of the same files. While the scan runs, a
  progress line (objects, megabytes, events, matches, rate, time left) is
  kept on standard error when it is a terminal. Credentials, region and
  endpoint come from the standard AWS configuration: AWS_PROFILE, AWS_REGION,
  AWS_ENDPOINT_URL_S3 and the rest; the bucket's own region is found by
  itself. s3:// locations and local PATHs cannot be mixed in one run.

Rules in shadow mode are counted but print no text alert, as the detector
publishes none for them. Rules with a threshold alert when enough matches
fall into one window; the CLI counts them in memory across all the PATHs of
one run, and prints the alert after the log file that completes the window.

A summary goes to standard error: files and records read, files skipped, and
matches per rule; then a table with, for each rule that matched, the
matches, the distinct principals behind them, the matches its exclude
entries suppressed, and the alerts the detector would have sent (one per
rule and log file, thresholds applied, none for shadow rules). Each text
alert says which of the rule's conditions held, as the e-mail does.

` + pathHelp + `
Exit status:
  0  every input was read to the end, with or without matches
  1  an input could not be read, or not to the end: it is named on standard
     error with the number of records read before the damage; the matches up
     to the damage are printed and the other inputs are still scanned. For
     s3:// locations also: an object could not be fetched, or the listing
     failed (the scan stops there) or was interrupted
  2  usage error, or the rules do not load
`,
	run: runScan,
}

// scanFormat is the value of --format.
type scanFormat string

const (
	formatText scanFormat = "text"
	formatJSON scanFormat = "json"
)

func (f *scanFormat) String() string { return string(*f) }

func (f *scanFormat) Set(s string) error {
	switch scanFormat(s) {
	case formatText, formatJSON:
		*f = scanFormat(s)
		return nil
	}
	return fmt.Errorf("must be text or json, not %q", s)
}

func runScan(c *command, e *env, args []string) int {
	fs := newFlagSet("scan")
	rulesDir := fs.String("rules", "", "")
	format := formatText
	fs.Var(&format, "format", "")
	perAlert := fs.Int("events-per-alert", detect.DefaultMaxEvents, "")
	archive := addArchiveFlags(fs)
	paths, err := parseArgs(fs, args)
	var locs []s3Location
	if err == nil {
		locs, err = archive.split(paths)
	}
	switch {
	case err != nil:
	case len(paths) == 0:
		err = errors.New("no PATH given (use - for standard input)")
	case *perAlert < 1:
		err = fmt.Errorf("--events-per-alert must be at least 1, not %d", *perAlert)
	case countStdin(paths) > 1:
		err = errors.New("- (standard input) given more than once")
	}
	if err != nil {
		return e.usageError(c, err)
	}
	rs, err := loadRules(*rulesDir)
	if err != nil {
		e.errorf("%s", describeRulesError(*rulesDir, err))
		return exitUsage
	}
	s := &scanner{
		env:        e,
		rules:      rs,
		format:     format,
		perAlert:   *perAlert,
		counter:    detect.NewThresholdCounter(),
		matches:    map[string]int{},
		threshold:  map[string]int{},
		perRule:    newRuleTally(),
		explainers: map[*detect.Rule]*explain.Explainer{},
	}
	s.counter.MaxEvents = *perAlert
	if len(locs) > 0 {
		return s.scanArchive(locs, archive)
	}
	in := e.expandPaths(paths)
	s.failed = in.failed
	for _, f := range in.files {
		s.scanFile(f)
	}
	fmt.Fprintln(e.stderr, s.summary(in))
	fmt.Fprint(e.stderr, s.ruleTable())
	if s.failed > 0 {
		return exitFail
	}
	return exitOK
}

func countStdin(paths []string) int {
	n := 0
	for _, p := range paths {
		if p == "-" {
			n++
		}
	}
	return n
}

// loadRules loads the rules in dir, or the embedded rules when dir is "".
func loadRules(dir string) (*detect.RuleSet, error) {
	if dir == "" {
		return detect.Default()
	}
	return detect.LoadDir(dir)
}

// describeRulesError renders a rule loading error, one problem per line.
func describeRulesError(dir string, err error) string {
	where := "the embedded rules"
	if dir != "" {
		where = "the rules in " + dir
	}
	var list detect.ErrorList
	if errors.As(err, &list) {
		return fmt.Sprintf("%s do not load; run 'trailwatch test%s' for details:\n%v", where, rulesFlag(dir), list)
	}
	return fmt.Sprintf("%s do not load: %v", where, err)
}

func rulesFlag(dir string) string {
	if dir == "" {
		return ""
	}
	return " --rules " + dir
}

// scanner holds the state of one scan run across its files.
type scanner struct {
	*env
	rules    *detect.RuleSet
	format   scanFormat
	perAlert int
	counter  *detect.ThresholdCounter

	files, records, alerts, failed int
	excluded                       int            // matches suppressed by exclude entries
	matches                        map[string]int // per rule id, excluded matches not counted
	threshold                      map[string]int // threshold alerts per rule id
	printed                        bool           // a text alert has been printed
	perRule                        ruleTally      // the closing table
	explainers                     map[*detect.Rule]*explain.Explainer
}

// fileScan is one log file while its matches are reported.
type fileScan struct {
	in      input
	obj     alert.Object
	crossed []*detect.ThresholdAlert // threshold windows this file completed
}

// scanFile evaluates one input and prints its matches.
func (s *scanner) scanFile(in input) {
	rc, err := s.open(in)
	if err != nil {
		s.errorf("%s", describePathError(err))
		s.failed++
		return
	}
	defer rc.Close()
	f := s.beginFile(in, alert.Object{Key: in.name})
	reader := cloudtrail.NewReader(rc)
	res, err := s.rules.Scan(reader, detect.ScanOptions{
		MaxEvents: s.perAlert,
		OnMatch:   func(rule *detect.Rule, record []byte) { s.match(f, rule, record) },
	})
	s.endFile(f, res, err, reader.Records())
}

// beginFile counts a file whose content could be opened.
func (s *scanner) beginFile(in input, obj alert.Object) *fileScan {
	s.files++
	return &fileScan{in: in, obj: obj}
}

// match reports one match of rule, in file order.
func (s *scanner) match(f *fileScan, rule *detect.Rule, record []byte) {
	s.matches[rule.ID]++
	ev, _ := cloudtrail.ParseEvent(record)
	s.perRule.principal(rule, ev)
	if s.format == formatJSON {
		s.printMatch(f.in, rule, ev)
	}
	if rule.Threshold == nil {
		return
	}
	a, err := s.counter.Add(rule, record)
	if err != nil {
		s.errorf("%s: rule %s: %v; the match is not counted towards its threshold", f.in.name, rule.ID, err)
		return
	}
	if a != nil {
		f.crossed = append(f.crossed, a)
	}
}

// endFile prints the alerts of a file once it has been read, and reports
// what kept it from being read to the end.
func (s *scanner) endFile(f *fileScan, res *detect.Result, err error, records int) {
	if res != nil {
		s.records += res.Records
		s.excluded += sum(res.Excluded)
		for id, n := range res.Excluded {
			s.perRule.excluded[id] += n
		}
		s.printResult(f.obj, res, f.crossed)
		if res.Malformed > 0 {
			s.errorf("%s: %d of %d records are not JSON objects and were skipped", f.in.name, res.Malformed, res.Records)
			s.failed++
		}
	}
	if err != nil {
		s.errorf("%s", readError(f.in, err, records))
		s.failed++
	}
}

// printResult prints the text alerts of one file: one per rule without a
// threshold, then one per threshold window this file completed.
func (s *scanner) printResult(obj alert.Object, res *detect.Result, crossed []*detect.ThresholdAlert) {
	for _, rr := range res.Rules {
		if rr.Rule.Threshold != nil || rr.Rule.Mode == detect.ModeShadow {
			continue
		}
		s.printAlert(s.newAlert(rr.Rule, obj, rr.Count, rr.Events))
	}
	for _, ta := range crossed {
		s.threshold[ta.Rule.ID]++
		if ta.Rule.Mode == detect.ModeShadow {
			continue
		}
		s.printAlert(s.newAlert(ta.Rule, obj, ta.Count, ta.Events).WithThreshold(thresholdCrossed(ta)))
	}
}

// thresholdCrossed is what the alert of a threshold window says about the threshold
// it reached. The counter alerts with the match that reaches the threshold,
// so the window holds exactly that many.
func thresholdCrossed(ta *detect.ThresholdAlert) alert.Threshold {
	th := ta.Rule.Threshold
	return alert.Threshold{
		Count: th.Count, Window: th.Window, WindowStart: ta.Start, WindowEnd: ta.End,
		GroupBy: th.GroupBy, Group: ta.Group, Observed: ta.Count,
	}
}

// newAlert builds the alert the detector would publish, with the
// conditions that held for its events.
func (s *scanner) newAlert(rule *detect.Rule, obj alert.Object, count int, events [][]byte) *alert.Alert {
	a := alert.New(alertRule(rule), obj, count, events)
	x, ok := s.explainers[rule]
	if !ok {
		x, _ = explain.New(rule.Pattern) // nil: the alert goes without the reasons
		s.explainers[rule] = x
	}
	if x != nil {
		a.MatchedBecause = x.Why(events)
	}
	s.perRule.alerts[rule.ID]++
	return a
}

// separator goes between two text alerts.
var separator = strings.Repeat("=", 76) + "\n"

func (s *scanner) printAlert(a *alert.Alert) {
	s.alerts++
	if s.format != formatText {
		return
	}
	if s.printed {
		fmt.Fprint(s.stdout, "\n"+separator+"\n")
	}
	s.printed = true
	body := a.Text()
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	fmt.Fprintf(s.stdout, "Subject: %s\n\n%s", a.Subject(), body)
}

func alertRule(r *detect.Rule) alert.Rule {
	return alert.Rule{
		ID:          r.ID,
		Title:       r.Title,
		Severity:    r.Severity,
		Controls:    r.Controls,
		Description: r.Description,
		File:        r.File,
	}
}

// matchLine is one line of --format json.
type matchLine struct {
	Rule               string `json:"rule"`
	Severity           string `json:"severity"`
	Title              string `json:"title"`
	Mode               string `json:"mode,omitempty"`
	File               string `json:"file"`
	EventTime          string `json:"eventTime"`
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	EventID            string `json:"eventID"`
	AWSRegion          string `json:"awsRegion"`
	RecipientAccountID string `json:"recipientAccountId"`
	Principal          string `json:"principal"`
	SourceIPAddress    string `json:"sourceIPAddress"`
	ErrorCode          string `json:"errorCode,omitempty"`
}

// printMatch prints one line of --format json; ev is nil for a record that
// is not a CloudTrail event.
func (s *scanner) printMatch(in input, rule *detect.Rule, ev *cloudtrail.Event) {
	line := matchLine{Rule: rule.ID, Severity: rule.Severity, Title: rule.Title, File: in.name}
	if rule.Mode == detect.ModeShadow {
		line.Mode = string(detect.ModeShadow)
	}
	if ev != nil {
		line.EventTime = ev.EventTime
		line.EventSource = ev.EventSource
		line.EventName = ev.EventName
		line.EventID = ev.EventID
		line.AWSRegion = ev.AWSRegion
		line.RecipientAccountID = ev.RecipientAccountID
		line.Principal = ev.Principal()
		line.SourceIPAddress = ev.SourceIPAddress
		line.ErrorCode = ev.ErrorCode
	}
	b, err := json.Marshal(line)
	if err != nil {
		s.errorf("%s: encode match of %s: %v", in.name, rule.ID, err)
		return
	}
	s.stdout.Write(append(b, '\n'))
}

// summary is the one-line report printed on stderr at the end.
func (s *scanner) summary(in inputs) string {
	var b strings.Builder
	fmt.Fprintf(&b, "trailwatch: %s, %s", plural(s.files, "file"), plural(s.records, "record"))
	if n := sum(in.skipped); n > 0 {
		fmt.Fprintf(&b, ", %d skipped (", n)
		first := true
		for _, reason := range slices.Sorted(maps.Keys(in.skipped)) {
			if !first {
				b.WriteString(", ")
			}
			first = false
			fmt.Fprintf(&b, "%d %s", in.skipped[reason], reason)
		}
		b.WriteString(")")
	}
	if s.failed > 0 {
		fmt.Fprintf(&b, ", %d with errors", s.failed)
	}
	total := sum(s.matches)
	fmt.Fprintf(&b, "; %s", plural(total, "match"))
	if total > 0 {
		b.WriteString(":")
		for _, r := range s.rules.Rules() {
			n := s.matches[r.ID]
			if n == 0 {
				continue
			}
			fmt.Fprintf(&b, " %s=%d", r.ID, n)
			if r.Mode == detect.ModeShadow {
				b.WriteString("(shadow)")
			}
			if t := s.threshold[r.ID]; r.Threshold != nil {
				fmt.Fprintf(&b, "(%s)", plural(t, "threshold alert"))
			}
		}
	}
	if s.excluded > 0 {
		fmt.Fprintf(&b, "; %d excluded by exclude entries", s.excluded)
	}
	fmt.Fprintf(&b, "; %s", plural(s.alerts, "alert"))
	return b.String()
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "ch") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
