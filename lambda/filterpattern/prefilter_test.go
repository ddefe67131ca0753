package filterpattern

import (
	"fmt"
	"slices"
	"testing"
)

// checkCandidates fails when a pattern that matches the record last given
// to doc.Reset is not among doc.Candidates, and returns the indexes of the
// candidates.
func checkCandidates(t testing.TB, doc *Doc, pats []*Pattern) []int {
	t.Helper()
	cand := doc.Candidates(nil)
	if len(cand) != (len(pats)+63)/64 {
		t.Fatalf("Candidates has %d words for %d patterns", len(cand), len(pats))
	}
	var out []int
	for i, p := range pats {
		in := cand[i>>6]&(1<<(i&63)) != 0
		if in {
			out = append(out, i)
		}
		if !in && p.Eval(doc) {
			t.Fatalf("%s matches %q but is not a candidate", p, doc.rec)
		}
	}
	return out
}

// TestCandidatesSound: every pattern of the semantics table and of CIS, on
// every record of the table and the inline records, is a candidate when it
// matches.
func TestCandidatesSound(t *testing.T) {
	var pats []*Pattern
	records := []string{inlineRecords[0], inlineRecords[1]}
	for _, c := range semantics {
		pats = append(pats, mustParse(t, c.pattern))
		records = append(records, c.record)
	}
	for _, c := range cisPatterns {
		pats = append(pats, mustParse(t, c.cis), mustParse(t, c.securityHub))
	}
	doc := Compile(pats...).NewDoc()
	for _, rec := range records {
		doc.Reset([]byte(rec))
		checkCandidates(t, doc, pats)
	}
}

// TestCandidatesSelective: a record is a candidate only for the patterns
// whose literals its values are, and for those without such a requirement.
func TestCandidatesSelective(t *testing.T) {
	var pats []*Pattern
	var names []string
	for _, c := range cisPatterns {
		pats = append(pats, mustParse(t, c.securityHub))
		names = append(names, c.id)
	}
	for _, src := range []string{
		`{ $.a = "x" || $.a = "y" }`,                  // one set: requires a
		`{ $.a = "x" || $.b = "y" }`,                  // two selectors: no requirement
		`{ $.a = "x*" && $.b = "y" }`,                 // a wildcard text, then a set: requires b
		`{ $.a != "x" && $.b = "y" }`,                 // requires b
		`{ $.a = 1 }`,                                 // numeric: no requirement
		`{ $.c[*] = "x" }`,                            // a wildcard selector: no requirement
		`{ ($.a = "x" || $.a = "z") && ($.b = "y") }`, // requires a
		``, // matches every record
	} {
		pats = append(pats, mustParse(t, src))
		names = append(names, src)
	}
	always := []string{"cis-3.1", `{ $.a = "x" || $.b = "y" }`, `{ $.a = 1 }`, `{ $.c[*] = "x" }`, ``}
	tests := []struct {
		record string
		want   []string // besides always
	}{
		{`{"eventName":"GetObject","eventSource":"ec2.amazonaws.com"}`, nil},
		{`{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com"}`, []string{"cis-3.2", "cis-3.6"}},
		{`{"eventName":"Console\u004cogin"}`, []string{"cis-3.2", "cis-3.6"}},
		{`{"eventName":["ConsoleLogin"]}`, nil},
		{`{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}`, []string{"cis-3.8"}},
		{`{"eventName":"StopLogging","userIdentity":{"type":"Root"}}`, []string{"cis-3.3", "cis-3.5"}},
		{`{"a":"x","b":"y"}`, []string{`{ $.a = "x" || $.a = "y" }`, `{ $.a = "x*" && $.b = "y" }`, `{ $.a != "x" && $.b = "y" }`, `{ ($.a = "x" || $.a = "z") && ($.b = "y") }`}},
		{`{"a":"y","b":"z"}`, []string{`{ $.a = "x" || $.a = "y" }`}},
	}
	doc := Compile(pats...).NewDoc()
	for _, tt := range tests {
		if err := doc.Reset([]byte(tt.record)); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, i := range checkCandidates(t, doc, pats) {
			got = append(got, names[i])
		}
		want := append(slices.Clone(always), tt.want...)
		slices.Sort(got)
		slices.Sort(want)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Errorf("%s: candidates\n got %q\nwant %q", tt.record, got, want)
		}
	}
	if doc.Reset([]byte(`{"eventName":`)) == nil {
		t.Fatal("Reset accepted a truncated record")
	}
	if got := checkCandidates(t, doc, pats); len(got) != 0 {
		t.Errorf("candidates after a failed Reset: %v", got)
	}
}

func TestCandidatesReusesDst(t *testing.T) {
	doc := Compile(mustParse(t, `{ $.a = "x" }`)).NewDoc()
	doc.Reset([]byte(`{"a":"x"}`))
	dst := make([]uint64, 0, 4)
	got := doc.Candidates(dst)
	if &got[:1][0] != &dst[:1][0] || len(got) != 1 || got[0] != 1 {
		t.Errorf("Candidates(dst) = %v, want dst holding [1]", got)
	}
	if allocs := testing.AllocsPerRun(100, func() { doc.Candidates(dst) }); allocs != 0 {
		t.Errorf("Candidates allocates %.1f times", allocs)
	}
}
