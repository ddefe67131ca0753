package detector

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/trailwatch/trailwatch/lambda/alert"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/internal/emf"
)

// fakeBucket is an in-memory ObjectGetter.
type fakeBucket struct {
	mu      sync.Mutex
	objects map[string][]byte
	gets    []string
}

func (b *fakeBucket) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := aws.ToString(in.Key)
	b.gets = append(b.gets, key)
	body, ok := b.objects[key]
	if !ok {
		return nil, &types.NoSuchKey{Message: aws.String("The specified key does not exist.")}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: aws.Int64(int64(len(body)))}, nil
}

// fakeTopic is an AlertPublisher that keeps what it is given and can fail after some alerts.
type fakeTopic struct {
	alerts    []*alert.Alert
	failAfter int // -1: never
}

func (f *fakeTopic) Publish(_ context.Context, a *alert.Alert) (Published, error) {
	if f.failAfter >= 0 && len(f.alerts) >= f.failAfter {
		return Published{}, errors.New("sns: InternalError")
	}
	f.alerts = append(f.alerts, a)
	return Published{MessageID: "m-" + a.Rule.ID, Events: len(a.Events), Truncated: a.Truncated}, nil
}

const (
	alertRuleYAML = `id: test-1
title: Trail stopped
severity: high
controls: {cis-1.2.0: ["3.5"]}
description: Logging was stopped.
pattern: '{ $.eventName = StopLogging }'
mode: alert
tests:
  - {name: stop, match: true, event: {eventName: StopLogging}}
  - {name: start, match: false, event: {eventName: StartLogging}}
`
	shadowRuleYAML = `id: test-2
title: Any trail call
severity: low
controls: {cis-1.2.0: ["3.5"]}
description: A trial rule.
pattern: '{ $.eventSource = cloudtrail.amazonaws.com }'
mode: shadow
tests:
  - {name: trail, match: true, event: {eventSource: cloudtrail.amazonaws.com}}
  - {name: other, match: false, event: {eventSource: s3.amazonaws.com}}
`
	stopLogging = `{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2026-11-24T10:05:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","eventID":"7b1e2d4c-5b6a-4789-8a0b-1c2d3e4f5a6b","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
)

type handlerFixture struct {
	h      *Handler
	bucket *fakeBucket
	topic  *fakeTopic
	logs   *bytes.Buffer
}

func newHandlerFixture(t *testing.T) *handlerFixture {
	t.Helper()
	rs, err := detect.LoadFS(fstest.MapFS{
		"test-1.yaml": {Data: []byte(alertRuleYAML)},
		"test-2.yaml": {Data: []byte(shadowRuleYAML)},
	})
	if err != nil {
		t.Fatalf("rules: %v", err)
	}
	f := &handlerFixture{
		bucket: &fakeBucket{objects: map[string][]byte{}},
		topic:  &fakeTopic{failAfter: -1},
		logs:   &bytes.Buffer{},
	}
	f.h = &Handler{
		Objects: f.bucket, Alerts: f.topic, Rules: rs, EventsPerAlert: 20,
		Log:     NewLogger(f.logs, slog.LevelDebug),
		Metrics: emf.New(f.logs, "Trailwatch", emf.Dimension{Name: "Service", Value: "trailwatch"}),
	}
	return f
}

func (f *handlerFixture) put(t *testing.T, key string, records ...string) int64 {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := io.WriteString(zw, `{"Records":[`+strings.Join(records, ",")+`]}`); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.bucket.objects[key] = buf.Bytes()
	return int64(buf.Len())
}

func (f *handlerFixture) logLines(msg string) []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(f.logs.String()) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func payload(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandle_shadowRulesAreNotPublished(t *testing.T) {
	f := newHandlerFixture(t)
	size := f.put(t, logKey, stopLogging, stopLogging)
	sum, err := f.h.Handle(context.Background(), payload(t, s3Event(objectRef{logKey, size})))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Summary{Objects: 1, Scanned: 1, Records: 2, Matches: 4, Alerts: 1, Shadowed: 2}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	if len(f.topic.alerts) != 1 || f.topic.alerts[0].Rule.ID != "test-1" || f.topic.alerts[0].MatchCount != 2 {
		t.Fatalf("published %d alerts, want only test-1 with 2 matches", len(f.topic.alerts))
	}
	a := f.topic.alerts[0]
	if a.Rule.Title != "Trail stopped" || a.Rule.Severity != "high" || a.Rule.File != "test-1.yaml" || a.Account != "111122223333" {
		t.Errorf("alert rule = %+v account %q", a.Rule, a.Account)
	}
	shadow := f.logLines("shadow rule matched")
	if len(shadow) != 1 || shadow[0]["rule"] != "test-2" || shadow[0]["matches"] != float64(2) {
		t.Errorf("shadow lines = %v", shadow)
	}
	obj := f.logLines("object processed")
	if m, _ := obj[0]["matches"].(map[string]any); m["test-1"] != float64(2) || m["test-2"] != float64(2) {
		t.Errorf("object line matches = %v, want both rules counted", obj[0]["matches"])
	}
}

func TestHandle_undecodedKeyFallback(t *testing.T) {
	f := newHandlerFixture(t)
	// An event source that wrote the key verbatim: "a+b" is the real key, not "a b".
	key := strings.Replace(logKey, "AWSLogs/", "a+b/AWSLogs/", 1)
	size := f.put(t, key, stopLogging)
	ev := s3Event(objectRef{logKey, size})
	ev["Records"].([]any)[0].(map[string]any)["s3"].(map[string]any)["object"].(map[string]any)["key"] = key
	sum, err := f.h.Handle(context.Background(), payload(t, ev))
	if err != nil {
		t.Fatal(err)
	}
	decoded := strings.Replace(key, "a+b", "a b", 1)
	if sum.Scanned != 1 || len(f.bucket.gets) != 2 || f.bucket.gets[0] != decoded || f.bucket.gets[1] != key {
		t.Errorf("summary %+v, GetObject keys %q; want the decoded key, then the key as written", sum, f.bucket.gets)
	}
}

func TestHandle_deadline(t *testing.T) {
	f := newHandlerFixture(t)
	size := f.put(t, logKey, stopLogging)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := f.h.Handle(ctx, payload(t, s3Event(objectRef{logKey, size})))
	if !errors.Is(err, ErrDeadline) || !strings.Contains(err.Error(), "before object 1 of 1") {
		t.Errorf("error = %v, want ErrDeadline before the first object", err)
	}
	if len(f.bucket.gets) != 0 || len(f.topic.alerts) != 0 {
		t.Errorf("fetched %v and published %d alerts, want nothing done", f.bucket.gets, len(f.topic.alerts))
	}
}

func TestHandle_margin(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	h := &Handler{Now: func() time.Time { return now }}
	tests := []struct {
		timeout time.Duration
		want    time.Duration
	}{
		{3 * time.Second, minMargin},
		{60 * time.Second, 3 * time.Second},
		{900 * time.Second, maxMargin},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithDeadline(context.Background(), now.Add(tt.timeout))
		inv := h.begin(ctx)
		cancel()
		if inv.margin != tt.want {
			t.Errorf("margin for a %v timeout = %v, want %v", tt.timeout, inv.margin, tt.want)
		}
		if err := inv.check(now.Add(tt.timeout-tt.want+time.Millisecond), "x"); !errors.Is(err, ErrDeadline) {
			t.Errorf("%v timeout: check inside the margin = %v, want ErrDeadline", tt.timeout, err)
		}
		if err := inv.check(now.Add(tt.timeout-tt.want), "x"); err != nil {
			t.Errorf("%v timeout: check at the margin = %v, want nil", tt.timeout, err)
		}
	}
}

func TestHandle_publishFailureNamesWhatWasSent(t *testing.T) {
	f := newHandlerFixture(t)
	size1 := f.put(t, logKey, stopLogging)
	size2 := f.put(t, logKey2, stopLogging)
	f.topic.failAfter = 1
	sum, err := f.h.Handle(context.Background(), payload(t, s3Event(objectRef{logKey, size1}, objectRef{logKey2, size2})))
	if err == nil || !strings.Contains(err.Error(), "InternalError") {
		t.Fatalf("error = %v, want the publish failure", err)
	}
	if sum.Alerts != 1 {
		t.Errorf("summary = %+v, want 1 alert sent", sum)
	}
	fail := f.logLines("invocation failed")
	if len(fail) != 1 || fail[0]["objectsDone"] != float64(1) || fail[0]["key"] != logKey2 {
		t.Fatalf("failure lines = %v", fail)
	}
	sent, _ := fail[0]["published"].([]any)
	if len(sent) != 1 || sent[0].(map[string]any)["key"] != logKey || sent[0].(map[string]any)["messageId"] != "m-test-1" {
		t.Errorf("failure line lists %v, want the alert for the first file", fail[0]["published"])
	}
	if obj := f.logLines("object processed"); len(obj) != 2 || obj[1]["outcome"] != "failed" || obj[1]["level"] != "ERROR" {
		t.Errorf("object lines = %v, want the second failed at ERROR", obj)
	}
}

func TestHandle_unrecognizedEvent(t *testing.T) {
	f := newHandlerFixture(t)
	if _, err := f.h.Handle(context.Background(), json.RawMessage(`{"detail":{}}`)); err == nil {
		t.Fatal("Handle accepted an event of no known shape")
	}
	if l := f.logLines("invocation failed"); len(l) != 1 {
		t.Errorf("failure lines = %v", l)
	}
}

func TestProcessObject(t *testing.T) {
	f := newHandlerFixture(t)
	f.put(t, logKey, stopLogging)
	sum, err := f.h.ProcessObject(context.Background(), bucket, logKey)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Objects != 1 || sum.Scanned != 1 || sum.Alerts != 1 || len(f.topic.alerts) != 1 {
		t.Errorf("summary = %+v with %d alerts, want the object scanned and one alert", sum, len(f.topic.alerts))
	}

	sum, err = f.h.ProcessObject(context.Background(), bucket, logKey2)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Missing != 1 || len(f.topic.alerts) != 2 {
		t.Fatalf("summary = %+v, want the absent object reported missing", sum)
	}
	if a := f.topic.alerts[1]; a.Rule.ID != "trailwatch/"+alert.MissingLogFile || strings.Contains(a.Detail, "announced") {
		t.Errorf("alert %s %q, want a missing-file alert that names no event", a.Rule.ID, a.Detail)
	}
}
