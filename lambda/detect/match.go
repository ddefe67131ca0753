package detect

import (
	"time"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// Matcher evaluates records against a rule set. It holds the scratch space
// of one record, so each goroutine needs its own.
type Matcher struct {
	rules      []*Rule
	patternBit []int
	doc        *filterpattern.Doc
	now        func() time.Time
	candidates []uint64
}

// NewMatcher returns a matcher that decides whether exclusions have expired
// by the wall clock; see [Matcher.SetNow].
func (rs *RuleSet) NewMatcher() *Matcher {
	return &Matcher{rules: rs.rules, patternBit: rs.patternBit, doc: rs.prog.NewDoc(), now: time.Now}
}

// SetNow sets the clock used to decide whether an exclusion has expired; nil
// restores the wall clock.
func (m *Matcher) SetNow(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	m.now = now
}

// Match returns the rules, in [RuleSet.Rules] order, whose pattern holds for
// record and that no active exclusion suppresses; shadow rules are included,
// callers check [Rule.Mode]. The result is nil when nothing matches. The
// error reports a record that is not a JSON object.
func (m *Matcher) Match(record []byte) ([]*Rule, error) {
	if err := m.doc.Reset(record); err != nil {
		return nil, err
	}
	var out []*Rule
	m.eachMatch(func(i int, by *Exclusion) {
		if by == nil {
			out = append(out, m.rules[i])
		}
	})
	return out, nil
}

// eachMatch calls fn, in rule order, for every rule whose pattern holds for
// the record last loaded into the Doc, with the active exclusion that
// suppresses it, if any. Most records match no rule: Doc.Candidates rules
// out most rules with a few lookups, before any of them is evaluated.
func (m *Matcher) eachMatch(fn func(i int, excludedBy *Exclusion)) {
	m.candidates = m.doc.Candidates(m.candidates)
	for i := range m.rules {
		if j := m.patternBit[i]; m.candidates[j>>6]&(1<<(j&63)) == 0 {
			continue // the rule's pattern cannot match
		}
		if matched, by := m.check(i); matched {
			fn(i, by)
		}
	}
}

// check evaluates rule i against the record last loaded into the Doc and, if
// its pattern holds, returns the active exclusion that suppresses it, if any.
func (m *Matcher) check(i int) (matched bool, excludedBy *Exclusion) {
	r := m.rules[i]
	if !r.Pattern.Eval(m.doc) {
		return false, nil
	}
	if len(r.Exclude) == 0 {
		return true, nil
	}
	now := m.now()
	for j := range r.Exclude {
		e := &r.Exclude[j]
		if e.Active(now) && e.Pattern.Eval(m.doc) {
			return true, e
		}
	}
	return true, nil
}
