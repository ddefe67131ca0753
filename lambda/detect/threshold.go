package detect

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ThresholdCounter replays threshold rules over matches from any number of
// log files, in memory, and says which alerts the deployed detector would
// send. Each rule's matches are counted per tumbling window of eventTime,
// aligned to the Unix epoch like CloudWatch periods, and per group (the
// values at the rule's GroupBy paths). The match that brings a window's count
// to the threshold yields one alert; later matches in that window are counted
// but not alerted again. Matches count into the window of their own
// eventTime, so a late file still completes an older window.
//
// Rules without a threshold are not counted here: they alert on every log
// file, as [RuleSet.Scan] reports them.
type ThresholdCounter struct {
	// MaxEvents caps the records an alert lists (default DefaultMaxEvents).
	MaxEvents int

	windows map[windowKey]*Window
}

type windowKey struct {
	rule  *Rule
	start int64
	group string
}

// Window is the state of one (rule, group, window).
type Window struct {
	Rule *Rule
	// Group holds the values at Rule.Threshold.GroupBy, in order; "" for a
	// path the record does not have.
	Group      []string
	Start, End time.Time
	// Count is every match in the window, before and after the alert.
	Count   int
	Alerted bool

	events [][]byte
}

// ThresholdAlert is an alert a threshold rule would send.
type ThresholdAlert struct {
	Rule       *Rule
	Group      []string
	Start, End time.Time
	// Count is the threshold that was reached.
	Count int
	// Events are copies of the first matching records of the window, at
	// most MaxEvents of them.
	Events [][]byte
}

// NewThresholdCounter returns an empty counter.
func NewThresholdCounter() *ThresholdCounter {
	return &ThresholdCounter{windows: map[windowKey]*Window{}}
}

// Add counts one match of rule. It returns the alert when this match brings
// its window to the threshold, and nil otherwise, also for rules without a
// threshold. The error reports a record without a readable eventTime.
func (tc *ThresholdCounter) Add(rule *Rule, record []byte) (*ThresholdAlert, error) {
	th := rule.Threshold
	if th == nil {
		return nil, nil
	}
	slot, err := th.Slot(record)
	if err != nil {
		return nil, err
	}
	key := windowKey{rule: rule, start: slot.Start.Unix(), group: strings.Join(slot.Group, "\x00")}
	w := tc.windows[key]
	if w == nil {
		w = &Window{Rule: rule, Group: slot.Group, Start: slot.Start, End: slot.End}
		tc.windows[key] = w
	}
	w.Count++
	if w.Alerted {
		return nil, nil
	}
	if len(w.events) < tc.maxEvents() {
		w.events = append(w.events, append([]byte(nil), record...))
	}
	if w.Count < th.Count {
		return nil, nil
	}
	w.Alerted = true
	a := &ThresholdAlert{Rule: rule, Group: w.Group, Start: w.Start, End: w.End, Count: w.Count, Events: w.events}
	w.events = nil
	return a, nil
}

// Slot is where a matching record counts for a threshold: its window of
// eventTime and its group.
type Slot struct {
	// Start and End bound the tumbling window, aligned to the Unix epoch
	// like CloudWatch periods: Start is a multiple of the window width.
	Start, End time.Time
	// Group holds the values at GroupBy, in order; "" for a path the record
	// does not have.
	Group []string
	// EventTime is the record's own eventTime.
	EventTime time.Time
}

// Slot returns the window and group a matching record counts towards. The
// window is the record's, whenever its log file arrives, so a late file
// still completes an older window. The error reports a record without a
// readable eventTime.
func (th *Threshold) Slot(record []byte) (Slot, error) {
	fields, err := decodeRecord(record)
	if err != nil {
		return Slot{}, err
	}
	at, err := eventTime(fields)
	if err != nil {
		return Slot{}, err
	}
	start, end := th.WindowAt(at)
	group := make([]string, len(th.GroupBy))
	for i, p := range th.GroupBy {
		group[i] = valueAt(fields, p)
	}
	return Slot{Start: start, End: end, Group: group, EventTime: at}, nil
}

// WindowAt returns the bounds of the window that holds t: [start, end).
func (th *Threshold) WindowAt(t time.Time) (start, end time.Time) {
	width := int64(th.Window / time.Second)
	s := t.Unix() - mod(t.Unix(), width)
	return time.Unix(s, 0).UTC(), time.Unix(s+width, 0).UTC()
}

// Windows returns every window seen, by rule, then start, then group.
func (tc *ThresholdCounter) Windows() []*Window {
	out := make([]*Window, 0, len(tc.windows))
	for _, w := range tc.windows {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b *Window) int {
		return cmp.Or(compareIDs(a.Rule.ID, b.Rule.ID), a.Start.Compare(b.Start), slices.Compare(a.Group, b.Group))
	})
	return out
}

func (tc *ThresholdCounter) maxEvents() int {
	if tc.MaxEvents > 0 {
		return tc.MaxEvents
	}
	return DefaultMaxEvents
}

// mod is the non-negative remainder, so windows before 1970 align too.
func mod(a, b int64) int64 {
	if m := a % b; m < 0 {
		return m + b
	} else {
		return m
	}
}

// decodeRecord decodes a record for the few fields a threshold needs. It
// runs only for matches of threshold rules, so encoding/json is fast enough.
func decodeRecord(record []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return fields, nil
}

// eventTimeLayouts are the eventTime spellings seen in CloudTrail files and
// in the exports people feed the CLI.
var eventTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

var errNoEventTime = errors.New("record has no eventTime")

func eventTime(fields map[string]any) (time.Time, error) {
	s, ok := fields["eventTime"].(string)
	if !ok {
		return time.Time{}, errNoEventTime
	}
	for _, layout := range eventTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("record eventTime %q is not a time", s)
}

// valueAt returns the text at a dotted path: strings as they are, numbers as
// written, other values as compact JSON, "" when the path is absent.
func valueAt(fields map[string]any, path string) string {
	var v any = fields
	for name := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		if v, ok = obj[name]; !ok {
			return ""
		}
	}
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}
