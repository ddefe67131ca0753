package detect

import "slices"

// RunTests runs every rule's inline tests through a [Matcher], the same
// compiled path that evaluates real records, with exclusions applied as of
// now. Failures come back as an [ErrorList] pointing at each failing test.
func (rs *RuleSet) RunTests() error {
	m := rs.NewMatcher()
	var errs ErrorList
	for i, r := range rs.rules {
		for _, t := range r.Tests {
			fail := func(format string, args ...any) {
				args = append([]any{r.ID, t.Name}, args...)
				errs.add(r.File, t.Line, t.Col, "rule %s test %q: "+format, args...)
			}
			matched, err := m.Match(t.Event)
			if err != nil {
				fail("event rejected: %v", err)
				continue
			}
			got := slices.Contains(matched, r)
			switch {
			case t.Match && !got:
				// The Doc still holds this event: ask why it did not match.
				if _, by := m.check(i); by != nil {
					fail("expected match, got none (suppressed by the exclusion at line %d: %s)", by.Line, by.Reason)
				} else {
					fail("expected match, got none")
				}
			case !t.Match && got:
				fail("expected no match, got a match")
			}
		}
	}
	return errs.Err()
}
