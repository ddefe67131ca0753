package detect

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// Scan finds each record's end while parsing it for the rules. These tests
// hold it to a plain reference: the Reader's own Next, then Matcher.Match
// on each record.

// tally is what a scan found, in a form that compares.
type tally struct {
	Records, Malformed int
	Counts             map[string]int
	Err                string
}

func (tl tally) String() string {
	return fmt.Sprintf("%d records, %d malformed, %v, error %s", tl.Records, tl.Malformed, tl.Counts, tl.Err)
}

func tallyOf(res *Result, err error) tally {
	tl := tally{Records: res.Records, Malformed: res.Malformed, Counts: map[string]int{}}
	for _, rr := range res.Rules {
		tl.Counts[rr.Rule.ID] = rr.Count
	}
	if err != nil {
		tl.Err = err.Error()
	}
	return tl
}

// referenceScan reads with Next and matches with Matcher.Match.
func referenceScan(rs *RuleSet, r *cloudtrail.Reader) tally {
	m := rs.NewMatcher()
	tl := tally{Counts: map[string]int{}}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return tl
		}
		if err != nil {
			tl.Err = err.Error()
			return tl
		}
		tl.Records++
		rules, err := m.Match(rec)
		if err != nil {
			tl.Malformed++
			continue
		}
		for _, rule := range rules {
			tl.Counts[rule.ID]++
		}
	}
}

var readerChunkings = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"OneByteReader", iotest.OneByteReader},
	{"HalfReader", iotest.HalfReader},
}

// checkAgainstReference scans data both ways, plain and gzipped, in every
// chunking.
func checkAgainstReference(t *testing.T, rs *RuleSet, data []byte) tally {
	t.Helper()
	want := referenceScan(rs, cloudtrail.NewReader(bytes.NewReader(data)))
	for _, enc := range []struct {
		name string
		data []byte
	}{{"plain", data}, {"gzip", gzipped(t, data)}} {
		for _, ch := range readerChunkings {
			if ch.name == "OneByteReader" && len(data) > 4<<20 {
				continue
			}
			res, err := rs.Scan(cloudtrail.NewReader(ch.wrap(bytes.NewReader(enc.data))), ScanOptions{})
			if got := tallyOf(res, err); got.String() != want.String() {
				t.Errorf("%s/%s: Scan found %v\nreference  %v", enc.name, ch.name, got, want)
			}
		}
	}
	return want
}

// TestScanOnePassMalformed puts malformed records all over a file several
// reader windows long, so that some straddle a window's end.
func TestScanOnePassMalformed(t *testing.T) {
	rs := scanRules(t)
	malformed := []struct {
		rec      string
		rejected bool // Doc.Reset checks only brackets and strings in values no rule reads
	}{
		{`{"eventName" "StopLogging"}`, true},
		{`{"eventName":"StopLogging",}`, true},
		{`{"eventName":"Stop\qLogging"}`, true},
		{`{"errorCode":"AccessDenied","eventName":tru}`, true},
		{`{"eventName":"StopLogging","n":-}`, true},
		{"{\"eventName\":\"Stop\x01Logging\"}", true},
		{`{"eventName":"StopLogging","x":{"y":[1,"z"] "w"}}`, false},
		{`{"eventName":"StopLogging","x":{"a":1,"a":2,"b":}}`, false},
	}
	pad := strings.Repeat("p", 700)
	var records []string
	rejected := 0
	for i := range 3000 {
		if i%13 == 5 {
			m := malformed[i%len(malformed)]
			records = append(records, m.rec)
			if m.rejected {
				rejected++
			}
			continue
		}
		name := []string{"StopLogging", "GetObject", "ConsoleLogin", "DescribeTrails"}[i%4]
		code := []string{"", "AccessDenied", ""}[i%3]
		rec := event(fmt.Sprintf("e%d", i), name, alice, code)
		records = append(records, strings.Replace(rec, `"awsRegion"`, `"pad":"`+pad[:i%len(pad)]+`","awsRegion"`, 1))
	}
	want := checkAgainstReference(t, rs, logFile(records...))
	if want.Malformed != rejected || want.Records != 3000 || want.Err != "" {
		t.Errorf("reference found %v; want 3000 records, %d malformed", want, rejected)
	}
	lines := []byte(strings.Join(records, "\n"))
	checkAgainstReference(t, rs, lines)
}

// TestScanOnePassDamage: damage stops the scan with the same error, after
// the same records, as reading with Next.
func TestScanOnePassDamage(t *testing.T) {
	rs := scanRules(t)
	records := []string{
		event("e1", "StopLogging", alice, ""),
		`{"eventName" "StopLogging"}`,
		event("e3", "GetObject", alice, "AccessDenied"),
		event("e4", "StopLogging", alice, ""),
	}
	whole := logFile(records...)
	tests := []struct {
		name string
		in   []byte
	}{
		{"truncated in a record", whole[:len(whole)-40]},
		{"truncated in a string", whole[:bytes.Index(whole, []byte("GetObj"))]},
		{"truncated in a literal", []byte(`{"Records":[{"eventName":"StopLogging","readOnly":tr`)},
		{"truncated after a malformed record", whole[:bytes.Index(whole, []byte(`,{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice"},"eventTime":"2024-07-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"GetObject"`))]},
		{"unmatched bracket in a skipped value", bytes.Replace(whole, []byte(`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/alice"}`), []byte(`"userIdentity":{"type":"IAMUser","arn":["x"}}`), 2)},
		{"bare word in a skipped value", bytes.Replace(whole, []byte(`"eventTime":"2024-07-01T10:00:00Z"`), []byte(`"eventTime":{"t":x}`), 3)},
		{"junk between records", bytes.Replace(whole, []byte(`,{"eventVersion"`), []byte(`,x{"eventVersion"`), 1)},
		{"nesting too deep", []byte(`{"Records":[{"eventName":"StopLogging"},{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := checkAgainstReference(t, rs, tt.in)
			if !strings.HasPrefix(want.Err, "corrupt input") {
				t.Errorf("reference found %v; want a corrupt input", want)
			}
		})
	}
}

// TestScanOnePassSharedFiles compares Scan with the reference on every
// shared CloudTrail sample.
func TestScanOnePassSharedFiles(t *testing.T) {
	if _, err := os.Stat(sharedCloudTrail); err != nil {
		t.Skipf("%s is absent", sharedCloudTrail)
	}
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(sharedCloudTrail, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if name := d.Name(); !strings.HasSuffix(name, ".json") && !strings.HasSuffix(name, ".gz") && !strings.HasSuffix(name, ".log") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(sharedCloudTrail, path)
		want := referenceScan(rs, cloudtrail.NewReader(bytes.NewReader(data)))
		res, err := rs.Scan(cloudtrail.NewReader(bytes.NewReader(data)), ScanOptions{MaxEvents: 1})
		if got := tallyOf(res, err); got.String() != want.String() {
			t.Errorf("%s: Scan found %v\nreference  %v", rel, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no sample files")
	}
}

// TestScanOnePassEvents: the kept events are the matching records
// themselves, whole, also when they were parsed across a window's end.
func TestScanOnePassEvents(t *testing.T) {
	rs := scanRules(t)
	var records []string
	for i := range 400 {
		rec := event(fmt.Sprintf("e%03d", i), "StopLogging", alice, "")
		records = append(records, strings.Replace(rec, `"awsRegion"`, `"pad":"`+strings.Repeat("q", 1000+i*11)+`","awsRegion"`, 1))
	}
	res, err := rs.Scan(cloudtrail.NewReader(iotest.HalfReader(bytes.NewReader(gzipped(t, logFile(records...))))), ScanOptions{MaxEvents: 400})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != 1 || len(res.Rules[0].Events) != len(records) {
		t.Fatalf("Scan = %s", summary(res))
	}
	for i, ev := range res.Rules[0].Events {
		if string(ev) != records[i] {
			t.Fatalf("event %d = %.80q…, want record %d", i, ev, i)
		}
	}
}
