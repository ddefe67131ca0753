package main

// Integration tests of the state table: thresholds across log files and alerts sent once,
// through the real bootstrap against an in-process DynamoDB server (minidyn) besides S3 and SNS.
// The function loads the shipped rules from RULES_DIR with the README's thresholds added:
// cis-3.6 alerts on 3 console sign-in failures from one address in 5 minutes, and cis-3.1 on
// 10 refused calls by one principal in 5 minutes.

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/trailwatch/trailwatch/lambda/internal/detector"
	"github.com/trailwatch/trailwatch/lambda/internal/localaws"
	"github.com/trailwatch/trailwatch/rules"
)

const stateTable = "trailwatch-state"

// readmeThresholds are the thresholds the README shows, by rule file.
var readmeThresholds = map[string]string{
	"cis-3.6-console-authentication-failures.yaml": "threshold: {count: 3, window: 5m, groupBy: [sourceIPAddress]}",
	"cis-3.1-unauthorized-api-calls.yaml":          "threshold: {count: 10, window: 5m, groupBy: [userIdentity.arn]}",
}

// thresholdRulesDir writes the shipped rules, with readmeThresholds added, to a new directory.
func thresholdRulesDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := fs.Glob(rules.FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		body, err := fs.ReadFile(rules.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		if th, ok := readmeThresholds[name]; ok {
			if !strings.Contains(string(body), "\nmode: alert\n") {
				t.Fatalf("%s: no 'mode: alert' line to put the threshold before", name)
			}
			body = []byte(strings.Replace(string(body), "\nmode: alert\n", "\n"+th+"\nmode: alert\n", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// stateStack is a stack whose function keeps state in a DynamoDB table.
type stateStack struct {
	*stack
	ddb   *localaws.DynamoDB
	env   []string
	rules string
}

// newStateStack starts DynamoDB with the state table, S3, SNS and the function with the
// threshold rules; env is applied as newStack applies it.
func newStateStack(t *testing.T, env ...string) *stateStack {
	t.Helper()
	ddb := localaws.StartDynamoDB(t)
	ddb.CreateTable(t, stateTable)
	dir := thresholdRulesDir(t)
	all := append([]string{"AWS_ENDPOINT_URL_DYNAMODB=" + ddb.URL, "STATE_TABLE_NAME=" + stateTable, "RULES_DIR=" + dir}, env...)
	return &stateStack{stack: newStack(t, all...), ddb: ddb, env: all, rules: dir}
}

// another starts one more instance of the function on the same servers, as Lambda does when
// invocations overlap.
func (st *stateStack) another(t *testing.T) *localaws.Function {
	t.Helper()
	vars := append(localaws.BaseEnv(),
		"AWS_ENDPOINT_URL_S3="+st.s3.URL, "AWS_ENDPOINT_URL_SNS="+st.sns.URL, "ALERT_TOPIC_ARN="+st.sns.TopicARN)
	vars = append(vars, st.env...)
	return localaws.StartFunction(t, bootstrapBinary(t), vars)
}

// put stores records as a CloudTrail log file delivered at hhmm (UTC, 2026-11-24) and returns
// the reference an event names it by.
func (st *stateStack) put(t *testing.T, hhmm string, records ...json.RawMessage) objectRef {
	t.Helper()
	key := strings.Replace(logKey, "20261124T1015Z_a1B2c3D4e5F6g7H8", "20261124T"+hhmm+"Z_"+strings.Repeat(hhmm, 4), 1)
	body := gzipBytes(t, trailFile(t, records))
	st.s3.Put(t, testBucket, key, body)
	return objectRef{key, int64(len(body))}
}

// windowCount is the count of rule's window starting at 10:mm (start "10:mm") for a one-value
// group, 0 when there is none.
func (st *stateStack) windowCount(t *testing.T, rule, start, group string) int {
	t.Helper()
	n := 0
	for _, it := range st.ddb.Items(t, stateTable, "window#"+rule+"#") {
		if attrS(it, "sk") != "window" || attrS(it, "windowStart") != "2026-11-24T"+start+":00Z" {
			continue
		}
		if g, _ := it["group"].(*types.AttributeValueMemberL); g == nil || len(g.Value) != 1 || attrString(g.Value[0]) != group {
			continue
		}
		c, _ := it["count"].(*types.AttributeValueMemberN)
		n, _ = strconv.Atoi(c.Value)
	}
	return n
}

func attrS(item map[string]types.AttributeValue, name string) string { return attrString(item[name]) }

func attrString(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// signinFailures returns failed console sign-ins from ip, one per "mm:ss" after 10:00 on
// 2026-11-24, with event ids prefix-0, prefix-1, ...
func signinFailures(t testing.TB, ip, prefix string, at ...string) []json.RawMessage {
	t.Helper()
	return variants(t, fixtureRecords(t)[12], prefix, at, map[string]any{"sourceIPAddress": ip})
}

// refusals returns AccessDenied records of one principal, like signinFailures.
func refusals(t testing.TB, prefix string, at ...string) []json.RawMessage {
	t.Helper()
	return variants(t, fixtureRecords(t)[2], prefix, at, nil)
}

func variants(t testing.TB, tmpl json.RawMessage, prefix string, at []string, set map[string]any) []json.RawMessage {
	t.Helper()
	out := make([]json.RawMessage, len(at))
	for i, mmss := range at {
		var ev map[string]any
		if err := json.Unmarshal(tmpl, &ev); err != nil {
			t.Fatal(err)
		}
		for k, v := range set {
			ev[k] = v
		}
		ev["eventID"] = fmt.Sprintf("%s-%d", prefix, i)
		ev["eventTime"] = "2026-11-24T10:" + mmss + "Z"
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func eventIDs(d alertDoc) string {
	ids := make([]string, len(d.Events))
	for i, e := range d.Events {
		ids[i] = e.EventID
	}
	return strings.Join(ids, " ")
}

// --- tests ------------------------------------------------------------------------------------

// TestState_thresholdAcrossFiles: two failures in one file and a third in the next file alert
// once, listing the three in time order from both files, with the count.
func TestState_thresholdAcrossFiles(t *testing.T) {
	st := newStateStack(t)
	const ip, other = "203.0.113.9", "198.51.100.77"
	a := st.put(t, "1020", signinFailures(t, ip, "a", "16:10", "17:20")...)
	b := st.put(t, "1025", append(signinFailures(t, ip, "b", "15:30"), signinFailures(t, other, "o", "18:00")...)...)

	if sum := st.invokeOK(t, s3Event(a)); sum.Alerts != 0 || sum.Matches != 2 {
		t.Fatalf("first file: %+v, want 2 matches and no alert", sum)
	}
	if sum := st.invokeOK(t, s3Event(b)); sum.Alerts != 1 || sum.Matches != 2 {
		t.Fatalf("second file: %+v, want the alert", sum)
	}
	alerts := st.collect(t)
	if len(alerts) != 1 {
		t.Fatalf("%d alerts, want 1", len(alerts))
	}
	d := alerts[0].doc
	if d.Rule.ID != "cis-3.6" || d.MatchCount != 3 || d.Truncated || eventIDs(d) != "b-0 a-0 a-1" || d.Object.Key != b.key {
		t.Errorf("alert %s count %d truncated %v events %q file %s; want cis-3.6, 3, b-0 a-0 a-1, the second file",
			d.Rule.ID, d.MatchCount, d.Truncated, eventIDs(d), d.Object.Key)
	}
	for _, e := range d.Events {
		if e.SourceIPAddress != ip {
			t.Errorf("event from %s in the alert for %s", e.SourceIPAddress, ip)
		}
	}
	if !strings.Contains(alerts[0].email, "3 matching events") {
		t.Errorf("e-mail does not give the count:\n%s", alerts[0].email)
	}
	// The alert says which threshold it crossed: the rule's count, the window and the group.
	var th struct {
		Threshold map[string]any `json:"threshold"`
	}
	if err := json.Unmarshal([]byte(alerts[0].delivery.Message), &th); err != nil {
		t.Fatal(err)
	}
	wantThreshold := map[string]any{
		"count": 3.0, "window": "5m", "windowStart": "2026-11-24T10:15:00Z", "windowEnd": "2026-11-24T10:20:00Z",
		"groupBy": []any{"sourceIPAddress"}, "group": map[string]any{"sourceIPAddress": ip}, "observed": 3.0,
	}
	if !reflect.DeepEqual(th.Threshold, wantThreshold) {
		t.Errorf("threshold %v, want %v", th.Threshold, wantThreshold)
	}
	line := "\nThreshold: 3 matches from sourceIPAddress=" + ip + " in the 5-minute window 2026-11-24 10:15–10:20 UTC (threshold 3).\n"
	if !strings.Contains(alerts[0].email, line) {
		t.Errorf("e-mail lacks %q:\n%s", line, alerts[0].email)
	}
	if s := alerts[0].publish.Subject; !strings.HasSuffix(s, " (3 events in 5m)") {
		t.Errorf("subject %q does not name the window", s)
	}
	if n := st.windowCount(t, "cis-3.6", "10:15", ip); n != 3 {
		t.Errorf("window count %d, want 3", n)
	}
	if n := st.windowCount(t, "cis-3.6", "10:15", other); n != 1 {
		t.Errorf("the other address counts %d, want 1", n)
	}
}

// TestState_thresholdNotReached: two failures from each of two addresses alert nothing.
func TestState_thresholdNotReached(t *testing.T) {
	st := newStateStack(t)
	a := st.put(t, "1020", append(signinFailures(t, "203.0.113.9", "a", "16:00", "17:00"),
		signinFailures(t, "203.0.113.10", "b", "16:30", "19:59")...)...)
	if sum := st.invokeOK(t, s3Event(a)); sum.Alerts != 0 || sum.Matches != 4 || sum.Scanned != 1 {
		t.Fatalf("summary %+v, want 4 matches and no alert", sum)
	}
	if alerts := st.collect(t); len(alerts) != 0 {
		t.Fatalf("%d alerts, want none", len(alerts))
	}
}

// TestState_windowBoundary: windows are aligned to the epoch like CloudWatch periods; 10:19:59
// and 10:20:00 fall into different windows, and each needs its own three.
func TestState_windowBoundary(t *testing.T) {
	st := newStateStack(t)
	const ip = "203.0.113.9"
	a := st.put(t, "1020", signinFailures(t, ip, "a", "19:58", "19:59", "20:00")...)
	if sum := st.invokeOK(t, s3Event(a)); sum.Alerts != 0 {
		t.Fatalf("2 + 1 across the boundary: %+v, want no alert", sum)
	}
	b := st.put(t, "1025", signinFailures(t, ip, "b", "20:30", "24:59")...)
	if sum := st.invokeOK(t, s3Event(b)); sum.Alerts != 1 {
		t.Fatalf("the 10:20 window reaches 3: %+v, want its alert", sum)
	}
	alerts := st.collect(t)
	if len(alerts) != 1 || eventIDs(alerts[0].doc) != "a-2 b-0 b-1" {
		t.Fatalf("%d alerts, first lists %q; want one with a-2 b-0 b-1", len(alerts), eventIDs(alerts[0].doc))
	}
	if a, b := st.windowCount(t, "cis-3.6", "10:15", ip), st.windowCount(t, "cis-3.6", "10:20", ip); a != 2 || b != 3 {
		t.Errorf("window counts %d and %d, want 2 and 3", a, b)
	}
}

// TestState_lateFile: a file delivered long after its events completes their window, not the
// window of its arrival.
func TestState_lateFile(t *testing.T) {
	st := newStateStack(t)
	const ip = "203.0.113.9"
	onTime := st.put(t, "1020", signinFailures(t, ip, "a", "15:10", "16:10")...)
	st.invokeOK(t, s3Event(onTime))
	current := st.put(t, "1050", signinFailures(t, ip, "c", "46:00", "47:00")...)
	st.invokeOK(t, s3Event(current))
	late := st.put(t, "1055", append(signinFailures(t, ip, "late", "17:00"), signinFailures(t, ip, "now", "48:00")...)...)
	if sum := st.invokeOK(t, s3Event(late)); sum.Alerts != 2 {
		t.Fatalf("late file: %+v, want two windows completed", sum)
	}
	alerts := st.collect(t)
	got := []string{eventIDs(alerts[0].doc), eventIDs(alerts[1].doc)}
	slices.Sort(got)
	if want := []string{"a-0 a-1 late-0", "c-0 c-1 now-0"}; !slices.Equal(got, want) {
		t.Errorf("alerts list %q, want %q", got, want)
	}
}

// TestState_sameFileTwice: S3 and Lambda deliver at least once. The second delivery of a file
// neither counts again nor sends again, for threshold windows and per-file alerts alike.
func TestState_sameFileTwice(t *testing.T) {
	st := newStateStack(t)
	recs := append(fixtureRecords(t), signinFailures(t, "185.220.101.45", "x", "06:10", "07:20")...)
	f := st.put(t, "1010", recs...)

	first := st.invokeOK(t, s3Event(f))
	// 12 rules alert per file; cis-3.6 reaches its threshold, cis-3.1's refusals (one by a role,
	// two by alice) do not.
	if first.Alerts != 13 || first.Duplicates != 0 {
		t.Fatalf("first delivery: %+v, want 12 per-file alerts and the cis-3.6 window", first)
	}
	second := st.invokeOK(t, s3Event(f))
	if second.Alerts != 0 || second.Duplicates != 13 || second.Matches != first.Matches {
		t.Fatalf("second delivery: %+v, want nothing sent and 13 duplicates", second)
	}
	// The same object twice in one event, as an S3 event with repeated records may have it.
	if third := st.invokeOK(t, s3Event(f, f)); third.Alerts != 0 || third.Duplicates != 26 {
		t.Fatalf("twice in one event: %+v, want nothing sent", third)
	}
	alerts := st.collect(t)
	if len(alerts) != 13 {
		t.Fatalf("%d alerts delivered, want 13", len(alerts))
	}
	byRule(t, alerts)
	if n := st.windowCount(t, "cis-3.6", "10:05", "185.220.101.45"); n != 3 {
		t.Errorf("window count %d after three deliveries, want 3", n)
	}
	if n := st.windowCount(t, "cis-3.1", "10:00", "arn:aws:iam::111122223333:user/alice"); n != 2 {
		t.Errorf("cis-3.1 window count of alice %d after three deliveries, want 2", n)
	}
	dup := st.fn.Logs("alert already sent")
	if len(dup) != 13*3 || dup[0]["messageId"] == "" {
		t.Errorf("%d 'alert already sent' lines, want 39, the first naming the first message", len(dup))
	}
}

// TestState_parallelInvocations: four instances of the function run at once, two on each of
// two files of one window; each file alone reaches the threshold. Exactly one window alert and
// one alert per file and rule reach the topic, and each file is counted once.
func TestState_parallelInvocations(t *testing.T) {
	st := newStateStack(t)
	const ip = "203.0.113.9"
	a := st.put(t, "1020", append(signinFailures(t, ip, "a", "16:00", "16:01", "16:02"), fixtureRecords(t)[11])...) // + StopLogging
	b := st.put(t, "1021", signinFailures(t, ip, "b", "17:00", "17:01", "17:02")...)
	fns := []*localaws.Function{st.fn, st.another(t), st.another(t), st.another(t)}
	for _, fn := range fns {
		<-fn.API.Ready()
	}
	refs := []objectRef{a, a, b, b}
	results := make([]localaws.Result, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { results[i] = fn.Invoke(t, s3Event(refs[i]), invokeLimit) })
	}
	wg.Wait()
	alerts, dups := 0, 0
	for i, res := range results {
		if res.ErrorType != "" || res.TimedOut {
			t.Fatalf("invocation %d failed: %s %s", i, res.ErrorType, res.Payload)
		}
		var sum detector.Summary
		if err := json.Unmarshal(res.Payload, &sum); err != nil {
			t.Fatal(err)
		}
		alerts += sum.Alerts
		dups += sum.Duplicates
	}
	delivered := st.collect(t)
	if got := ruleCounts(delivered); len(delivered) != 2 || got["cis-3.6"] == 0 || got["cis-3.5"] != 1 || alerts != 2 {
		t.Fatalf("%d alerts delivered (%v), summaries say %d; want one cis-3.6 and one cis-3.5", len(delivered), got, alerts)
	}
	// Each file's second delivery is a duplicate for the window, unless it was the one to send
	// that; the first file's is for cis-3.5 too.
	if dups != 2 && dups != 3 {
		t.Errorf("%d duplicates reported, want 2 or 3", dups)
	}
	if n := st.windowCount(t, "cis-3.6", "10:15", ip); n != 6 {
		t.Errorf("window count %d, want 6: each file once", n)
	}
}

// TestState_tableUnavailable: when DynamoDB fails, the invocation fails before anything is
// published, so that Lambda's retries and the failure destination keep the event; once the table
// answers again, the retry sends every alert once.
func TestState_tableUnavailable(t *testing.T) {
	st := newStateStack(t)
	f := st.put(t, "1010", append(accessDenied(t, 1), signinFailures(t, "203.0.113.9", "x", "06:00", "06:01", "06:02")...)...)
	st.ddb.Fail("", 500, "InternalServerError")
	res := st.invoke(t, s3Event(f))
	if res.ErrorType != "Unhandled" || !strings.Contains(string(res.Payload), "InternalServerError") {
		t.Fatalf("result %s %s, want a function error from DynamoDB", res.ErrorType, res.Payload)
	}
	if n := len(st.sns.Published()); n != 0 {
		t.Fatalf("%d alerts published while the table was unavailable, want none", n)
	}
	calls := 0
	for op, n := range st.ddb.Calls() {
		if op != "CreateTable" { // the test's own
			calls += n
		}
	}
	if calls != 3 {
		t.Errorf("%d DynamoDB requests %v, want the SDK's 3 attempts of the first and then the invocation to stop", calls, st.ddb.Calls())
	}
	st.ddb.Heal()
	if sum := st.invokeOK(t, s3Event(f)); sum.Alerts != 1 {
		t.Errorf("retry: %+v, want the cis-3.6 alert (cis-3.1's one refusal is under its threshold)", sum)
	}
	if alerts := st.collect(t); len(alerts) != 1 || alerts[0].doc.Rule.ID != "cis-3.6" {
		t.Errorf("%d alerts after the retry, want cis-3.6 once", len(alerts))
	}
}

// TestState_tableMissing: a wrong STATE_TABLE_NAME fails every invocation with DynamoDB's word
// for it, instead of silently alerting without state.
func TestState_tableMissing(t *testing.T) {
	st := newStateStack(t, "STATE_TABLE_NAME=no-such-table")
	f := st.put(t, "1010", fixtureRecords(t)[11])
	res := st.invoke(t, s3Event(f))
	if res.ErrorType != "Unhandled" || !strings.Contains(string(res.Payload), "ResourceNotFoundException") {
		t.Fatalf("result %s %s, want ResourceNotFoundException", res.ErrorType, res.Payload)
	}
}

// TestState_publishFailureRetried: SNS fails after the claim; the claim is released, so Lambda's
// retry sends the alert, and a further delivery does not.
func TestState_publishFailureRetried(t *testing.T) {
	st := newStateStack(t)
	f := st.put(t, "1010", fixtureRecords(t)[11]) // StopLogging: cis-3.5
	st.sns.FailPublishesAfter(0)
	if res := st.invoke(t, s3Event(f)); res.ErrorType == "" {
		t.Fatalf("invocation succeeded during an SNS outage: %s", res.Payload)
	}
	st.sns.HealPublishes()
	start := time.Now()
	if sum := st.invokeOK(t, s3Event(f)); sum.Alerts != 1 || sum.Duplicates != 0 {
		t.Fatalf("retry: %+v, want the alert sent", sum)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("retry took %v: the claim was not released", waited)
	}
	if sum := st.invokeOK(t, s3Event(f)); sum.Alerts != 0 || sum.Duplicates != 1 {
		t.Fatalf("redelivery: %+v, want a duplicate", sum)
	}
	if alerts := st.collect(t); len(alerts) != 1 || alerts[0].doc.Rule.ID != "cis-3.5" {
		t.Errorf("%d alerts, want cis-3.5 once", len(alerts))
	}
}

// TestState_noiseControl: cis-3.1 with {count: 10, window: 5m, groupBy: [userIdentity.arn]}:
// a principal refused five times in each of three files is one alert, not three.
func TestState_noiseControl(t *testing.T) {
	st := newStateStack(t)
	var refs []objectRef
	for i, hhmm := range []string{"1020", "1021", "1022"} {
		at := make([]string, 5)
		for j := range at {
			at[j] = fmt.Sprintf("2%d:%02d", i, j*10)
		}
		refs = append(refs, st.put(t, hhmm, refusals(t, fmt.Sprintf("f%d", i), at...)...))
	}
	sum := st.invokeOK(t, s3Event(refs...))
	if sum.Alerts != 1 || sum.Matches != 15 {
		t.Fatalf("summary %+v, want 15 refusals and one alert", sum)
	}
	d := st.collect(t)[0].doc
	if d.Rule.ID != "cis-3.1" || d.MatchCount != 10 || len(d.Events) != 10 || d.Object.Key != refs[1].key {
		t.Errorf("alert %s count %d, %d events, file %s; want cis-3.1 at 10 from the second file", d.Rule.ID, d.MatchCount, len(d.Events), d.Object.Key)
	}
}

// TestState_withoutTable: without STATE_TABLE_NAME the function warns at start-up and counts
// thresholds within each file.
func TestState_withoutTable(t *testing.T) {
	st := newStack(t, "RULES_DIR="+thresholdRulesDir(t))
	const ip = "203.0.113.9"
	body := func(recs []json.RawMessage) ([]byte, int64) {
		b := gzipBytes(t, trailFile(t, recs))
		return b, int64(len(b))
	}
	two, n2 := body(signinFailures(t, ip, "a", "16:00", "16:01"))
	three, n3 := body(signinFailures(t, ip, "b", "17:00", "17:01", "17:02"))
	st.s3.Put(t, testBucket, logKey, two)
	st.s3.Put(t, testBucket, logKey2, three)
	if sum := st.invokeOK(t, s3Event(objectRef{logKey, n2}, objectRef{logKey2, n3})); sum.Alerts != 1 {
		t.Fatalf("summary %+v, want the second file's own alert only", sum)
	}
	got := st.collect(t)[0]
	if d := got.doc; d.MatchCount != 3 || eventIDs(d) != "b-0 b-1 b-2" {
		t.Errorf("alert count %d events %q, want the second file's three", d.MatchCount, eventIDs(d))
	}
	if line := "\nThreshold: 3 matches from sourceIPAddress=" + ip + " in the 5-minute window 2026-11-24 10:15–10:20 UTC (threshold 3).\n"; !strings.Contains(got.email, line) {
		t.Errorf("e-mail lacks %q:\n%s", line, got.email)
	}
	warn := st.fn.Logs("STATE_TABLE_NAME is not set: thresholds count within one log file only, and a log file delivered twice is alerted twice")
	if len(warn) != 1 || warn[0]["level"] != "WARN" {
		t.Errorf("start-up warnings %v, want one", warn)
	}
}
