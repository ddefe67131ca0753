package alert

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxGroupBy caps the grouping paths an alert shows; rule authors write
// them, but a hand-built alert should stay small whatever it holds.
const maxGroupBy = 16

// Threshold says which threshold an alert crossed: the rule's count in its
// window, the window's bounds, the group the matches share and how many
// matches the window held when the alert was sent. Alerts of rules without a
// threshold have none.
//
// In JSON it is
//
//	{"count": 3, "window": "5m", "windowStart": "2026-11-24T10:15:00Z",
//	 "windowEnd": "2026-11-24T10:20:00Z", "groupBy": ["sourceIPAddress"],
//	 "group": {"sourceIPAddress": "203.0.113.9"}, "observed": 3}
//
// with groupBy and group left out for rules that count all matches together.
type Threshold struct {
	// Count is the rule's threshold: the matches a window needs to alert.
	Count int
	// Window is the width of the tumbling window.
	Window time.Duration
	// WindowStart and WindowEnd bound the window: [start, end).
	WindowStart, WindowEnd time.Time
	// GroupBy holds the rule's grouping paths, such as "sourceIPAddress".
	GroupBy []string
	// Group holds the values at GroupBy that the window's matches share, in
	// the same order; "" for a path the records do not have.
	Group []string
	// Observed is the window's count when the alert was sent, at least Count
	// when it was sent on time.
	Observed int
}

// WithThreshold records the threshold the alert crossed, its text cleaned
// like all other text an alert carries, and returns a.
func (a *Alert) WithThreshold(th Threshold) *Alert {
	c := th.clean()
	a.Threshold = &c
	return a
}

// clean returns th with its times in UTC and its text made safe to show.
// Group is made as long as GroupBy.
func (th Threshold) clean() Threshold {
	n := min(len(th.GroupBy), maxGroupBy)
	c := th
	c.WindowStart, c.WindowEnd = th.WindowStart.UTC(), th.WindowEnd.UTC()
	c.GroupBy, c.Group = nil, nil
	if n > 0 {
		c.GroupBy, c.Group = make([]string, n), make([]string, n)
	}
	for i := range n {
		c.GroupBy[i] = cleanLine(th.GroupBy[i], maxShort)
		if i < len(th.Group) {
			c.Group[i] = cleanLine(th.Group[i], maxARN)
		}
	}
	return c
}

// thresholdJSON is the JSON form of a Threshold.
type thresholdJSON struct {
	Count       int               `json:"count"`
	Window      string            `json:"window"`
	WindowStart string            `json:"windowStart"`
	WindowEnd   string            `json:"windowEnd"`
	GroupBy     []string          `json:"groupBy,omitempty"`
	Group       map[string]string `json:"group,omitempty"`
	Observed    int               `json:"observed"`
}

// MarshalJSON writes the window as the rule files do ("5m", "1h"), its
// bounds as RFC 3339 in UTC and the group as an object keyed by path.
func (th Threshold) MarshalJSON() ([]byte, error) {
	doc := thresholdJSON{
		Count:       th.Count,
		Window:      windowText(th.Window),
		WindowStart: th.WindowStart.UTC().Format(time.RFC3339),
		WindowEnd:   th.WindowEnd.UTC().Format(time.RFC3339),
		GroupBy:     th.GroupBy,
		Observed:    th.Observed,
	}
	if len(th.GroupBy) > 0 {
		doc.Group = make(map[string]string, len(th.GroupBy))
		for i, p := range th.GroupBy {
			doc.Group[p] = groupValue(th.Group, i)
		}
	}
	return json.Marshal(doc)
}

// UnmarshalJSON reads the document MarshalJSON writes.
func (th *Threshold) UnmarshalJSON(data []byte) error {
	var doc thresholdJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	out := Threshold{Count: doc.Count, GroupBy: doc.GroupBy, Observed: doc.Observed}
	var err error
	if doc.Window != "" {
		if out.Window, err = time.ParseDuration(doc.Window); err != nil {
			return fmt.Errorf("threshold window: %w", err)
		}
	}
	for _, f := range []struct {
		text string
		to   *time.Time
	}{{doc.WindowStart, &out.WindowStart}, {doc.WindowEnd, &out.WindowEnd}} {
		if f.text == "" {
			continue
		}
		if *f.to, err = time.Parse(time.RFC3339, f.text); err != nil {
			return fmt.Errorf("threshold window bound: %w", err)
		}
	}
	if len(doc.GroupBy) > 0 {
		out.Group = make([]string, len(doc.GroupBy))
		for i, p := range doc.GroupBy {
			out.Group[i] = doc.Group[p]
		}
	}
	*th = out
	return nil
}

// windowText writes a window as the rule files do: 5m, 1h, 1h30m.
func windowText(d time.Duration) string {
	switch {
	case d <= 0 || d%time.Minute != 0:
		return d.String()
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > time.Hour:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h" + strconv.FormatInt(int64(d%time.Hour/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
}

// windowWords names a window's width for a sentence: "5-minute", "1-hour".
func windowWords(d time.Duration) string {
	switch {
	case d <= 0 || d%time.Minute != 0:
		return d.String()
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "-hour"
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "-minute"
}

// sentence is the e-mail's line about the threshold, for example
// "Threshold: 3 matches from sourceIPAddress=203.0.113.9 in the 5-minute
// window 2026-11-24 10:15–10:20 UTC (threshold 3)."
func (th *Threshold) sentence() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Threshold: %d %s", th.Observed, plural(th.Observed, "match", "matches"))
	for i, p := range th.GroupBy {
		if i == 0 {
			b.WriteString(" from ")
		} else {
			b.WriteString(", ")
		}
		v := groupValue(th.Group, i)
		if v == "" {
			v = "(none)"
		}
		b.WriteString(p + "=" + v)
	}
	fmt.Fprintf(&b, " in the %s window %s (threshold %d).", windowWords(th.Window), windowSpan(th.WindowStart, th.WindowEnd), th.Count)
	return b.String()
}

// windowSpan shows a window's bounds in UTC, the date once when the window
// ends on the day it starts or at the following midnight.
func windowSpan(start, end time.Time) string {
	start, end = start.UTC(), end.UTC()
	clock := "15:04"
	if start.Second() != 0 || end.Second() != 0 {
		clock = "15:04:05"
	}
	day := func(t time.Time) time.Time { return t.Truncate(24 * time.Hour) }
	sameDay := day(start).Equal(day(end)) ||
		end.Equal(day(start).Add(24*time.Hour)) && end.Sub(start) < 24*time.Hour
	if sameDay {
		return start.Format("2006-01-02 "+clock) + "–" + end.Format(clock) + " UTC"
	}
	return start.Format("2006-01-02 "+clock) + " – " + end.Format("2006-01-02 "+clock) + " UTC"
}

// groupValue is the value at index i of group, "" past its end.
func groupValue(group []string, i int) string {
	if i < len(group) {
		return group[i]
	}
	return ""
}
