package main

// Integration tests: the real bootstrap binary, built once per test run, runs as a child process
// against a Lambda Runtime API harness, reads from an S3 server and publishes to an SNS server
// whose topic delivers to an SQS queue that the tests read back. Everything is in-process on
// 127.0.0.1 (see internal/localaws).

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/lambda/internal/detector"
	"github.com/trailwatch/trailwatch/lambda/internal/localaws"
	"github.com/trailwatch/trailwatch/lambda/internal/testtrail"
)

const (
	testBucket  = "trail-logs-111122223333"
	testAccount = "111122223333"
	logKey      = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/111122223333_CloudTrail_us-east-1_20261124T1015Z_a1B2c3D4e5F6g7H8.json.gz"
	logKey2     = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/111122223333_CloudTrail_us-east-1_20261124T1020Z_Q9w8E7r6T5y4U3i2.json.gz"
	invokeLimit = 20 * time.Second
)

// allRulesExpected lists, per record of testdata/cloudtrail/all-rules.json in file order, the
// rules it must fire.
var allRulesExpected = [][]string{
	{},           // DescribeInstances
	{},           // GetCallerIdentity
	{"cis-3.1"},  // GetBucketPolicy AccessDenied
	{"cis-3.1"},  // RunInstances Client.UnauthorizedOperation
	{"cis-3.1"},  // ListUsers AccessDenied
	{"cis-3.2"},  // ConsoleLogin, IAM user, no MFA
	{},           // ConsoleLogin, IAM user, MFA
	{"cis-3.3"},  // ConsoleLogin as root
	{},           // AssumeRole by root invoked by a service
	{"cis-3.4"},  // PutUserPolicy
	{"cis-3.4"},  // AttachRolePolicy
	{"cis-3.5"},  // StopLogging
	{"cis-3.6"},  // ConsoleLogin failed
	{"cis-3.7"},  // ScheduleKeyDeletion
	{"cis-3.8"},  // PutBucketPolicy
	{"cis-3.9"},  // StopConfigurationRecorder
	{"cis-3.10"}, // AuthorizeSecurityGroupIngress
	{"cis-3.11"}, // CreateNetworkAclEntry
	{"cis-3.12"}, // AttachInternetGateway
	{"cis-3.13"}, // CreateRoute
	{"cis-3.14"}, // CreateVpc
	{"cis-3.14"}, // ModifyVpcAttribute
	{},           // DescribeTrails
}

var ruleSeverity = map[string]string{
	"cis-3.1": "low", "cis-3.2": "high", "cis-3.3": "critical", "cis-3.4": "medium", "cis-3.5": "high",
	"cis-3.6": "low", "cis-3.7": "high", "cis-3.8": "medium", "cis-3.9": "high", "cis-3.10": "medium",
	"cis-3.11": "medium", "cis-3.12": "medium", "cis-3.13": "medium", "cis-3.14": "medium",
}

// expectedCounts returns rule id → matches among the first n records of all-rules.json.
func expectedCounts(n int) map[string]int {
	want := map[string]int{}
	for _, rules := range allRulesExpected[:n] {
		for _, r := range rules {
			want[r]++
		}
	}
	return want
}

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// bootstrapBinary builds the function once per test run, with the flags of the test build.
func bootstrapBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "trailwatch-bootstrap-")
		if buildErr == nil {
			buildPath, buildErr = localaws.BuildBootstrap(".", buildDir)
		}
	})
	if buildErr != nil {
		t.Fatalf("build bootstrap: %v", buildErr)
	}
	return buildPath
}

// stack is one function with its own S3 and SNS servers.
type stack struct {
	s3  *localaws.S3
	sns *localaws.SNS
	fn  *localaws.Function
}

// newStack starts S3 (with the trail bucket), SNS and the function, configured by env on top of
// the defaults; an env entry "NAME=" removes NAME.
func newStack(t *testing.T, env ...string) *stack {
	t.Helper()
	st := &stack{s3: localaws.StartS3(t), sns: localaws.StartSNS(t)}
	st.s3.CreateBucket(t, testBucket)
	vars := append(localaws.BaseEnv(),
		"AWS_ENDPOINT_URL_S3="+st.s3.URL,
		"AWS_ENDPOINT_URL_SNS="+st.sns.URL,
		"ALERT_TOPIC_ARN="+st.sns.TopicARN,
	)
	for _, e := range env {
		name, value, _ := strings.Cut(e, "=")
		vars = slices.DeleteFunc(vars, func(v string) bool { return strings.HasPrefix(v, name+"=") })
		if value != "" {
			vars = append(vars, e)
		}
	}
	st.fn = localaws.StartFunction(t, bootstrapBinary(t), vars)
	return st
}

// invoke runs one invocation and fails the test if Lambda would have timed it out.
func (st *stack) invoke(t *testing.T, payload any) localaws.Result {
	t.Helper()
	res := st.fn.Invoke(t, payload, invokeLimit)
	if res.TimedOut {
		t.Fatalf("invocation timed out (killed by Lambda): %s", res.Payload)
	}
	return res
}

// invokeOK runs one invocation that must succeed and returns its summary.
func (st *stack) invokeOK(t *testing.T, payload any) detector.Summary {
	t.Helper()
	res := st.invoke(t, payload)
	if res.ErrorType != "" {
		t.Fatalf("invocation failed: %s %s", res.ErrorType, res.Payload)
	}
	var s detector.Summary
	if err := json.Unmarshal(res.Payload, &s); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
	return s
}

// --- fixtures ---------------------------------------------------------------------------------

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cloudtrail", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureRecords returns the records of all-rules.json.
func fixtureRecords(t testing.TB) []json.RawMessage {
	t.Helper()
	var f struct{ Records []json.RawMessage }
	if err := json.Unmarshal(readFixture(t, "all-rules.json"), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Records) != len(allRulesExpected) {
		t.Fatalf("all-rules.json has %d records, the test expects %d", len(f.Records), len(allRulesExpected))
	}
	return f.Records
}

// trailFile and gzipBytes build delivered CloudTrail files.
var (
	trailFile = testtrail.File
	gzipBytes = testtrail.Gzip
)

// accessDenied returns n distinct AccessDenied records (rule cis-3.1 only).
func accessDenied(t testing.TB, n int) []json.RawMessage {
	t.Helper()
	tmpl := fixtureRecords(t)[2]
	var ev map[string]any
	if err := json.Unmarshal(tmpl, &ev); err != nil {
		t.Fatal(err)
	}
	out := make([]json.RawMessage, n)
	for i := range n {
		ev["eventID"] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
		ev["eventTime"] = fmt.Sprintf("2026-11-24T10:%02d:%02dZ", 20+i/60, i%60)
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// --- events -----------------------------------------------------------------------------------

// eventKey encodes a key as S3 does in event notifications: form encoding, slashes kept.
func eventKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

type objectRef struct {
	key  string
	size int64
}

func s3Record(bucket string, o objectRef) map[string]any {
	return map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
		"eventTime": "2026-11-24T10:15:02.311Z", "eventName": "ObjectCreated:Put",
		"userIdentity":      map[string]any{"principalId": "AWS:AROAEXAMPLEROLEID:regionalDeliverySession"},
		"requestParameters": map[string]any{"sourceIPAddress": "198.51.100.7"},
		"responseElements":  map[string]any{"x-amz-request-id": "7D9E6E1C8F0A2B3C", "x-amz-id-2": "EXAMPLE123/abc"},
		"s3": map[string]any{
			"s3SchemaVersion": "1.0", "configurationId": "trailwatch",
			"bucket": map[string]any{"name": bucket, "ownerIdentity": map[string]any{"principalId": "A3EXAMPLE"}, "arn": "arn:aws:s3:::" + bucket},
			"object": map[string]any{"key": eventKey(o.key), "size": o.size, "eTag": "0c2d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", "sequencer": "00674301D6A0C2B1E4"},
		},
	}
}

// s3Event is an S3 event notification naming objects of the test bucket.
func s3Event(objs ...objectRef) map[string]any {
	recs := make([]any, len(objs))
	for i, o := range objs {
		recs[i] = s3Record(testBucket, o)
	}
	return map[string]any{"Records": recs}
}

// sqsEvent wraps each body in an SQS message as the event source mapping delivers them.
func sqsEvent(t testing.TB, bodies ...any) map[string]any {
	t.Helper()
	recs := make([]any, len(bodies))
	for i, b := range bodies {
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = map[string]any{
			"messageId": fmt.Sprintf("059f36b4-87a3-44ab-83d2-66197552%04d", i), "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
			"body": string(raw), "attributes": map[string]any{"ApproximateReceiveCount": "1", "SentTimestamp": "1795515302311"},
			"messageAttributes": map[string]any{}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
			"eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:trail-events", "awsRegion": "us-east-1",
		}
	}
	return map[string]any{"Records": recs}
}

// snsEnvelope wraps body as SNS delivers it to an SQS queue.
func snsEnvelope(t testing.TB, body any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
		"TopicArn": "arn:aws:sns:us-east-1:111122223333:trail-events", "Subject": "Amazon S3 Notification",
		"Message": string(raw), "Timestamp": "2026-11-24T10:15:02.400Z", "SignatureVersion": "1",
	}
}

// eventBridgeEvent is an EventBridge "Object Created" event. Keys are form-encoded there too.
func eventBridgeEvent(o objectRef) map[string]any {
	return map[string]any{
		"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
		"source": "aws.s3", "account": testAccount, "time": "2026-11-24T10:15:02Z", "region": "us-east-1",
		"resources": []string{"arn:aws:s3:::" + testBucket},
		"detail": map[string]any{
			"version": "0", "bucket": map[string]any{"name": testBucket},
			"object":     map[string]any{"key": eventKey(o.key), "size": o.size, "etag": "0c2d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", "sequencer": "00674301D6A0C2B1E4"},
			"request-id": "N4N7GDK58NMKJ12R", "requester": "cloudtrail.amazonaws.com", "reason": "PutObject",
		},
	}
}

// --- what subscribers get ---------------------------------------------------------------------

type alertDoc struct {
	Schema string `json:"schema"`
	Rule   struct {
		ID       string              `json:"id"`
		Title    string              `json:"title"`
		Severity string              `json:"severity"`
		Controls map[string][]string `json:"controls"`
	} `json:"rule"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Object  struct {
		Bucket string `json:"bucket"`
		Key    string `json:"key"`
	} `json:"object"`
	MatchCount int  `json:"matchCount"`
	Truncated  bool `json:"truncated"`
	Events     []struct {
		EventID            string `json:"eventID"`
		EventTime          string `json:"eventTime"`
		EventSource        string `json:"eventSource"`
		EventName          string `json:"eventName"`
		AWSRegion          string `json:"awsRegion"`
		RecipientAccountID string `json:"recipientAccountId"`
		SourceIPAddress    string `json:"sourceIPAddress"`
		UserAgent          string `json:"userAgent"`
		Principal          string `json:"principal"`
		ErrorCode          string `json:"errorCode"`
		ConsoleURL         string `json:"consoleURL"`
	} `json:"events"`
	Detail      string `json:"detail"`
	RecordsRead *int   `json:"recordsRead"`
}

// received is one alert as the queue got it, with the Publish request that sent it.
type received struct {
	delivery localaws.Delivery
	publish  localaws.Publish
	doc      alertDoc
	email    string
}

// collect drains the queue and pairs every delivery with its Publish request (same order).
func (st *stack) collect(t *testing.T) []received {
	t.Helper()
	deliveries := st.sns.Receive(t)
	published := st.sns.Published()
	if len(deliveries) != len(published) {
		t.Fatalf("%d Publish requests accepted but %d notifications delivered", len(published), len(deliveries))
	}
	out := make([]received, len(deliveries))
	for i, d := range deliveries {
		p := published[i]
		r := received{delivery: d, publish: p}
		if p.MessageStructure != "json" {
			t.Errorf("Publish MessageStructure = %q, want json", p.MessageStructure)
		}
		var structure map[string]string
		if err := json.Unmarshal([]byte(p.Message), &structure); err != nil {
			t.Fatalf("published message is not a JSON object of strings: %v", err)
		}
		if structure["default"] != d.Message {
			t.Errorf("the queue got %q, want the message's default %q", d.Message, structure["default"])
		}
		r.email = structure["email"]
		if err := json.Unmarshal([]byte(d.Message), &r.doc); err != nil {
			t.Fatalf("delivered message is not alert JSON: %v\n%s", err, d.Message)
		}
		if len(p.Message) > 262144 {
			t.Errorf("%s: message of %d bytes exceeds SNS's limit", r.doc.Rule.ID, len(p.Message))
		}
		out[i] = r
	}
	return out
}

// byRule indexes alerts by rule id; the same rule twice fails the test.
func byRule(t *testing.T, alerts []received) map[string]received {
	t.Helper()
	m := map[string]received{}
	for _, a := range alerts {
		if _, dup := m[a.doc.Rule.ID]; dup {
			t.Errorf("two alerts for rule %s", a.doc.Rule.ID)
		}
		m[a.doc.Rule.ID] = a
	}
	return m
}

func ruleCounts(alerts []received) map[string]int {
	m := map[string]int{}
	for _, a := range alerts {
		if !strings.HasPrefix(a.doc.Rule.ID, "trailwatch/") {
			m[a.doc.Rule.ID] = a.doc.MatchCount
		}
	}
	return m
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// --- tests ------------------------------------------------------------------------------------

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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// emfLines returns the function's embedded-metric-format lines.
func emfLines(fn *localaws.Function) []map[string]any {
	var out []map[string]any
	for _, l := range fn.LogLines() {
		if _, ok := l["_aws"]; ok {
			out = append(out, l)
		}
	}
	return out
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
