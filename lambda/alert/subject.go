package alert

import (
	"strconv"
	"strings"
)

// MaxSubject is the longest subject Subject returns. SNS wants subjects
// shorter than 100 characters.
const MaxSubject = 99

// minTitle is the fewest characters of a title worth keeping in a subject.
const minTitle = 12

// Subject returns the e-mail subject: printable ASCII, one line, at most
// MaxSubject characters, for example
// "[HIGH] cis-3.3 Root account used - 123456789012 us-east-1 (3 events)",
// or "(3 events in 5m)" for an alert that crossed a threshold.
// When it would be longer the title is shortened at a word boundary first,
// so the severity, the rule id, the account and the region stay readable.
func (a *Alert) Subject() string {
	sev := strings.ToUpper(subjectText(a.Rule.Severity))
	if sev == "" {
		sev = "ALERT"
	}
	head := "[" + sev + "]"
	if id := subjectText(a.Rule.ID); id != "" {
		head += " " + id
	}
	title := subjectText(a.Rule.Title)

	var where string
	if w := strings.TrimSpace(subjectText(a.Account) + " " + subjectText(a.Region)); w != "" {
		where = " - " + w
	}
	tail := where
	if a.MatchCount > 1 {
		tail += " (" + strconv.Itoa(a.MatchCount) + " events)"
	}
	// A threshold alert names its window, "(3 events in 5m)", unless that
	// alone would cut a title that fits without it.
	if th := a.Threshold; th != nil && th.Observed > 0 {
		n := th.Observed
		windowed := where + " (" + strconv.Itoa(n) + " " + plural(n, "event", "events") + " in " + subjectText(windowText(th.Window)) + ")"
		withWindow, without := titleRoom(head, windowed), titleRoom(head, tail)
		if withWindow >= len(title) || without < len(title) && withWindow >= minTitle {
			tail = windowed
		}
	}

	room := titleRoom(head, tail)
	switch {
	case title == "":
		return shorten(head+tail, MaxSubject)
	case len(title) <= room:
		return head + " " + title + tail
	case room >= minTitle:
		return head + " " + shorten(title, room) + tail
	}
	return shorten(head+" "+title+tail, MaxSubject)
}

// titleRoom is the room a subject made of head, a title and tail leaves for
// the title.
func titleRoom(head, tail string) int {
	return MaxSubject - len(head) - len(tail) - 1 // 1 for the space before the title
}

// subjectText reduces s to printable ASCII on one line: other characters
// become "?" and runs of spaces collapse.
func subjectText(s string) string {
	s = cleanLine(s, 1024)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '…':
			b.WriteString("...")
		case r >= ' ' && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return strings.TrimSpace(b.String())
}

// shorten cuts ASCII text s to at most max bytes, at the last space when one
// is near the end, marking the cut with "...".
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 3 {
		return strings.Repeat(".", max)
	}
	head := s[:max-3]
	if sp := strings.LastIndexByte(head, ' '); sp > 0 && len(head)-sp <= max/4 {
		head = head[:sp]
	}
	return strings.TrimRight(head, " -") + "..."
}
