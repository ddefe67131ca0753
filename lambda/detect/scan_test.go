package detect

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// rule returns a rule file with the given id, pattern and extra keys.
func rule(id, pattern, extra string) string {
	return fmt.Sprintf("id: %s\ntitle: %s\nseverity: low\ndescription: test rule\npattern: '%s'\n%s", id, id, pattern, extra)
}

// scanRules is a small rule set: an alert rule, one with an exclusion that
// expires at the end of 2030-01-31, and a shadow rule.
func scanRules(t *testing.T) *RuleSet {
	t.Helper()
	rs, err := LoadFS(mapFS(map[string]string{
		"stop.yaml": rule("t-stop", `{ $.eventName = "StopLogging" }`, ""),
		"denied.yaml": rule("t-denied", `{ $.errorCode = "AccessDenied*" }`, `exclude:
  - pattern: '{ $.userIdentity.arn = "arn:aws:iam::123456789012:user/scanner" }'
    reason: the nightly permission scanner
    until: 2030-01-31
`),
		"login.yaml": rule("t-login", `{ $.eventName = "ConsoleLogin" }`, "mode: shadow\n"),
	}))
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	return rs
}

// event returns a compact CloudTrail-like record.
func event(id, name, arn, errorCode string) string {
	s := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":%q},"eventTime":"2024-07-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","eventID":%q`, arn, name, id)
	if errorCode != "" {
		s += fmt.Sprintf(`,"errorCode":%q`, errorCode)
	}
	return s + `,"recipientAccountId":"123456789012"}`
}

func logFile(records ...string) []byte {
	return []byte(`{"Records":[` + strings.Join(records, ",") + `]}`)
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func at(s string) func() time.Time {
	return func() time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
}

// summary renders a result as "id:count[:shadow] ..." for comparison.
func summary(res *Result) string {
	var parts []string
	for _, rr := range res.Rules {
		s := fmt.Sprintf("%s:%d", rr.Rule.ID, rr.Count)
		if rr.Rule.Mode == ModeShadow {
			s += ":shadow"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

const (
	alice   = "arn:aws:iam::123456789012:user/alice"
	scanner = "arn:aws:iam::123456789012:user/scanner"
)

func TestScan(t *testing.T) {
	records := []string{
		event("e1", "StopLogging", alice, ""),
		event("e2", "GetObject", alice, "AccessDenied"),
		event("e3", "ConsoleLogin", alice, ""),
		event("e4", "StopLogging", alice, ""),
		event("e5", "DescribeTrails", alice, ""),
		event("e6", "ListBuckets", scanner, "AccessDenied"),
	}
	tests := []struct {
		name     string
		now      string
		want     string
		excluded map[string]int
	}{
		{"exclusion active", "2030-01-31T23:59:59Z", "t-denied:1 t-login:1:shadow t-stop:2", map[string]int{"t-denied": 1}},
		{"exclusion expired", "2030-02-01T00:00:00Z", "t-denied:2 t-login:1:shadow t-stop:2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var onMatch []string
			res, err := scanRules(t).Scan(cloudtrail.NewReader(bytes.NewReader(logFile(records...))), ScanOptions{
				Now:     at(tt.now),
				OnMatch: func(r *Rule, rec []byte) { onMatch = append(onMatch, r.ID) },
			})
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if res.Records != 6 || res.Malformed != 0 {
				t.Errorf("Records, Malformed = %d, %d; want 6, 0", res.Records, res.Malformed)
			}
			if got := summary(res); got != tt.want {
				t.Errorf("Scan = %s; want %s", got, tt.want)
			}
			if !maps.Equal(res.Excluded, tt.excluded) {
				t.Errorf("Excluded = %v; want %v", res.Excluded, tt.excluded)
			}
			stop := res.Rules[len(res.Rules)-1]
			if len(stop.Events) != 2 || string(stop.Events[0]) != records[0] || string(stop.Events[1]) != records[3] {
				t.Errorf("t-stop events = %q; want records e1 and e4", stop.Events)
			}
			total := 0
			for _, rr := range res.Rules {
				total += rr.Count
			}
			if len(onMatch) != total {
				t.Errorf("OnMatch called for %v; want once per counted match (%d)", onMatch, total)
			}
		})
	}
}

func TestScanMaxEvents(t *testing.T) {
	// Records padded so that a few of them overflow the reader's buffer: the
	// kept events must be copies, not views of a reused buffer.
	pad := strings.Repeat("x", 20<<10)
	var records []string
	for i := range 25 {
		rec := event(fmt.Sprintf("e%02d", i), "StopLogging", alice, "")
		records = append(records, strings.Replace(rec, `"awsRegion"`, `"pad":"`+pad+`","awsRegion"`, 1))
	}
	file := gzipped(t, logFile(records...))
	for _, tt := range []struct {
		maxEvents, want int
	}{{0, DefaultMaxEvents}, {3, 3}, {100, 25}} {
		res, err := scanRules(t).Scan(cloudtrail.NewReader(bytes.NewReader(file)), ScanOptions{MaxEvents: tt.maxEvents})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if len(res.Rules) != 1 || res.Rules[0].Count != 25 {
			t.Fatalf("MaxEvents %d: Scan = %s; want t-stop:25", tt.maxEvents, summary(res))
		}
		events := res.Rules[0].Events
		if len(events) != tt.want {
			t.Errorf("MaxEvents %d: kept %d events; want %d", tt.maxEvents, len(events), tt.want)
		}
		for i, ev := range events {
			if string(ev) != records[i] {
				t.Errorf("MaxEvents %d: event %d is not a copy of record %d: %.80q", tt.maxEvents, i, i, ev)
				break
			}
		}
	}
}

func TestScanCorruptInput(t *testing.T) {
	records := []string{
		event("e1", "StopLogging", alice, ""),
		event("e2", "GetObject", alice, "AccessDenied"),
		event("e3", "StopLogging", alice, ""),
		event("e4", "StopLogging", alice, ""),
	}
	whole := logFile(records...)
	zipped := gzipped(t, whole)
	tests := []struct {
		name string
		in   []byte
	}{
		{"junk after a record", append(whole[:len(whole)-2:len(whole)-2], "}]}"...)},
		{"junk instead of a record", bytes.Replace(whole, []byte(`,{"eventVersion"`), []byte(`,x{"eventVersion"`), 1)},
		{"truncated JSON", whole[:len(whole)-40]},
		{"truncated gzip", zipped[:len(zipped)-12]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := scanRules(t).Scan(cloudtrail.NewReader(bytes.NewReader(tt.in)), ScanOptions{})
			var ce *cloudtrail.CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("Scan error = %v; want a *cloudtrail.CorruptError", err)
			}
			if res == nil {
				t.Fatal("Scan returned no partial result")
			}
			if res.Records != ce.Records {
				t.Errorf("Result.Records = %d; CorruptError.Records = %d", res.Records, ce.Records)
			}
			// The partial result holds exactly the matches of the records
			// delivered before the damage.
			stops, denied := 0, 0
			for _, rec := range records[:res.Records] {
				if strings.Contains(rec, "StopLogging") {
					stops++
				}
				if strings.Contains(rec, "AccessDenied") {
					denied++
				}
			}
			var want []string
			if denied > 0 {
				want = append(want, fmt.Sprintf("t-denied:%d", denied))
			}
			if stops > 0 {
				want = append(want, fmt.Sprintf("t-stop:%d", stops))
			}
			if got := summary(res); got != strings.Join(want, " ") {
				t.Errorf("partial result after %d records = %s; want %s", res.Records, got, strings.Join(want, " "))
			}
			t.Logf("%d records before: %v", res.Records, err)
		})
	}
}

func TestScanMalformedRecord(t *testing.T) {
	in := logFile(
		event("e1", "StopLogging", alice, ""),
		`{"eventName" "StopLogging", "eventID": "bad"}`,
		event("e3", "StopLogging", alice, ""),
	)
	res, err := scanRules(t).Scan(cloudtrail.NewReader(bytes.NewReader(in)), ScanOptions{})
	if err != nil {
		// The reader may already reject the record; then it is input damage.
		var ce *cloudtrail.CorruptError
		if errors.As(err, &ce) {
			t.Skipf("the reader rejects the malformed record itself: %v", err)
		}
		t.Fatalf("Scan: %v", err)
	}
	if res.Records != 3 || res.Malformed != 1 || summary(res) != "t-stop:2" {
		t.Errorf("Scan = %d records, %d malformed, %s; want 3, 1, t-stop:2", res.Records, res.Malformed, summary(res))
	}
}

func TestMatcher(t *testing.T) {
	rs := scanRules(t)
	m := rs.NewMatcher()
	m.SetNow(at("2029-01-01T00:00:00Z"))
	tests := []struct {
		record string
		want   string
	}{
		{event("e1", "StopLogging", alice, ""), "t-stop"},
		{event("e2", "StopLogging", alice, "AccessDeniedException"), "t-denied t-stop"},
		{event("e3", "StopLogging", scanner, "AccessDenied"), "t-stop"},
		{event("e4", "ConsoleLogin", alice, ""), "t-login"},
		{event("e5", "DescribeTrails", alice, ""), ""},
	}
	for _, tt := range tests {
		got, err := m.Match([]byte(tt.record))
		if err != nil {
			t.Fatalf("Match: %v", err)
		}
		var ids []string
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if strings.Join(ids, " ") != tt.want {
			t.Errorf("Match(%.60s…) = %v; want %q", tt.record, ids, tt.want)
		}
		if tt.want == "" && got != nil {
			t.Errorf("Match without matches = %#v; want nil", got)
		}
	}
	m.SetNow(nil)
	if got, _ := m.Match([]byte(event("e6", "List", scanner, "AccessDenied"))); len(got) != 0 && time.Now().Before(time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("SetNow(nil) did not restore the wall clock: %v", got)
	}
	for _, bad := range []string{`[1,2]`, `{"eventName":`, `not json`} {
		if _, err := m.Match([]byte(bad)); err == nil {
			t.Errorf("Match(%q) error = nil; want an error", bad)
		}
	}
}

func TestRunTestsReportsFailures(t *testing.T) {
	rs, err := LoadFS(mapFS(map[string]string{"a.yaml": rule("t-denied", `{ $.errorCode = "AccessDenied*" }`, `exclude:
  - {pattern: '{ $.eventName = "HeadBucket" }', reason: S3 probes}
tests:
  - {name: refused call, match: true, event: {errorCode: AccessDenied}}
  - {name: wrong expectation, match: true, event: {errorCode: ThrottlingException}}
  - {name: excluded probe, match: true, event: {errorCode: AccessDenied, eventName: HeadBucket}}
  - {name: not refused, match: false, event: {errorCode: Client.UnauthorizedOperation}}
  - {name: wrongly refused, match: false, event: {errorCode: AccessDeniedException}}
`)}))
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	err = rs.RunTests()
	want := `a.yaml:10:5: rule t-denied test "wrong expectation": expected match, got none
a.yaml:11:5: rule t-denied test "excluded probe": expected match, got none (suppressed by the exclusion at line 7: S3 probes)
a.yaml:13:5: rule t-denied test "wrongly refused": expected no match, got a match`
	if err == nil || err.Error() != want {
		t.Errorf("RunTests error:\n%v\nwant:\n%s", err, want)
	}
}
