package main

// Integration tests of what subscribers receive: every rule, aggregation, size limits, the
// event shapes that announce a file, and cold start. The harness is in harness_test.go.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/lambda/internal/detector"
	"github.com/trailwatch/trailwatch/lambda/internal/localaws"
)

// TestDetector_everyRule sends one realistic log file in which each of the 14 CIS rules fires
// and checks every alert a subscriber gets: one per rule, what it says, and how it is addressed.
func TestDetector_everyRule(t *testing.T) {
	st := newStack(t)
	records := fixtureRecords(t)
	body := gzipBytes(t, trailFile(t, records))
	st.s3.Put(t, testBucket, logKey, body)

	sum := st.invokeOK(t, s3Event(objectRef{logKey, int64(len(body))}))
	want := detector.Summary{Objects: 1, Scanned: 1, Records: len(records), Matches: 18, Alerts: 14}
	if sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}

	alerts := st.collect(t)
	if got, want := ruleCounts(alerts), expectedCounts(len(records)); !equalCounts(got, want) {
		t.Fatalf("alerts per rule = %v, want %v", got, want)
	}
	rules := byRule(t, alerts)

	// The fixture's records by event id, to check each alert lists the right events.
	byID := map[string]map[string]any{}
	for _, r := range records {
		var ev map[string]any
		if err := json.Unmarshal(r, &ev); err != nil {
			t.Fatal(err)
		}
		byID[ev["eventID"].(string)] = ev
	}

	for id, a := range rules {
		t.Run(id, func(t *testing.T) {
			doc := a.doc
			if doc.Schema != "trailwatch/alert/v1" || doc.Account != testAccount || doc.Region != "us-east-1" ||
				doc.Object.Bucket != testBucket || doc.Object.Key != logKey {
				t.Errorf("alert header = %+v %+v", doc.Schema, doc)
			}
			if doc.Rule.Severity != ruleSeverity[id] || doc.Rule.Title == "" || len(doc.Rule.Controls["cis-1.2.0"]) == 0 {
				t.Errorf("rule = %+v, want severity %s, a title and CIS 1.2.0 controls", doc.Rule, ruleSeverity[id])
			}
			if doc.Truncated || len(doc.Events) != doc.MatchCount {
				t.Errorf("%d events of %d matches, truncated %v; want all listed", len(doc.Events), doc.MatchCount, doc.Truncated)
			}
			for _, e := range doc.Events {
				src, ok := byID[e.EventID]
				if !ok {
					t.Errorf("event %s is not in the file", e.EventID)
					continue
				}
				if e.EventName != src["eventName"] || e.EventTime != src["eventTime"] || e.SourceIPAddress != src["sourceIPAddress"] ||
					e.AWSRegion != "us-east-1" || e.RecipientAccountID != testAccount || e.Principal == "" ||
					!strings.HasPrefix(e.ConsoleURL, "https://") || !strings.Contains(e.ConsoleURL, e.EventID) {
					t.Errorf("event %+v does not say who, what, where and when of %v", e, src)
				}
				if strings.Contains(e.Principal, "arn:") && !strings.Contains(a.email, e.Principal) {
					t.Errorf("e-mail does not name the principal %s", e.Principal)
				}
				for _, s := range []string{e.EventName, e.SourceIPAddress, e.EventID} {
					if !strings.Contains(a.email, s) {
						t.Errorf("e-mail does not mention %q:\n%s", s, a.email)
					}
				}
			}

			// Subject: ASCII, one line, under 100 characters, severity, rule, account and region.
			subj := a.publish.Subject
			if len(subj) >= 100 || strings.ContainsAny(subj, "\r\n") || !isASCII(subj) {
				t.Errorf("subject %q is not one ASCII line under 100 characters", subj)
			}
			for _, s := range []string{"[" + strings.ToUpper(ruleSeverity[id]) + "]", id, testAccount, "us-east-1"} {
				if !strings.Contains(subj, s) {
					t.Errorf("subject %q lacks %q", subj, s)
				}
			}
			if a.delivery.Subject != subj {
				t.Errorf("delivered subject %q, published %q", a.delivery.Subject, subj)
			}

			// Attributes subscribers can filter on, as published and as delivered.
			wantAttrs := map[string]localaws.Attribute{
				"rule": {Type: "String", Value: id}, "severity": {Type: "String", Value: ruleSeverity[id]},
				"account": {Type: "String", Value: testAccount},
			}
			if !mapsEqual(a.publish.Attributes, wantAttrs) || !mapsEqual(a.delivery.MessageAttributes, wantAttrs) {
				t.Errorf("attributes published %v, delivered %v; want %v", a.publish.Attributes, a.delivery.MessageAttributes, wantAttrs)
			}
			if !strings.Contains(a.email, doc.Rule.Title) || !strings.Contains(a.email, logKey) {
				t.Errorf("e-mail lacks the rule title or the log file:\n%s", a.email)
			}
		})
	}

	// Logs: one line for the object, one per alert, and the metrics.
	objLines := st.fn.Logs("object processed")
	if len(objLines) != 1 {
		t.Fatalf("%d 'object processed' lines, want 1", len(objLines))
	}
	ol := objLines[0]
	if ol["outcome"] != "scanned" || ol["records"] != float64(len(records)) || ol["key"] != logKey ||
		ol["bucket"] != testBucket || ol["bytes"] != float64(len(body)) || ol["duration_ms"] == nil || ol["requestId"] == nil {
		t.Errorf("object line = %v", ol)
	}
	if m, _ := ol["matches"].(map[string]any); m["cis-3.1"] != float64(3) || len(m) != 14 {
		t.Errorf("object line matches = %v, want 14 rules with cis-3.1 at 3", ol["matches"])
	}
	pubLines := st.fn.Logs("alert published")
	if len(pubLines) != 14 {
		t.Errorf("%d 'alert published' lines, want 14", len(pubLines))
	}
	for _, l := range pubLines {
		if l["messageId"] == "" || l["rule"] == nil || l["severity"] == nil || l["events"] == nil || l["truncated"] != false {
			t.Errorf("alert line = %v", l)
		}
	}
	metrics := emfLines(st.fn)
	if len(metrics) != 15 {
		t.Fatalf("%d metric lines, want 1 for the file and 14 per rule", len(metrics))
	}
	file := metrics[0]
	for name, v := range map[string]float64{"FilesProcessed": 1, "RecordsScanned": 23, "Matches": 18, "AlertsPublished": 14, "UnreadableFiles": 0, "SkippedObjects": 0} {
		if file[name] != v {
			t.Errorf("metric %s = %v, want %v", name, file[name], v)
		}
	}
	if file["Service"] != "trailwatch" || !strings.Contains(fmt.Sprint(file["_aws"]), "Trailwatch") {
		t.Errorf("metric line namespace or dimension wrong: %v", file)
	}
	perRule := map[string]float64{}
	for _, m := range metrics[1:] {
		perRule[m["Rule"].(string)] = m["Matches"].(float64)
	}
	if perRule["cis-3.1"] != 3 || perRule["cis-3.14"] != 2 || len(perRule) != 14 {
		t.Errorf("per-rule Matches metrics = %v", perRule)
	}
}

// TestDetector_aggregation: one message per (rule, file), however many events match, with the
// event list capped by EVENTS_PER_ALERT and the count kept.
func TestDetector_aggregation(t *testing.T) {
	st := newStack(t, "EVENTS_PER_ALERT=5")
	many := gzipBytes(t, trailFile(t, accessDenied(t, 45)))
	few := gzipBytes(t, trailFile(t, accessDenied(t, 2)))
	st.s3.Put(t, testBucket, logKey, many)
	st.s3.Put(t, testBucket, logKey2, few)

	sum := st.invokeOK(t, s3Event(objectRef{logKey, int64(len(many))}, objectRef{logKey2, int64(len(few))}))
	if sum.Alerts != 2 || sum.Matches != 47 || sum.Scanned != 2 {
		t.Errorf("summary = %+v, want 2 alerts for 47 matches in 2 files", sum)
	}
	alerts := st.collect(t)
	if len(alerts) != 2 {
		t.Fatalf("%d alerts, want one per file", len(alerts))
	}
	tests := []struct {
		key                string
		count, events      int
		truncated          bool
		subjectMentions    string
		emailMentionsCount string
	}{
		{logKey, 45, 5, true, "(45 events)", "45"},
		{logKey2, 2, 2, false, "(2 events)", "2"},
	}
	for i, tt := range tests {
		d := alerts[i].doc
		if d.Rule.ID != "cis-3.1" || d.Object.Key != tt.key || d.MatchCount != tt.count || len(d.Events) != tt.events || d.Truncated != tt.truncated {
			t.Errorf("alert %d: rule %s key %s count %d events %d truncated %v; want cis-3.1 %s %d %d %v",
				i, d.Rule.ID, d.Object.Key, d.MatchCount, len(d.Events), d.Truncated, tt.key, tt.count, tt.events, tt.truncated)
		}
		if !strings.Contains(alerts[i].publish.Subject, tt.subjectMentions) {
			t.Errorf("alert %d subject %q lacks %q", i, alerts[i].publish.Subject, tt.subjectMentions)
		}
		if !strings.Contains(alerts[i].email, tt.emailMentionsCount) {
			t.Errorf("alert %d e-mail does not give the count %s", i, tt.emailMentionsCount)
		}
	}
	if d := alerts[0].doc; d.Events[0].EventID != "00000000-0000-4000-8000-000000000001" || d.Events[4].EventID != "00000000-0000-4000-8000-000000000005" {
		t.Errorf("capped alert lists %s … %s, want the first five events in file order", d.Events[0].EventID, d.Events[4].EventID)
	}
}

// TestDetector_sizeLimit: a file whose matches are enormous still yields one message under SNS's
// limit, its event list trimmed and marked truncated.
func TestDetector_sizeLimit(t *testing.T) {
	st := newStack(t, "EVENTS_PER_ALERT=200")
	recs := accessDenied(t, 150)
	for i, r := range recs {
		var ev map[string]any
		if err := json.Unmarshal(r, &ev); err != nil {
			t.Fatal(err)
		}
		ev["errorMessage"] = strings.Repeat("not authorized to perform this action ", 120)
		ev["userAgent"] = strings.Repeat("Mozilla/5.0 ", 100)
		recs[i], _ = json.Marshal(ev)
	}
	body := gzipBytes(t, trailFile(t, recs))
	st.s3.Put(t, testBucket, logKey, body)
	st.invokeOK(t, s3Event(objectRef{logKey, int64(len(body))}))
	alerts := st.collect(t)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	d := alerts[0].doc
	if d.MatchCount != 150 || !d.Truncated || len(d.Events) == 0 || len(d.Events) >= 150 {
		t.Errorf("count %d, %d events, truncated %v; want 150 matches, some events listed, truncated", d.MatchCount, len(d.Events), d.Truncated)
	}
	line := st.fn.Logs("alert published")[0]
	if line["events"] != float64(len(d.Events)) || line["truncated"] != true {
		t.Errorf("alert line says %v events, truncated %v; the message holds %d", line["events"], line["truncated"], len(d.Events))
	}
}

// TestDetector_wrappedEvents: the same file announced through SQS, SNS in SQS, and EventBridge.
func TestDetector_wrappedEvents(t *testing.T) {
	body := gzipBytes(t, trailFile(t, accessDenied(t, 3)))
	ref := objectRef{logKey, int64(len(body))}
	tests := []struct {
		name    string
		payload func(t *testing.T) any
		alerts  int
	}{
		{"SQS batch of two notifications", func(t *testing.T) any { return sqsEvent(t, s3Event(ref), s3Event(ref)) }, 2},
		{"SNS envelope in SQS", func(t *testing.T) any { return sqsEvent(t, snsEnvelope(t, s3Event(ref))) }, 1},
		{"EventBridge Object Created", func(t *testing.T) any { return eventBridgeEvent(ref) }, 1},
		{"EventBridge via SQS", func(t *testing.T) any { return sqsEvent(t, eventBridgeEvent(ref)) }, 1},
		{"S3 test event", func(t *testing.T) any {
			return map[string]any{"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-24T10:00:00.000Z", "Bucket": testBucket}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStack(t)
			st.s3.Put(t, testBucket, logKey, body)
			sum := st.invokeOK(t, tt.payload(t))
			alerts := st.collect(t)
			if len(alerts) != tt.alerts || sum.Alerts != tt.alerts {
				t.Fatalf("%d alerts (summary %+v), want %d", len(alerts), sum, tt.alerts)
			}
			for _, a := range alerts {
				if a.doc.Rule.ID != "cis-3.1" || a.doc.MatchCount != 3 || a.doc.Object.Key != logKey {
					t.Errorf("alert = %+v", a.doc)
				}
			}
		})
	}
	t.Run("unrecognised event fails", func(t *testing.T) {
		st := newStack(t)
		res := st.invoke(t, map[string]any{"hello": "world"})
		if res.ErrorType != "Unhandled" || !strings.Contains(string(res.Payload), "unrecognized event") {
			t.Errorf("result = %s %s, want a function error", res.ErrorType, res.Payload)
		}
	})
}

// TestDetector_specialKeys: keys with spaces and characters S3 escapes in events are decoded
// before GetObject, in every event shape.
func TestDetector_specialKeys(t *testing.T) {
	key := "team logs/a+b=c&d (1) 100%/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/111122223333_CloudTrail_us-east-1_20261124T1015Z_a1B2c3D4e5F6g7H8.json.gz"
	body := gzipBytes(t, trailFile(t, accessDenied(t, 1)))
	ref := objectRef{key, int64(len(body))}
	if enc := eventKey(key); !strings.Contains(enc, "team+logs/a%2Bb%3Dc%26d+%281%29+100%25/") {
		t.Fatalf("event key %q is not encoded as S3 does", enc)
	}
	payloads := map[string]any{"S3": s3Event(ref), "SQS": sqsEvent(t, s3Event(ref)), "EventBridge": eventBridgeEvent(ref)}
	names := []string{"S3", "SQS", "EventBridge"}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			st := newStack(t)
			st.s3.Put(t, testBucket, key, body)
			sum := st.invokeOK(t, payloads[name])
			if sum.Scanned != 1 || sum.Alerts != 1 {
				t.Fatalf("summary = %+v, want the file scanned and 1 alert", sum)
			}
			alerts := st.collect(t)
			if alerts[0].doc.Object.Key != key || !strings.Contains(alerts[0].email, key) {
				t.Errorf("alert names %q, want %q", alerts[0].doc.Object.Key, key)
			}
			if gets := st.s3.Gets(); len(gets) != 1 || gets[0] != key {
				t.Errorf("GetObject keys = %q, want [%q]", gets, key)
			}
		})
	}
}

// TestDetector_coldStart measures process start to the first event handled.
func TestDetector_coldStart(t *testing.T) {
	st := newStack(t)
	body := gzipBytes(t, trailFile(t, fixtureRecords(t)))
	st.s3.Put(t, testBucket, logKey, body)
	select {
	case <-st.fn.API.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the function did not ask for an invocation within 10 s")
	}
	ready := st.fn.API.ReadyAt().Sub(st.fn.Started)
	sum := st.invokeOK(t, s3Event(objectRef{logKey, int64(len(body))}))
	first := time.Since(st.fn.Started)
	if sum.Alerts != 14 {
		t.Errorf("summary = %+v, want 14 alerts", sum)
	}
	initLine := st.fn.Logs("initialised")
	if len(initLine) != 1 || initLine[0]["rules"] != float64(14) {
		t.Fatalf("initialised lines = %v, want one with 14 rules", initLine)
	}
	t.Logf("cold start: process start → runtime ready %v (of which main's own init %vms, rules loaded and compiled %vms); → first event handled (GetObject, scan, 14 publishes) %v",
		ready.Round(100*time.Microsecond), initLine[0]["duration_ms"], initLine[0]["rules_ms"], first.Round(100*time.Microsecond))
}
