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
