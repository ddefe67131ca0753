package detector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailwatch/trailwatch/lambda/alert"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/internal/localaws"
	"github.com/trailwatch/trailwatch/lambda/internal/state"
)

const signinRuleYAML = `id: test-signin
title: Console sign-in failures
severity: low
controls: {cis-1.2.0: ["3.6"]}
description: Repeated failures from one address.
pattern: '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
threshold: {count: 3, window: 5m, groupBy: [sourceIPAddress]}
tests:
  - {name: failure, match: true, event: {eventName: ConsoleLogin, errorMessage: Failed authentication}}
  - {name: success, match: false, event: {eventName: ConsoleLogin}}
`

// signinFailure is a failed console sign-in from ip at 2026-11-24 10:<minSec>Z.
func signinFailure(n int, ip, minSec string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","accountId":"111122223333","userName":"alice"},`+
		`"eventTime":"2026-11-24T10:%sZ","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1",`+
		`"sourceIPAddress":"%s","errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"},`+
		`"eventID":"00000000-0000-4000-8000-%012d","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}`, minSec, ip, n)
}

// newThresholdFixture is the handler fixture with the sign-in threshold rule and StopLogging,
// and, with a table, a state store on an in-process DynamoDB server.
func newThresholdFixture(t *testing.T, withState bool) (*handlerFixture, *localaws.DynamoDB) {
	t.Helper()
	f := newHandlerFixture(t)
	rs, err := detect.LoadFS(fstest.MapFS{
		"signin.yaml": {Data: []byte(signinRuleYAML)},
		"test-1.yaml": {Data: []byte(alertRuleYAML)},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.h.Rules = rs
	if !withState {
		return f, nil
	}
	ddb := localaws.StartDynamoDB(t)
	ddb.CreateTable(t, "state")
	f.h.State = &state.Store{API: ddb.Client, Table: "state"}
	return f, ddb
}

func (f *handlerFixture) handle(t *testing.T, keys ...string) (Summary, error) {
	t.Helper()
	refs := make([]objectRef, len(keys))
	for i, k := range keys {
		refs[i] = objectRef{k, int64(len(f.bucket.objects[k]))}
	}
	return f.h.Handle(context.Background(), payload(t, s3Event(refs...)))
}

func logKeyAt(hhmm string) string {
	return strings.Replace(logKey, "20261124T1015Z", "20261124T"+hhmm+"Z", 1)
}

func TestThreshold_withinOneFileWithoutState(t *testing.T) {
	f, _ := newThresholdFixture(t, false)
	f.put(t, logKeyAt("1005"),
		signinFailure(1, "192.0.2.1", "00:10"), signinFailure(2, "192.0.2.1", "01:10"), // 2 in 10:00-10:05
		signinFailure(3, "192.0.2.2", "01:20"), // another address
		signinFailure(4, "192.0.2.1", "04:59"), // the third: alert
		signinFailure(5, "192.0.2.1", "05:00"), // the next window
		signinFailure(6, "192.0.2.1", "04:00")) // counted, not listed
	sum, err := f.handle(t, logKeyAt("1005"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.topic.alerts) != 1 || sum.Alerts != 1 || sum.Matches != 6 {
		t.Fatalf("summary %+v, %d alerts; want one alert of 6 matches", sum, len(f.topic.alerts))
	}
	a := f.topic.alerts[0]
	if a.Rule.ID != "test-signin" || a.MatchCount != 4 || len(a.Events) != 3 || !a.Truncated {
		t.Errorf("alert %s count %d with %d events, want test-signin 4 matches listing 3", a.Rule.ID, a.MatchCount, len(a.Events))
	}
	for _, e := range a.Events {
		if e.SourceIPAddress != "192.0.2.1" {
			t.Errorf("event from %s in the alert for 192.0.2.1", e.SourceIPAddress)
		}
	}
	checkThreshold(t, a, "192.0.2.1", 4)

	// Without state the next file starts again: two more failures alert nothing.
	f.put(t, logKeyAt("1010"), signinFailure(7, "192.0.2.2", "03:00"))
	if _, err := f.handle(t, logKeyAt("1010")); err != nil || len(f.topic.alerts) != 1 {
		t.Errorf("err %v, %d alerts; want none more without state", err, len(f.topic.alerts))
	}
}

func TestThreshold_acrossFilesWithState(t *testing.T) {
	f, _ := newThresholdFixture(t, true)
	f.put(t, logKeyAt("1005"), signinFailure(1, "192.0.2.1", "01:00"), signinFailure(2, "192.0.2.1", "02:00"))
	f.put(t, logKeyAt("1010"), signinFailure(3, "192.0.2.1", "00:30"), signinFailure(4, "192.0.2.1", "03:00"))
	f.put(t, logKeyAt("1015"), signinFailure(5, "192.0.2.1", "04:00"))

	if _, err := f.handle(t, logKeyAt("1005")); err != nil || len(f.topic.alerts) != 0 {
		t.Fatalf("after 2 of 3: err %v, %d alerts", err, len(f.topic.alerts))
	}
	if _, err := f.handle(t, logKeyAt("1010")); err != nil || len(f.topic.alerts) != 1 {
		t.Fatalf("after 4 of 3: err %v, %d alerts, want 1", err, len(f.topic.alerts))
	}
	a := f.topic.alerts[0]
	var ids []string
	for _, e := range a.Events {
		ids = append(ids, e.EventID[len(e.EventID)-1:])
	}
	if a.MatchCount != 4 || strings.Join(ids, "") != "312" || a.Object.Key != logKeyAt("1010") {
		t.Errorf("alert: %d matches, events %v, file %s; want 4, the earliest three (3 1 2), the file that completed it",
			a.MatchCount, ids, a.Object.Key)
	}
	if a.MatchedBecause == nil {
		t.Error("threshold alert does not say why it matched")
	}
	checkThreshold(t, a, "192.0.2.1", 4)

	sum, err := f.handle(t, logKeyAt("1015"))
	if err != nil || len(f.topic.alerts) != 1 || sum.Duplicates != 0 {
		t.Errorf("a later match: err %v, %d alerts, summary %+v; want it counted, not sent", err, len(f.topic.alerts), sum)
	}
	sum, err = f.handle(t, logKeyAt("1010"))
	if err != nil || len(f.topic.alerts) != 1 || sum.Duplicates != 1 {
		t.Errorf("the completing file again: err %v, %d alerts, summary %+v; want a duplicate", err, len(f.topic.alerts), sum)
	}
}

// checkThreshold checks that a says it crossed the sign-in rule's threshold of 3 in the
// 10:00-10:05 window for ip, which held observed matches when it was sent.
func checkThreshold(t *testing.T, a *alert.Alert, ip string, observed int) {
	t.Helper()
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	want := alert.Threshold{
		Count: 3, Window: 5 * time.Minute, WindowStart: start, WindowEnd: start.Add(5 * time.Minute),
		GroupBy: []string{"sourceIPAddress"}, Group: []string{ip}, Observed: observed,
	}
	if a.Threshold == nil || !reflect.DeepEqual(*a.Threshold, want) {
		t.Errorf("alert threshold %+v, want %+v", a.Threshold, want)
	}
	line := fmt.Sprintf("Threshold: %d matches from sourceIPAddress=%s in the 5-minute window 2026-11-24 10:00–10:05 UTC (threshold 3).", observed, ip)
	if !strings.Contains(a.Text(), "\n"+line+"\n") {
		t.Errorf("e-mail lacks %q:\n%s", line, a.Text())
	}
}

// Alerts of rules without a threshold say nothing about one.
func TestThreshold_notOnFileAlerts(t *testing.T) {
	f, _ := newThresholdFixture(t, false)
	f.put(t, logKey, stopLogging)
	if _, err := f.handle(t, logKey); err != nil || len(f.topic.alerts) != 1 {
		t.Fatalf("err %v, %d alerts; want 1", err, len(f.topic.alerts))
	}
	if th := f.topic.alerts[0].Threshold; th != nil {
		t.Errorf("per-file alert carries a threshold: %+v", th)
	}
}

func TestThreshold_shadowRulesAreNotCounted(t *testing.T) {
	f, ddb := newThresholdFixture(t, true)
	rs, err := detect.LoadFS(fstest.MapFS{"signin.yaml": {Data: []byte(strings.Replace(signinRuleYAML, "tests:", "mode: shadow\ntests:", 1))}})
	if err != nil {
		t.Fatal(err)
	}
	f.h.Rules = rs
	f.put(t, logKey, signinFailure(1, "192.0.2.1", "01:00"), signinFailure(2, "192.0.2.1", "01:01"), signinFailure(3, "192.0.2.1", "01:02"))
	sum, err := f.handle(t, logKey)
	if err != nil || sum.Shadowed != 3 || len(f.topic.alerts) != 0 {
		t.Fatalf("err %v summary %+v alerts %d, want 3 shadowed, none sent", err, sum, len(f.topic.alerts))
	}
	if items := ddb.Items(t, "state", ""); len(items) != 0 {
		t.Errorf("shadow rule wrote %d state items", len(items))
	}
}

func TestThreshold_recordsWithoutEventTime(t *testing.T) {
	f, _ := newThresholdFixture(t, false)
	noTime := strings.Replace(signinFailure(1, "192.0.2.1", "00:00"), `"eventTime":"2026-11-24T10:00:00Z",`, "", 1)
	f.put(t, logKey, noTime, noTime, noTime)
	if _, err := f.handle(t, logKey); err != nil || len(f.topic.alerts) != 0 {
		t.Fatalf("err %v, %d alerts; want none", err, len(f.topic.alerts))
	}
	if w := f.logLines("matches without a readable eventTime not counted towards the threshold"); len(w) != 1 || w[0]["matches"] != float64(3) {
		t.Errorf("warnings %v, want one counting 3 matches", w)
	}
}

func TestFileAlerts_deduplicatedWithState(t *testing.T) {
	f, _ := newThresholdFixture(t, true)
	f.put(t, logKey, stopLogging)
	if _, err := f.handle(t, logKey); err != nil || len(f.topic.alerts) != 1 {
		t.Fatalf("first delivery: err %v, %d alerts", err, len(f.topic.alerts))
	}
	sum, err := f.handle(t, logKey)
	if err != nil || len(f.topic.alerts) != 1 || sum.Duplicates != 1 || sum.Alerts != 0 {
		t.Fatalf("second delivery: err %v, %d alerts, summary %+v; want the alert not sent again", err, len(f.topic.alerts), sum)
	}
	dup := f.logLines("alert already sent")
	if len(dup) != 1 || dup[0]["messageId"] != "m-test-1" {
		t.Errorf("duplicate lines %v, want one naming the first message", dup)
	}
	obj := f.logLines("object processed")
	if obj[len(obj)-1]["duplicates"] != float64(1) {
		t.Errorf("object line %v lacks duplicates 1", obj[len(obj)-1])
	}
}

func TestFileAlerts_failedPublishIsSentOnRetry(t *testing.T) {
	f, _ := newThresholdFixture(t, true)
	f.put(t, logKey, stopLogging)
	f.topic.failAfter = 0
	if _, err := f.handle(t, logKey); err == nil {
		t.Fatal("invocation succeeded though SNS failed")
	}
	f.topic.failAfter = -1
	sum, err := f.handle(t, logKey) // Lambda's retry, at once: the claim was released
	if err != nil || len(f.topic.alerts) != 1 || sum.Duplicates != 0 {
		t.Fatalf("retry: err %v, %d alerts, summary %+v; want the alert sent", err, len(f.topic.alerts), sum)
	}
}

func TestState_unavailableFailsTheInvocation(t *testing.T) {
	for _, op := range []string{"UpdateItem", "TransactWriteItems"} {
		t.Run(op, func(t *testing.T) {
			f, ddb := newThresholdFixture(t, true)
			f.put(t, logKey, stopLogging, signinFailure(1, "192.0.2.1", "01:00"))
			ddb.Fail(op, 400, "ResourceNotFoundException")
			_, err := f.handle(t, logKey)
			if err == nil || !strings.Contains(err.Error(), "ResourceNotFound") {
				t.Fatalf("err %v, want the DynamoDB error", err)
			}
			if len(f.topic.alerts) != 0 && op == "UpdateItem" {
				t.Errorf("%d alerts sent without a claim", len(f.topic.alerts))
			}
		})
	}
}

func TestPublishOnce_withoutState(t *testing.T) {
	f := newHandlerFixture(t)
	inv := f.h.begin(context.Background())
	rep := &objectReport{matches: map[string]int{}}
	built := errors.New("cannot build")
	_, err := f.h.publishOnce(context.Background(), inv, rep, state.FileAlert("r", "o"), 0,
		func(context.Context) (*alert.Alert, error) { return nil, built })
	if !errors.Is(err, built) || len(f.topic.alerts) != 0 {
		t.Errorf("err %v, %d alerts; want the build error and nothing sent", err, len(f.topic.alerts))
	}
}

func TestNew_warnsWithoutStateTable(t *testing.T) {
	var logs bytes.Buffer
	h := New(awsConfigForTest(), Config{TopicARN: "arn:aws:sns:us-east-1:1:t", EventsPerAlert: 20}, nil, NewLogger(&logs, slog.LevelInfo), nil)
	if h.State != nil || !strings.Contains(logs.String(), "STATE_TABLE_NAME is not set") {
		t.Errorf("state %v, logs %s; want no store and a warning", h.State, logs.String())
	}
	logs.Reset()
	h = New(awsConfigForTest(), Config{TopicARN: "arn:aws:sns:us-east-1:1:t", StateTable: "tw-state"}, nil, NewLogger(&logs, slog.LevelInfo), nil)
	if h.State == nil || h.State.Table != "tw-state" || logs.Len() != 0 {
		t.Errorf("state %+v, logs %s; want the table and no warning", h.State, logs.String())
	}
}
