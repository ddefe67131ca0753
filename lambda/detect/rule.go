package detect

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// Severities lists the accepted severity values, least severe first.
var Severities = []string{"informational", "low", "medium", "high", "critical"}

// Mode says what happens when a rule matches.
type Mode string

const (
	// ModeAlert publishes an alert for the matches (the default).
	ModeAlert Mode = "alert"
	// ModeShadow evaluates, logs and counts the matches but never publishes
	// them: the way to try a new rule on live traffic.
	ModeShadow Mode = "shadow"
)

// Rule is one validated rule file.
type Rule struct {
	ID          string
	Title       string
	Severity    string
	Description string
	// Controls maps a benchmark or standard ("cis-1.2.0", "securityhub") to the
	// control ids of it that the rule covers.
	Controls map[string][]string
	Pattern  *filterpattern.Pattern
	Exclude  []Exclusion
	// Threshold is nil for rules that alert on every matching log file.
	Threshold *Threshold
	Mode      Mode
	Tests     []Test
	// File is the rule file's path as given to the loader, as used in errors.
	File string
	// Line and Col locate the rule's id in File.
	Line, Col int
}

// Exclusion suppresses the matches of a rule that its own pattern also
// matches, for the reason given, until the end of the Until day (UTC) if set.
type Exclusion struct {
	Pattern *filterpattern.Pattern
	Reason  string
	// Until is midnight UTC of the last day the exclusion applies; zero means
	// it never expires.
	Until     time.Time
	Line, Col int
}

// Active reports whether the exclusion applies at now: always when it has no
// Until date, otherwise up to the end of the Until day, UTC.
func (e *Exclusion) Active(now time.Time) bool {
	return e.Until.IsZero() || now.Before(e.Until.AddDate(0, 0, 1))
}

// Threshold turns a rule into a counting rule: it alerts once Count matching
// events with the same values at GroupBy fall into one Window. Windows are
// tumbling and aligned to the Unix epoch, like CloudWatch alarm periods.
type Threshold struct {
	Count  int
	Window time.Duration
	// GroupBy holds dotted paths into the record, such as "userIdentity.arn";
	// empty means all matches of the rule count together.
	GroupBy []string
}

// Test is an inline test: Event is expected to match the rule (Match true)
// or not.
type Test struct {
	Name  string
	Match bool
	// Event is the test event as a JSON object, numbers kept as written.
	Event     []byte
	Line, Col int
}

// RuleSet is a validated set of rules with every pattern compiled into one
// program. It is immutable and safe for concurrent use.
type RuleSet struct {
	rules []*Rule
	prog  *filterpattern.Program
	// patternBit is, per rule, the index of its pattern among prog's
	// patterns: its bit in Doc.Candidates.
	patternBit []int
}

// Rules returns the rules in id order, numbers compared as numbers, so that
// cis-3.2 sorts before cis-3.10.
func (rs *RuleSet) Rules() []*Rule {
	return slices.Clone(rs.rules)
}

// Rule returns the rule with the given id, or nil.
func (rs *RuleSet) Rule(id string) *Rule {
	for _, r := range rs.rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func newRuleSet(rules []*Rule) *RuleSet {
	slices.SortFunc(rules, func(a, b *Rule) int { return compareIDs(a.ID, b.ID) })
	var pats []*filterpattern.Pattern
	for _, r := range rules {
		pats = append(pats, r.Pattern)
		for i := range r.Exclude {
			pats = append(pats, r.Exclude[i].Pattern)
		}
	}
	prog := filterpattern.Compile(pats...)
	index := map[*filterpattern.Pattern]int{}
	for j, p := range prog.Patterns() {
		if _, dup := index[p]; !dup {
			index[p] = j
		}
	}
	bits := make([]int, len(rules))
	for i, r := range rules {
		bits[i] = index[r.Pattern]
	}
	return &RuleSet{rules: rules, prog: prog, patternBit: bits}
}

// compareIDs orders ids naturally: runs of digits compare as numbers, the
// rest byte-wise, and equal-looking ids ("3.01", "3.1") fall back to the text.
func compareIDs(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			ei, ej := digitsEnd(a, i), digitsEnd(b, j)
			na, _ := strconv.ParseUint(a[i:ei], 10, 64)
			nb, _ := strconv.ParseUint(b[j:ej], 10, 64)
			if c := cmp.Compare(na, nb); c != 0 {
				return c
			}
			i, j = ei, ej
			continue
		}
		if c := cmp.Compare(a[i], b[j]); c != 0 {
			return c
		}
		i++
		j++
	}
	return cmp.Or(cmp.Compare(len(a)-i, len(b)-j), cmp.Compare(a, b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
