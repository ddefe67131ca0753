package detect

import (
	"errors"
	"io"
	"time"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// DefaultMaxEvents is how many matching records Scan keeps per rule unless
// told otherwise.
const DefaultMaxEvents = 20

// ScanOptions tune [RuleSet.Scan].
type ScanOptions struct {
	// MaxEvents is how many matching raw records to keep per rule (default
	// DefaultMaxEvents); all matches are counted regardless.
	MaxEvents int
	// Now decides whether exclusions have expired (default time.Now).
	Now func() time.Time
	// OnMatch, if set, is called for every match that no exclusion
	// suppresses, shadow rules included, in file order; record is only valid
	// during the call. The CLI uses it to feed a ThresholdCounter.
	OnMatch func(rule *Rule, record []byte)
}

// Result is what one log file produced.
type Result struct {
	// Records counts the records read, malformed ones included.
	Records int
	// Malformed counts records that were not JSON objects and were skipped.
	Malformed int
	// Rules holds the rules with at least one match, in [RuleSet.Rules]
	// order. Shadow-mode rules are included; check Rule.Mode before alerting.
	Rules []*RuleResult
	// Excluded counts, per rule id, the matches an exclusion suppressed; nil
	// when there were none.
	Excluded map[string]int
}

// RuleResult holds one rule's matches in a file.
type RuleResult struct {
	Rule *Rule
	// Count is the number of matching records.
	Count int
	// Events are copies of the first MaxEvents matching records.
	Events [][]byte
}

// Scan evaluates every record r delivers. On damaged input it returns the
// result for the records before the damage together with the
// *cloudtrail.CorruptError; other read errors are returned the same way.
func (rs *RuleSet) Scan(r *cloudtrail.Reader, opts ScanOptions) (*Result, error) {
	maxEvents := opts.MaxEvents
	if maxEvents <= 0 {
		maxEvents = DefaultMaxEvents
	}
	m := rs.NewMatcher()
	m.SetNow(opts.Now)
	res := &Result{}
	perRule := make([]*RuleResult, len(rs.rules))
	finish := func() *Result {
		for _, rr := range perRule {
			if rr != nil {
				res.Rules = append(res.Rules, rr)
			}
		}
		return res
	}
	// The reader finds each record's end by parsing it into the Doc, so
	// every byte is read once.
	parse := m.doc.ResetPrefix
	for {
		rec, err := r.NextFunc(parse)
		if err != nil {
			var malformed *cloudtrail.MalformedError
			switch {
			case errors.As(err, &malformed):
				res.Records++
				res.Malformed++
				continue
			case errors.Is(err, io.EOF):
				return finish(), nil
			}
			return finish(), err
		}
		res.Records++
		m.eachMatch(func(i int, by *Exclusion) {
			rule := rs.rules[i]
			if by != nil {
				if res.Excluded == nil {
					res.Excluded = map[string]int{}
				}
				res.Excluded[rule.ID]++
				return
			}
			rr := perRule[i]
			if rr == nil {
				rr = &RuleResult{Rule: rule}
				perRule[i] = rr
			}
			rr.Count++
			if len(rr.Events) < maxEvents {
				rr.Events = append(rr.Events, append([]byte(nil), rec...))
			}
			if opts.OnMatch != nil {
				opts.OnMatch(rule, rec)
			}
		})
	}
}
