package main

// Integration tests of what goes wrong: skipped objects, damaged and missing files, S3 and SNS
// failures, bad configuration and the deadline. The harness is in harness_test.go.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDetector_skipped: digest, insight, empty and non-CloudTrail objects are not read, and the
// log says why; the log file in the same event is processed.
func TestDetector_skipped(t *testing.T) {
	st := newStack(t)
	body := gzipBytes(t, trailFile(t, accessDenied(t, 1)))
	st.s3.Put(t, testBucket, logKey, body)
	emptyKey := strings.Replace(logKey, "a1B2c3D4e5F6g7H8", "EmptyEmptyEmpty0", 1)
	st.s3.Put(t, testBucket, emptyKey, nil)
	skipped := []struct{ key, reason string }{
		{"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/24/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261124T101502Z.json.gz", "digest"},
		{"AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/11/24/111122223333_CloudTrail-Insight_us-east-1_20261124T1015Z_Zz9Yy8Xx7Ww6Vv5U.json.gz", "Insights"},
		{"AWSLogs/111122223333/elasticloadbalancing/us-east-1/2026/11/24/111122223333_elasticloadbalancing_us-east-1_app.web.json.gz", "not CloudTrail"},
		{"access-logs/2026-11-24-10-15-02-7D9E6E1C8F0A2B3C", "AWSLogs"},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/file name+x%.json.gz", "file name"},
		{emptyKey, "empty object"},
	}
	objs := []objectRef{{logKey, int64(len(body))}}
	for _, s := range skipped {
		objs = append(objs, objectRef{s.key, 0})
	}
	sum := st.invokeOK(t, s3Event(objs...))
	if sum.Skipped != len(skipped) || sum.Scanned != 1 || sum.Alerts != 1 {
		t.Errorf("summary = %+v, want %d skipped, 1 scanned, 1 alert", sum, len(skipped))
	}
	if gets := st.s3.Gets(); len(gets) != 1 || gets[0] != logKey {
		t.Errorf("GetObject requests = %q, want only the log file", gets)
	}
	lines := st.fn.Logs("object processed")
	if len(lines) != 1+len(skipped) {
		t.Fatalf("%d object lines, want %d", len(lines), 1+len(skipped))
	}
	for i, s := range skipped {
		l := lines[i+1]
		if l["key"] != s.key || l["outcome"] != "skipped" || !strings.Contains(fmt.Sprint(l["reason"]), s.reason) {
			t.Errorf("object line %v: want key %q skipped with a reason mentioning %q", l, s.key, s.reason)
		}
	}
	if n := len(st.collect(t)); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
	var skippedMetric float64
	for _, m := range emfLines(st.fn) {
		if v, ok := m["SkippedObjects"].(float64); ok {
			skippedMetric += v
		}
	}
	if skippedMetric != float64(len(skipped)) {
		t.Errorf("SkippedObjects metrics add up to %v, want %d", skippedMetric, len(skipped))
	}
}

// TestDetector_corrupt: a damaged file yields the alerts for the records before the damage plus
// an operational alert naming the file and how far it was read; the invocation succeeds so that
// Lambda does not retry a file that will never read.
func TestDetector_corrupt(t *testing.T) {
	records := fixtureRecords(t)
	full := trailFile(t, records)
	// truncated JSON: 12 complete records, then half of the 13th, in a valid gzip stream
	head := trailFile(t, records[:12])
	cut := append(head[:len(head)-2], ',')
	cut = append(cut, records[12][:len(records[12])/2]...)
	gz := gzipBytes(t, full)

	tests := []struct {
		name        string
		body        []byte
		recordsRead int // -1: whatever the operational alert says, checked for consistency
	}{
		{"truncated JSON", gzipBytes(t, cut), 12},
		{"truncated gzip", gz[:len(gz)*6/10], -1},
		{"not CloudTrail at all", []byte("\x00\x01garbage that is neither gzip nor JSON\n"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStack(t)
			st.s3.Put(t, testBucket, logKey, tt.body)
			sum := st.invokeOK(t, s3Event(objectRef{logKey, int64(len(tt.body))}))
			alerts := st.collect(t)
			var op *received
			for i := range alerts {
				if alerts[i].doc.Rule.ID == "trailwatch/unreadable-log-file" {
					op = &alerts[i]
				}
			}
			if op == nil {
				t.Fatalf("no trailwatch/unreadable-log-file alert among %d", len(alerts))
			}
			if op.doc.Object.Key != logKey || op.doc.Object.Bucket != testBucket || op.doc.RecordsRead == nil ||
				!strings.Contains(op.doc.Detail, logKey) || op.publish.Attributes["rule"].Value != "trailwatch/unreadable-log-file" {
				t.Errorf("operational alert = %+v", op.doc)
			}
			read := *op.doc.RecordsRead
			if tt.recordsRead >= 0 && read != tt.recordsRead {
				t.Errorf("recordsRead = %d, want %d", read, tt.recordsRead)
			}
			if read > len(records) {
				t.Fatalf("recordsRead = %d, more than the file holds", read)
			}
			if !strings.Contains(op.email, logKey) || !strings.Contains(op.email, fmt.Sprint(read)) {
				t.Errorf("operational e-mail does not name the file and the records read:\n%s", op.email)
			}
			if got, want := ruleCounts(alerts), expectedCounts(read); !equalCounts(got, want) {
				t.Errorf("alerts for the records before the damage = %v, want %v", got, want)
			}
			if sum.Unreadable != 1 || sum.Records != read || sum.Alerts != len(alerts) {
				t.Errorf("summary = %+v, want 1 unreadable, %d records, %d alerts", sum, read, len(alerts))
			}
			l := st.fn.Logs("object processed")
			if len(l) != 1 || l[0]["outcome"] != "unreadable" || l[0]["level"] != "WARN" {
				t.Errorf("object line = %v, want outcome unreadable at WARN", l)
			}
			if m := emfLines(st.fn); len(m) == 0 || m[0]["UnreadableFiles"] != float64(1) || m[0]["FilesProcessed"] != float64(0) {
				t.Errorf("metrics = %v, want UnreadableFiles 1", m)
			}
		})
	}
}

// TestDetector_missingObject: an object deleted before it was read is an operational alert, and
// the invocation succeeds.
func TestDetector_missingObject(t *testing.T) {
	st := newStack(t)
	sum := st.invokeOK(t, s3Event(objectRef{logKey, 2741}))
	if sum.Missing != 1 || sum.Alerts != 1 {
		t.Errorf("summary = %+v, want 1 missing, 1 alert", sum)
	}
	alerts := st.collect(t)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	a := alerts[0]
	if a.doc.Rule.ID != "trailwatch/missing-log-file" || a.doc.Object.Key != logKey || a.doc.Account != testAccount ||
		!strings.Contains(a.doc.Detail, "NoSuchKey") || !strings.Contains(a.email, logKey) {
		t.Errorf("alert = %+v\n%s", a.doc, a.email)
	}
	if l := st.fn.Logs("object processed"); len(l) != 1 || l[0]["outcome"] != "missing" {
		t.Errorf("object line = %v, want outcome missing", l)
	}
}

// TestDetector_s3Errors: any S3 failure other than a missing object fails the invocation, after
// the SDK's retries for server errors, so that Lambda keeps the event.
func TestDetector_s3Errors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		code     string
		attempts int
	}{
		{"access denied", 403, "AccessDenied", 1},
		{"server error, retried", 500, "InternalError", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStack(t)
			body := gzipBytes(t, trailFile(t, fixtureRecords(t)))
			st.s3.Put(t, testBucket, logKey, body)
			st.s3.FailGets(logKey, tt.status, tt.code)
			res := st.invoke(t, s3Event(objectRef{logKey, int64(len(body))}))
			if res.ErrorType != "Unhandled" || !strings.Contains(string(res.Payload), tt.code) || !strings.Contains(string(res.Payload), logKey) {
				t.Errorf("result = %s %s, want a function error naming %s and the key", res.ErrorType, res.Payload, tt.code)
			}
			if n := len(st.s3.Gets()); n != tt.attempts {
				t.Errorf("%d GetObject attempts, want %d", n, tt.attempts)
			}
			if n := len(st.sns.Published()); n != 0 {
				t.Errorf("%d alerts published, want none", n)
			}
			if l := st.fn.Logs("invocation failed"); len(l) != 1 || l[0]["alertsPublished"] != float64(0) {
				t.Errorf("failure lines = %v", l)
			}
		})
	}
}

// TestDetector_snsOutage: when SNS fails for good part-way, the invocation fails (Lambda retries,
// then the on-failure destination keeps the event) and the log names exactly the alerts that
// were already delivered, so that nothing is lost or half-sent silently.
func TestDetector_snsOutage(t *testing.T) {
	st := newStack(t)
	body := gzipBytes(t, trailFile(t, fixtureRecords(t)))
	st.s3.Put(t, testBucket, logKey, body)
	st.sns.FailPublishesAfter(4)

	res := st.invoke(t, s3Event(objectRef{logKey, int64(len(body))}))
	if res.ErrorType != "Unhandled" || !strings.Contains(string(res.Payload), "InternalError") {
		t.Fatalf("result = %s %s, want a function error from SNS", res.ErrorType, res.Payload)
	}
	if n := st.sns.Refused(); n != 3 {
		t.Errorf("SNS refused %d attempts, want 3 (the SDK's standard retries) and then the function to stop", n)
	}
	delivered := st.collect(t)
	if len(delivered) != 4 {
		t.Fatalf("%d alerts delivered, want the 4 sent before the outage", len(delivered))
	}
	fail := st.fn.Logs("invocation failed")
	if len(fail) != 1 {
		t.Fatalf("%d 'invocation failed' lines, want 1", len(fail))
	}
	logged, _ := fail[0]["published"].([]any)
	if len(logged) != 4 || fail[0]["alertsPublished"] != float64(4) {
		t.Fatalf("failure line lists %v, want the 4 delivered alerts", fail[0]["published"])
	}
	for i, l := range logged {
		entry := l.(map[string]any)
		if entry["rule"] != delivered[i].doc.Rule.ID || entry["key"] != logKey || entry["messageId"] == "" {
			t.Errorf("failure line entry %d = %v, delivered %s", i, entry, delivered[i].doc.Rule.ID)
		}
	}
	unconfirmed, _ := fail[0]["unconfirmed"].(map[string]any)
	if unconfirmed["key"] != logKey || unconfirmed["rule"] == nil || unconfirmed["rule"] == delivered[3].doc.Rule.ID {
		t.Errorf("failure line names %v as the alert in flight, want the fifth rule's", fail[0]["unconfirmed"])
	}
	if n := len(st.fn.Logs("alert published")); n != 4 {
		t.Errorf("%d 'alert published' lines, want 4", n)
	}
}

// TestDetector_initErrors: bad configuration is an init error that names every problem, and the
// process exits non-zero.
func TestDetector_initErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"missing topic", []string{"ALERT_TOPIC_ARN="}, []string{"ALERT_TOPIC_ARN is required"}},
		{"everything wrong", []string{"ALERT_TOPIC_ARN=alerts", "EVENTS_PER_ALERT=many", "LOG_LEVEL=loud"},
			[]string{`ALERT_TOPIC_ARN: "alerts" is not an SNS topic ARN`, `EVENTS_PER_ALERT: "many"`, `LOG_LEVEL: "loud"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStack(t, tt.env...)
			res := st.fn.Invoke(t, s3Event(objectRef{logKey, 1}), invokeLimit)
			if res.ErrorType != "InitError" {
				t.Fatalf("result = %q %s, want InitError", res.ErrorType, res.Payload)
			}
			var doc struct{ ErrorMessage, ErrorType string }
			if err := json.Unmarshal(res.Payload, &doc); err != nil || doc.ErrorType != "InitError" {
				t.Fatalf("init error document %s: %v", res.Payload, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(doc.ErrorMessage, w) {
					t.Errorf("init error %q lacks %q", doc.ErrorMessage, w)
				}
			}
			code, err := st.fn.ExitCode(5 * time.Second)
			if err != nil || code != 1 {
				t.Errorf("exit code %d, %v; want 1", code, err)
			}
			if l := st.fn.Logs("init failed"); len(l) != 1 || l[0]["level"] != "ERROR" {
				t.Errorf("init failure lines = %v", l)
			}
		})
	}
}

// TestDetector_deadline: near the deadline the function stops with an error it reports itself,
// instead of being killed mid-publish.
func TestDetector_deadline(t *testing.T) {
	body := gzipBytes(t, trailFile(t, accessDenied(t, 1)))
	tests := []struct {
		name     string
		timeout  time.Duration
		hangKey  string // GetObject of this key never answers
		wantSent int
		wantMsg  string
	}{
		// Less than the safety margin (at least 500 ms) is left from the start.
		{"too little time to begin", 400 * time.Millisecond, "", 0, "before object 1 of 2"},
		// S3 hangs on the second object: the read is cancelled before the deadline, and the
		// alert of the first object has been sent.
		{"cancels a hanging read", 3 * time.Second, logKey2, 1, "context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStack(t)
			st.s3.Put(t, testBucket, logKey, body)
			st.s3.Put(t, testBucket, logKey2, body)
			if tt.hangKey != "" {
				st.s3.DelayGets(tt.hangKey, time.Minute)
			}
			<-st.fn.API.Ready() // the deadline covers the invocation, not the cold start
			res := st.fn.Invoke(t, s3Event(objectRef{logKey, int64(len(body))}, objectRef{logKey2, int64(len(body))}), tt.timeout)
			if res.TimedOut {
				t.Fatalf("the function was killed at the deadline after %v", res.Duration)
			}
			if res.ErrorType != "Unhandled" || !strings.Contains(string(res.Payload), "stopped before the invocation deadline") ||
				!strings.Contains(string(res.Payload), tt.wantMsg) {
				t.Fatalf("result = %s %s, want the function's deadline error mentioning %q", res.ErrorType, res.Payload, tt.wantMsg)
			}
			if n := len(st.collect(t)); n != tt.wantSent {
				t.Errorf("%d alerts sent, want %d", n, tt.wantSent)
			}
			if l := st.fn.Logs("invocation failed"); len(l) != 1 || l[0]["alertsPublished"] != float64(tt.wantSent) {
				t.Errorf("failure lines = %v", l)
			}
			t.Logf("stopped %v after the invocation started (timeout %v)", res.Duration.Round(time.Millisecond), tt.timeout)
		})
	}
}
