package detect

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/rules"
)

// TestShippedRules loads the embedded CIS rules, runs their inline tests and
// checks the conventions every shipped rule follows.
func TestShippedRules(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	if err := rs.RunTests(); err != nil {
		t.Fatalf("RunTests:\n%v", err)
	}
	var ids []string
	for _, r := range rs.Rules() {
		ids = append(ids, r.ID)
	}
	var want []string
	for n := 1; n <= 14; n++ {
		want = append(want, fmt.Sprintf("cis-3.%d", n))
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("shipped rule ids = %v; want %v", ids, want)
	}
	names, err := fs.Glob(rules.FS, "*.yaml")
	if err != nil || len(names) != 14 {
		t.Fatalf("rules.FS holds %d *.yaml files (%v); want 14", len(names), err)
	}
	for _, r := range rs.Rules() {
		n := strings.TrimPrefix(r.ID, "cis-")
		var matches, misses int
		for _, tc := range r.Tests {
			if tc.Match {
				matches++
			} else {
				misses++
			}
		}
		problems := []struct {
			bad  bool
			what string
		}{
			{!strings.HasPrefix(r.File, "rules/"+r.ID+"-"), "file name does not start with the id"},
			{r.Mode != ModeAlert, "mode is not alert"},
			{r.Threshold != nil, "has a threshold (CIS alarms on the first event)"},
			{len(r.Exclude) != 0, "has exclusions (shipped rules carry no allow-list)"},
			{!slices.Equal(r.Controls["cis-1.2.0"][len(r.Controls["cis-1.2.0"])-1:], []string{n}), "controls cis-1.2.0 does not end with " + n},
			{len(r.Controls["cis-1.4.0"]) == 0, "no cis-1.4.0 control"},
			{len(r.Controls["securityhub"]) != 1 || !strings.HasPrefix(r.Controls["securityhub"][0], "CloudWatch."), "no Security Hub CloudWatch.N control"},
			{len(r.Description) < 200, "description too short to act on"},
			{matches < 2 || misses < 2, fmt.Sprintf("%d matching and %d near-miss tests; want at least 2 of each", matches, misses)},
		}
		for _, p := range problems {
			if p.bad {
				t.Errorf("%s (%s): %s", r.ID, r.File, p.what)
			}
		}
	}
}

// TestShippedRulesExclusive checks each shipped rule's matching tests against
// the other rules too: an event written for one control should only trip the
// controls its description says it does.
func TestShippedRulesExclusive(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// Events that legitimately trip two controls.
	also := map[string][]string{
		"cis-3.3":  {"cis-3.6"}, // a failed root sign-in is also a sign-in failure
		"cis-3.6":  {"cis-3.3"},
		"cis-3.7":  {"cis-3.1"}, // a refused DisableKey is also an unauthorized call
		"cis-3.1":  {},
		"cis-3.2":  {"cis-3.3", "cis-3.6"}, // its near misses show where root and failed sign-ins go
		"cis-3.4":  {},
		"cis-3.5":  {},
		"cis-3.8":  {},
		"cis-3.9":  {},
		"cis-3.10": {},
		"cis-3.11": {},
		"cis-3.12": {},
		"cis-3.13": {},
		"cis-3.14": {},
	}
	m := rs.NewMatcher()
	for _, r := range rs.Rules() {
		for _, tc := range r.Tests {
			got, err := m.Match(tc.Event)
			if err != nil {
				t.Fatalf("%s test %q: %v", r.ID, tc.Name, err)
			}
			for _, other := range got {
				if other != r && !slices.Contains(also[r.ID], other.ID) {
					t.Errorf("%s test %q also matches %s", r.ID, tc.Name, other.ID)
				}
			}
		}
	}
}
