package explain

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

func mustExplainer(t testing.TB, pattern string) *Explainer {
	t.Helper()
	p, err := filterpattern.Parse(pattern)
	if err != nil {
		t.Fatalf("parse %s: %v", pattern, err)
	}
	x, err := New(p)
	if err != nil {
		t.Fatalf("explain %s: %v", pattern, err)
	}
	return x
}

func TestExplain(t *testing.T) {
	const consoleLogin = `{"eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser","userName":"bob"},` +
		`"additionalEventData":{"MFAUsed":"No"},"responseElements":{"ConsoleLogin":"Success"}}`
	tests := []struct {
		name    string
		pattern string
		record  string
		match   bool
		reasons []string
		tree    string
	}{
		{
			name:    "one condition",
			pattern: `{ $.eventName = StopLogging }`,
			record:  `{"eventName":"StopLogging"}`,
			match:   true,
			reasons: []string{"eventName = StopLogging"},
			tree:    "true   $.eventName = StopLogging  found \"StopLogging\"\n",
		},
		{
			name:    "or keeps only the terms that held",
			pattern: `{($.eventName=CreateTrail) || ($.eventName=StopLogging) || ($.eventName=DeleteTrail)}`,
			record:  `{"eventName":"StopLogging"}`,
			match:   true,
			reasons: []string{"eventName = StopLogging"},
			tree: "true   ||\n" +
				"false  ├─ $.eventName=CreateTrail  found \"StopLogging\"\n" +
				"true   ├─ $.eventName=StopLogging  found \"StopLogging\"\n" +
				"false  └─ $.eventName=DeleteTrail  found \"StopLogging\"\n",
		},
		{
			name:    "and with a failing condition",
			pattern: `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "Root") }`,
			record:  consoleLogin,
			match:   false,
			tree: "false  &&\n" +
				"true   ├─ $.eventName = \"ConsoleLogin\"            found \"ConsoleLogin\"\n" +
				"true   ├─ $.additionalEventData.MFAUsed != \"Yes\"  found \"No\"\n" +
				"false  └─ $.userIdentity.type = \"Root\"            found \"IAMUser\"\n",
		},
		{
			name:    "a missing field satisfies only NOT EXISTS",
			pattern: `{ ($.userIdentity.invokedBy NOT EXISTS) && ($.errorCode != "AccessDenied") }`,
			record:  consoleLogin,
			match:   false,
			tree: "false  &&\n" +
				"true   ├─ $.userIdentity.invokedBy NOT EXISTS  not present\n" +
				"false  └─ $.errorCode != \"AccessDenied\"        not present\n",
		},
		{
			name:    "nested groups, && binding tighter than ||",
			pattern: `{ $.a = 1 && $.b = 2 || ($.c = "x*" && $.d IS TRUE) }`,
			record:  `{"a":1,"b":3,"c":"xyz","d":true}`,
			match:   true,
			reasons: []string{`c = "x*"`, "d IS TRUE"},
			tree: "true   ||\n" +
				"false  ├─ &&\n" +
				"true   │  ├─ $.a = 1      found 1\n" +
				"false  │  └─ $.b = 2      found 3\n" +
				"true   └─ &&\n" +
				"true      ├─ $.c = \"x*\"   found \"xyz\"\n" +
				"true      └─ $.d IS TRUE  found true\n",
		},
		{
			name:    "wildcard selectors list every value in document order",
			pattern: `{ $.resources[*].type = "AWS::KMS::Key" }`,
			record:  `{"resources":[{"type":"AWS::IAM::Role"},{"type":"AWS::KMS::Key"},{"ARN":"x"}]}`,
			match:   true,
			reasons: []string{`resources[*].type = "AWS::KMS::Key"`},
			tree:    "true   $.resources[*].type = \"AWS::KMS::Key\"  found \"AWS::IAM::Role\", \"AWS::KMS::Key\"\n",
		},
		{
			name:    "numbers compare numerically and show as written",
			pattern: `{ $.n > 10 && $.m = 1.0 }`,
			record:  `{"n":1e2,"m":1}`,
			match:   true,
			reasons: []string{"n > 10", "m = 1.0"},
			tree: "true   &&\n" +
				"true   ├─ $.n > 10   found 1e2\n" +
				"true   └─ $.m = 1.0  found 1\n",
		},
		{
			name:    "objects and hostile strings are shown escaped and cut",
			pattern: `{ $.requestParameters.policy = "*" || $.userAgent = "x" }`,
			record:  `{"requestParameters":{"policy":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}},{"Sid":"NoIAM","Effect":"Deny","Action":"iam:*","Resource":"*"}],"Version":"2012-10-17"}},"userAgent":"a\u001b[2Jb\u202ec"}`,
			match:   false,
			tree: "false  ||\n" +
				"false  ├─ $.requestParameters.policy = \"*\"  found {\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{}},{\"Sid\":\"NoIAM\",\"Effect\":\"Deny\",\"Action\":\"iam:*\",\"Resource\":\"*\"}],\"Version\":\"2012-...\n" +
				"false  └─ $.userAgent = \"x\"                 found \"a\\x1b[2Jb\\u202ec\"\n",
		},
		{
			name:    "a repeated key: the last value counts",
			pattern: `{ $.eventName = B }`,
			record:  `{"eventName":"A","eventName":"B"}`,
			match:   true,
			reasons: []string{"eventName = B"},
			tree:    "true   $.eventName = B  found \"B\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := mustExplainer(t, tt.pattern)
			root, err := x.Explain([]byte(tt.record))
			if err != nil {
				t.Fatal(err)
			}
			if root.Result != tt.match {
				t.Errorf("result %v, want %v", root.Result, tt.match)
			}
			if m := x.Pattern().Match([]byte(tt.record)); m != root.Result {
				t.Errorf("explanation says %v, Match says %v", root.Result, m)
			}
			if got := root.Reasons(); !slices.Equal(got, tt.reasons) {
				t.Errorf("reasons %q, want %q", got, tt.reasons)
			}
			if got := root.Tree(); got != tt.tree {
				t.Errorf("tree:\n%s\nwant:\n%s", got, tt.tree)
			}
		})
	}
}

func TestExplain_notAnObject(t *testing.T) {
	x := mustExplainer(t, `{ $.a = 1 }`)
	for _, rec := range []string{`[{"a":1}]`, `"a"`, `{"a":1`, `{"a":1} {"a":2}`, ``} {
		if _, err := x.Explain([]byte(rec)); !errors.Is(err, ErrNotObject) {
			t.Errorf("Explain(%q) error %v, want ErrNotObject", rec, err)
		}
	}
}

func TestExplain_emptyPattern(t *testing.T) {
	x := mustExplainer(t, ``)
	root, err := x.Explain([]byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if !root.Result || root.Kind != KindAll || len(root.Reasons()) != 0 {
		t.Errorf("empty pattern: %+v", root)
	}
}

func TestWhy(t *testing.T) {
	x := mustExplainer(t, `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }`)
	records := [][]byte{
		[]byte(`{"errorCode":"AccessDenied"}`),
		[]byte(`{"errorCode":"Client.UnauthorizedOperation"}`),
		[]byte(`{"errorCode":"AccessDeniedException"}`),
		[]byte(`{"errorCode":"Throttling"}`), // no match: adds nothing
		[]byte(`not json`),
	}
	want := []string{`errorCode = "*UnauthorizedOperation"`, `errorCode = "AccessDenied*"`}
	if got := x.Why(records); !slices.Equal(got, want) {
		t.Errorf("Why = %q, want %q", got, want)
	}
	if got := x.Why(records[:1]); !slices.Equal(got, want[1:]) {
		t.Errorf("Why(one record) = %q, want %q", got, want[1:])
	}
	if got := Why(x.Pattern(), records[3:]); got != nil {
		t.Errorf("Why(no match) = %q, want nil", got)
	}
}

// The explanation agrees with the engine on every shipped rule's inline test
// events and on every record of the sample files.
func TestExplain_agreesWithMatch(t *testing.T) {
	rs, err := detect.Default()
	if err != nil {
		t.Fatal(err)
	}
	var records [][]byte
	for _, r := range rs.Rules() {
		for _, tc := range r.Tests {
			records = append(records, tc.Event)
		}
	}
	files, _ := filepath.Glob("../../testdata/cloudtrail-src/*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rd := cloudtrail.NewReader(strings.NewReader(string(data)))
		for {
			rec, err := rd.Next()
			if err != nil {
				break
			}
			records = append(records, append([]byte(nil), rec...))
		}
	}
	if len(records) < 100 {
		t.Fatalf("only %d records to compare", len(records))
	}
	matches := 0
	for _, r := range rs.Rules() {
		x, err := New(r.Pattern)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		for _, rec := range records {
			root, err := x.Explain(rec)
			if err != nil {
				t.Fatalf("%s: %v", r.ID, err)
			}
			if m := r.Pattern.Match(rec); m != root.Result {
				t.Errorf("%s on %s: explanation %v, Match %v", r.ID, rec, root.Result, m)
			}
			if root.Result {
				matches++
				if len(root.Reasons()) == 0 {
					t.Errorf("%s matched with no reason", r.ID)
				}
			}
		}
	}
	if matches == 0 {
		t.Error("no rule matched any record")
	}
}

func FuzzExplain(f *testing.F) {
	f.Add(`{ $.eventName = StopLogging }`, `{"eventName":"StopLogging"}`)
	f.Add(`{ ($.a[*].b != "x*") || $.* IS NULL && $.c NOT EXISTS }`, `{"a":[{"b":"y"},{"b":1}],"d":null}`)
	f.Add(`{ $.['k.1'] = %ab+% }`, `{"k.1":"xabbb"}`)
	f.Add(`{ $.n >= -1.5e3 }`, `{"n":-1500,"n":"x"}`)
	f.Fuzz(func(t *testing.T, pattern, record string) {
		p, err := filterpattern.Parse(pattern)
		if err != nil {
			return
		}
		x, err := New(p)
		if err != nil {
			t.Fatalf("pattern %q parses but its conditions do not: %v", pattern, err)
		}
		root, err := x.Explain([]byte(record))
		if err != nil {
			return
		}
		if m := p.Match([]byte(record)); m != root.Result && !p.MatchesAll() {
			t.Fatalf("%s on %q: explanation %v, Match %v", pattern, record, root.Result, m)
		}
		_ = root.Tree()
	})
}
