package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
)

// ruleTally gathers, per rule id, what the closing table of a scan shows
// besides the match counts the scanner keeps.
type ruleTally struct {
	principals map[string]map[string]bool // distinct principals that matched
	excluded   map[string]int             // matches suppressed by exclude entries
	alerts     map[string]int             // alerts the detector would have sent
}

func newRuleTally() ruleTally {
	return ruleTally{principals: map[string]map[string]bool{}, excluded: map[string]int{}, alerts: map[string]int{}}
}

// principal records who caused a match; ev is nil for a record that is not a
// CloudTrail event.
func (t ruleTally) principal(rule *detect.Rule, ev *cloudtrail.Event) {
	if ev == nil || ev.Principal() == "" {
		return
	}
	set := t.principals[rule.ID]
	if set == nil {
		set = map[string]bool{}
		t.principals[rule.ID] = set
	}
	set[ev.Principal()] = true
}

// ruleTable renders the closing summary per rule, for the rules that matched
// or had matches excluded: matches, distinct principals, excluded matches
// and the alerts the detector would have sent (one per rule and log file,
// thresholds applied; none for shadow rules). It returns "" when no rule
// matched.
func (s *scanner) ruleTable() string {
	type row struct{ id, matches, principals, excluded, alerts, note string }
	rows := []row{{"rule", "matches", "principals", "excluded", "alerts", ""}}
	for _, r := range s.rules.Rules() {
		n, excl := s.matches[r.ID], s.perRule.excluded[r.ID]
		if n == 0 && excl == 0 {
			continue
		}
		rw := row{
			id:         r.ID,
			matches:    strconv.Itoa(n),
			principals: strconv.Itoa(len(s.perRule.principals[r.ID])),
			excluded:   strconv.Itoa(excl),
			alerts:     strconv.Itoa(s.perRule.alerts[r.ID]),
		}
		var notes []string
		if t := r.Threshold; t != nil {
			note := fmt.Sprintf("threshold %d in %s", t.Count, shortDuration(t.Window))
			if len(t.GroupBy) > 0 {
				note += " per " + strings.Join(t.GroupBy, ", ")
			}
			notes = append(notes, note)
		}
		if r.Mode == detect.ModeShadow {
			notes = append(notes, "shadow mode: never sent")
		}
		rw.note = strings.Join(notes, "; ")
		rows = append(rows, rw)
	}
	if len(rows) == 1 {
		return ""
	}
	w := [5]int{}
	for _, rw := range rows {
		for i, cell := range []string{rw.id, rw.matches, rw.principals, rw.excluded, rw.alerts} {
			w[i] = max(w[i], len(cell))
		}
	}
	var b strings.Builder
	for _, rw := range rows {
		line := fmt.Sprintf("  %-*s  %*s  %*s  %*s  %*s  %s", w[0], rw.id, w[1], rw.matches, w[2], rw.principals, w[3], rw.excluded, w[4], rw.alerts, rw.note)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String()
}

// shortDuration writes 5m rather than 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
