package alert

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// textWidth is where descriptions wrap in the e-mail body.
const textWidth = 76

// Text returns the e-mail body: plain text a responder can act on without
// opening the console. It names the rule, the log file, and for every event
// shown when it happened, who did it, what they did, where from, and a link
// to the event; it ends with how to tune the rule.
func (a *Alert) Text() string {
	a = a.clean()
	var b strings.Builder
	a.writeHeadline(&b)
	if d := a.Rule.Description; d != "" {
		b.WriteString("\nWhat this means\n")
		b.WriteString(wrap(d, textWidth, "  "))
		b.WriteByte('\n')
	}
	total := max(a.MatchCount, len(a.Events))
	for i := range a.Events {
		fmt.Fprintf(&b, "\n--- Event %d of %d ---\n", i+1, total)
		writeEvent(&b, &a.Events[i])
	}
	if hidden := total - len(a.Events); hidden > 0 {
		b.WriteByte('\n')
		b.WriteString(a.hiddenNote(hidden))
		b.WriteByte('\n')
	}
	b.WriteString("\n-- \n")
	b.WriteString(a.footer())
	return b.String()
}

func (a *Alert) writeHeadline(b *strings.Builder) {
	sev := strings.ToUpper(a.Rule.Severity)
	if sev == "" {
		sev = "ALERT"
	}
	fmt.Fprintf(b, "%s: %s %s\n\n", sev, a.Rule.ID, a.Rule.Title)
	where := fmt.Sprintf("account %s, region %s", orUnknown(a.Account), orUnknown(a.Region))
	if a.IsOperational() {
		b.WriteString(capitalise(where) + ".\n")
	} else {
		n := max(a.MatchCount, len(a.Events))
		fmt.Fprintf(b, "%d matching %s in %s.\n", n, plural(n, "event", "events"), where)
	}
	if a.Threshold != nil {
		b.WriteString(a.Threshold.sentence() + "\n")
	}
	if f := a.Object.String(); f != "" {
		fmt.Fprintf(b, "Log file: %s\n", f)
	}
	if c := formatControls(a.Rule.Controls); c != "" {
		fmt.Fprintf(b, "Controls: %s\n", c)
	}
	const because = "Matched because: "
	for i, r := range a.MatchedBecause {
		label := because
		if i > 0 {
			label = strings.Repeat(" ", len(because))
		}
		b.WriteString(label + r + "\n")
	}
	if a.Detail != "" {
		b.WriteString("What went wrong: ")
		b.WriteString(strings.ReplaceAll(a.Detail, "\n", "\n  "))
		b.WriteByte('\n')
	}
	if a.RecordsRead != nil {
		fmt.Fprintf(b, "Records read before the damage: %d\n", *a.RecordsRead)
	}
}

// field is one "Label: value" line of an event; empty values are left out.
type field struct{ label, value string }

func writeEvent(b *strings.Builder, e *Event) {
	what := strings.TrimSpace(e.EventSource + " " + e.EventName)
	errText := e.ErrorCode
	if e.ErrorMessage != "" {
		errText = strings.TrimPrefix(errText+": "+e.ErrorMessage, ": ")
	}
	fields := []field{
		{"When", formatTime(e.EventTime)},
		{"Who", e.Principal},
		{"Identity type", e.UserIdentityType},
		{"User", e.UserName},
		{"Session", e.SessionName},
		{"Access key", e.AccessKeyID},
		{"MFA used", e.MFAUsed},
		{"Action", what},
	}
	for i, p := range e.RequestParameters {
		label := ""
		if i == 0 {
			label = "Parameters"
		}
		fields = append(fields, field{label, p.Name + " = " + p.Value})
	}
	fields = append(fields,
		field{"Error", errText},
		field{"Source IP", e.SourceIPAddress},
		field{"User agent", e.UserAgent},
		field{"Account", e.RecipientAccountID},
		field{"Region", e.AWSRegion},
		field{"Event ID", e.EventID},
		field{"Console", e.ConsoleURL},
	)
	const labelWidth = len("Identity type: ")
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		label := ""
		if f.label != "" {
			label = f.label + ":"
		}
		fmt.Fprintf(b, "%-*s%s\n", labelWidth, label, f.value)
	}
}

// hiddenNote says how many events the message leaves out and, when the file
// name is safe to paste into a shell, how to list them all. A threshold
// window's matches can span log files, so scanning this one would not.
func (a *Alert) hiddenNote(hidden int) string {
	note := fmt.Sprintf("%d more matching %s not shown.", hidden, plural(hidden, "event is", "events are"))
	if a.Threshold != nil {
		return note + " The window's matches can come from several log files."
	}
	if a.Object.Key == "" || !shellSafe(a.Object.Key) || !shellSafe(a.Object.Bucket) {
		return note
	}
	if a.Object.Bucket != "" {
		return note + "\nTo list them all: aws s3 cp " + a.Object.String() + " - | trailwatch scan -"
	}
	return note + "\nTo list them all: trailwatch scan " + a.Object.Key
}

func (a *Alert) footer() string {
	if a.IsOperational() {
		return "This alert is about trailwatch itself, raised by the detector rather than by a rule file.\n" +
			"Alert schema " + Schema + ".\n"
	}
	file := a.Rule.File
	if file == "" {
		file = "rules/" + a.Rule.ID + "-*.yaml"
	} else if !strings.Contains(file, "/") {
		file = "rules/" + file
	}
	return wrap(fmt.Sprintf("Rule %s is defined in %s. To silence a known, expected caller, "+
		"add an exclude entry (pattern, reason, until) to that file, run `make test`, then `make deploy`.",
		a.Rule.ID, file), textWidth, "") + "\nAlert schema " + Schema + ".\n"
}

// formatControls renders {"cis-1.2.0": ["3.3"], "securityhub": ["CloudWatch.1"]}
// as "cis-1.2.0 3.3; securityhub CloudWatch.1".
func formatControls(c map[string][]string) string {
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, strings.TrimSpace(k+" "+strings.Join(c[k], ", ")))
	}
	return strings.Join(parts, "; ")
}

// formatTime shows a CloudTrail timestamp in UTC; text that is not one is
// shown as it is.
func formatTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// wrap breaks text into lines of at most width bytes where spaces allow,
// keeping its own line breaks, each line prefixed with indent.
func wrap(text string, width int, indent string) string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := indent
		for _, w := range strings.Fields(para) {
			if line != indent && len(line)+1+len(w) > width {
				out = append(out, line)
				line = indent
			}
			if line != indent {
				line += " "
			}
			line += w
		}
		out = append(out, strings.TrimRight(line, " "))
	}
	return strings.Join(out, "\n")
}

// shellSafe reports whether s can be pasted into a shell command unquoted.
func shellSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/._-", c) >= 0) {
			return false
		}
	}
	return !strings.HasPrefix(s, "-")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
