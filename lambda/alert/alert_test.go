package alert

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNew_accountAndRegion(t *testing.T) {
	raws := readRecords(t, "sg-change.json") // account 111122223333, eu-west-1
	tests := []struct {
		name                string
		obj                 Object
		wantAccount, region string
	}{
		{"from the CloudTrail key", Object{Bucket: "b", Key: "AWSLogs/999988887777/CloudTrail/ap-southeast-2/2024/09/10/999988887777_CloudTrail_ap-southeast-2_20240910T0815Z_abcdEFGH12345678.json.gz"}, "999988887777", "ap-southeast-2"},
		{"from an organization trail key", Object{Bucket: "b", Key: "AWSLogs/o-abc123defg/999988887777/CloudTrail/ap-southeast-2/2024/09/10/999988887777_CloudTrail_ap-southeast-2_20240910T0815Z_abcdEFGH12345678.json.gz"}, "999988887777", "ap-southeast-2"},
		{"from the first event for a local file", Object{Key: "testdata/sg.json"}, "111122223333", "eu-west-1"},
		{"from the first event without a key", Object{}, "111122223333", "eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(cis310, tt.obj, 2, raws)
			if a.Account != tt.wantAccount || a.Region != tt.region {
				t.Errorf("New(%q) account, region = %q, %q, want %q, %q", tt.obj.Key, a.Account, a.Region, tt.wantAccount, tt.region)
			}
		})
	}
}

func TestNew_counts(t *testing.T) {
	raws := stormRecords(t, 3)
	tests := []struct {
		name          string
		matchCount    int
		raws          [][]byte
		wantCount     int
		wantEvents    int
		wantTruncated bool
	}{
		{"all events kept", 3, raws, 3, 3, false},
		{"cut by the cap", 5000, raws, 5000, 3, true},
		{"count below the events is raised", 1, raws, 3, 3, false},
		{"unparseable record left out", 4, append([][]byte{[]byte(`not json`)}, raws...), 4, 3, true},
		{"no events", 0, nil, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(cis31, Object{}, tt.matchCount, tt.raws)
			if a.MatchCount != tt.wantCount || len(a.Events) != tt.wantEvents || a.Truncated != tt.wantTruncated {
				t.Errorf("matchCount, events, truncated = %d, %d, %v, want %d, %d, %v",
					a.MatchCount, len(a.Events), a.Truncated, tt.wantCount, tt.wantEvents, tt.wantTruncated)
			}
			if a.Events == nil {
				t.Error("Events is nil; JSON would say null instead of []")
			}
		})
	}
}

func TestNew_eventFields(t *testing.T) {
	a := New(cis310, Object{}, 2, readRecords(t, "sg-change.json"))
	got := a.Events[0]
	want := Event{
		EventID:            "0b5e6f0c-7d1a-4c1e-8a62-3b8f7f2a9d10",
		EventTime:          "2024-09-10T08:14:02Z",
		EventSource:        "ec2.amazonaws.com",
		EventName:          "AuthorizeSecurityGroupIngress",
		AWSRegion:          "eu-west-1",
		RecipientAccountID: "111122223333",
		SourceIPAddress:    "203.0.113.77",
		UserAgent:          got.UserAgent,
		Principal:          "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_NetworkAdmin_0123456789abcdef/jdoe@example.com",
		ConsoleURL:         "https://eu-west-1.console.aws.amazon.com/cloudtrail/home?region=eu-west-1#/events/0b5e6f0c-7d1a-4c1e-8a62-3b8f7f2a9d10",
		UserIdentityType:   "AssumedRole",
		SessionName:        "jdoe@example.com",
		AccessKeyID:        "ASIAEXAMPLEKEY123456",
		MFAUsed:            "yes",
		ReadOnly:           false,
		RequestParameters: Params{
			{"groupId", "sg-0a1b2c3d4e5f60718"},
			{"ipPermissions", "tcp port 22 from 0.0.0.0/0, ::/0; all from sg-0fedcba9876543210"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("event:\n%s\nwant:\n%s", g, w)
	}
	if !strings.HasPrefix(got.UserAgent, "aws-cli/2.17.20") || len([]rune(got.UserAgent)) > maxAgent {
		t.Errorf("user agent %q: want the CLI's, at most %d runes", got.UserAgent, maxAgent)
	}
}

func TestOperational(t *testing.T) {
	obj := Object{Bucket: "b", Key: "AWSLogs/123456789012/CloudTrail/us-west-2/2024/01/01/123456789012_CloudTrail_us-west-2_20240101T0000Z_abcdEFGH12345678.json.gz"}
	for _, id := range []string{"missing-log-file", "trailwatch/missing-log-file"} {
		a := Operational(id, "Log file could not be fetched", "HIGH", obj, "get s3://b/k: AccessDenied\nsecond line")
		if a.Rule.ID != "trailwatch/missing-log-file" {
			t.Errorf("Operational(%q) rule id = %q, want trailwatch/missing-log-file", id, a.Rule.ID)
		}
		if !a.IsOperational() || a.Rule.Severity != "high" || a.Rule.Description == "" {
			t.Errorf("Operational(%q) = operational %v, severity %q, description %q", id, a.IsOperational(), a.Rule.Severity, a.Rule.Description)
		}
		if a.Account != "123456789012" || a.Region != "us-west-2" || a.RecordsRead != nil || a.Events == nil {
			t.Errorf("Operational(%q) = account %q, region %q, recordsRead %v, events %v", id, a.Account, a.Region, a.RecordsRead, a.Events)
		}
	}
	a := Operational("unreadable-log-file", "t", "high", obj, "x").WithRecordsRead(0)
	doc, err := a.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `"recordsRead":0`) || !strings.Contains(string(doc), `"events":[]`) {
		t.Errorf("JSON() = %s, want recordsRead 0 and an empty events list", doc)
	}
	if New(cis33, obj, 0, nil).IsOperational() {
		t.Error("a CIS alert reports itself as operational")
	}
}

func TestJSON_schema(t *testing.T) {
	a := New(cis33, Object{Bucket: "b", Key: "k"}, 1, readRecords(t, "root-console-login.json"))
	doc, err := a.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema", "rule", "account", "region", "object", "matchCount", "truncated", "events"} {
		if _, ok := m[key]; !ok {
			t.Errorf("JSON() lacks %q", key)
		}
	}
	if m["schema"] != Schema {
		t.Errorf("schema = %v, want %s", m["schema"], Schema)
	}
	rule := m["rule"].(map[string]any)
	for _, key := range []string{"id", "title", "severity", "controls"} {
		if _, ok := rule[key]; !ok {
			t.Errorf("rule lacks %q", key)
		}
	}
	obj := m["object"].(map[string]any)
	if obj["bucket"] != "b" || obj["key"] != "k" {
		t.Errorf("object = %v", obj)
	}
	ev := m["events"].([]any)[0].(map[string]any)
	for _, key := range []string{"eventID", "eventTime", "eventSource", "eventName", "awsRegion", "recipientAccountId",
		"sourceIPAddress", "userAgent", "principal", "errorCode", "errorMessage", "consoleURL"} {
		if _, ok := ev[key]; !ok {
			t.Errorf("event lacks %q", key)
		}
	}
	if _, ok := m["generatedAt"]; ok {
		t.Error("JSON() has generatedAt; output must be deterministic")
	}

	var back Alert
	if err := json.Unmarshal(doc, &back); err != nil {
		t.Fatalf("the document does not read back into an Alert: %v", err)
	}
	again, err := back.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(doc) {
		t.Errorf("round trip changed the document:\n%s\n%s", doc, again)
	}
}

func TestConsoleURL(t *testing.T) {
	const id = "865d9377-9c6b-4fd7-8aad-725e95f6a140"
	tests := []struct{ region, id, want string }{
		{"us-east-1", id, "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/" + id},
		{"eu-central-2", id, "https://eu-central-2.console.aws.amazon.com/cloudtrail/home?region=eu-central-2#/events/" + id},
		{"cn-north-1", id, "https://console.amazonaws.cn/cloudtrail/home?region=cn-north-1#/events/" + id},
		{"cn-northwest-1", id, "https://console.amazonaws.cn/cloudtrail/home?region=cn-northwest-1#/events/" + id},
		{"us-gov-west-1", id, "https://console.amazonaws-us-gov.com/cloudtrail/home?region=us-gov-west-1#/events/" + id},
		{"us-iso-east-1", id, ""},
		{"us-isob-east-1", id, ""},
		{"", id, ""},
		{"us-east-1", "", ""},
		{"evil.example/x?", id, ""},
		{"US-EAST-1", id, ""},
		{"us-east-1", "a b#c/d?e", "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/a%20b%23c%2Fd%3Fe"},
	}
	for _, tt := range tests {
		if got := ConsoleURL(tt.region, tt.id); got != tt.want {
			t.Errorf("ConsoleURL(%q, %q) = %q, want %q", tt.region, tt.id, got, tt.want)
		}
	}
}

func TestSubject(t *testing.T) {
	long := "Changes to network gateways, route tables, network access control lists and virtual private clouds"
	tests := []struct {
		name string
		a    Alert
		want string
	}{
		{"one event", Alert{Rule: cis33, Account: "123456789012", Region: "us-east-1", MatchCount: 1},
			"[HIGH] cis-3.3 Root account used - 123456789012 us-east-1"},
		{"several events", Alert{Rule: cis33, Account: "123456789012", Region: "us-east-1", MatchCount: 3},
			"[HIGH] cis-3.3 Root account used - 123456789012 us-east-1 (3 events)"},
		{"long title cut at a word", Alert{Rule: Rule{ID: "cis-3.12", Title: long, Severity: "low"}, Account: "123456789012", Region: "ap-southeast-2", MatchCount: 12345},
			"[LOW] cis-3.12 Changes to network gateways, route... - 123456789012 ap-southeast-2 (12345 events)"},
		{"non-ASCII replaced", Alert{Rule: Rule{ID: "cis-3.3", Title: "Root\u202e used – ünusual\r\nBcc: x", Severity: "critical"}, Account: "1", Region: "eu-west-1", MatchCount: 1},
			"[CRITICAL] cis-3.3 Root? used ? ?nusual Bcc: x - 1 eu-west-1"},
		{"no severity, account or region", Alert{Rule: Rule{ID: "x", Title: "T"}},
			"[ALERT] x T"},
		{"threshold window", Alert{Rule: cis36, Account: "123456789012", Region: "us-east-1", MatchCount: 3, Threshold: &Threshold{Window: 5 * time.Minute, Observed: 3}},
			"[MEDIUM] cis-3.6 Console authentication failures - 123456789012 us-east-1 (3 events in 5m)"},
		{"threshold of one", Alert{Rule: cis33, Account: "123456789012", Region: "us-east-1", MatchCount: 1, Threshold: &Threshold{Window: time.Hour, Observed: 1}},
			"[HIGH] cis-3.3 Root account used - 123456789012 us-east-1 (1 event in 1h)"},
		{"window left out rather than cut a title that fits without it",
			Alert{Rule: Rule{ID: "cis-3.12", Title: "Changes to network gateways and routes", Severity: "low"}, Account: "123456789012", Region: "ap-southeast-2", MatchCount: 3,
				Threshold: &Threshold{Window: 90 * time.Minute, Observed: 3}},
			"[LOW] cis-3.12 Changes to network gateways and routes - 123456789012 ap-southeast-2 (3 events)"},
		{"window kept when the title is cut anyway", Alert{Rule: Rule{ID: "cis-3.12", Title: long, Severity: "low"}, Account: "123456789012", Region: "ap-southeast-2", MatchCount: 12,
			Threshold: &Threshold{Window: 5 * time.Minute, Observed: 12}},
			"[LOW] cis-3.12 Changes to network gateways,... - 123456789012 ap-southeast-2 (12 events in 5m)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Subject(); got != tt.want {
				t.Errorf("Subject() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestText_cleansAlertsBuiltByHand(t *testing.T) {
	const evil = "x\x1b[31m\u202e\r\nForged: line\x00"
	a := &Alert{
		Rule:    Rule{ID: evil, Title: evil, Severity: evil, Description: evil, File: evil, Controls: map[string][]string{evil: {evil}}},
		Account: evil, Region: evil, Object: Object{Bucket: evil, Key: evil}, Detail: evil, MatchCount: 3,
		Events: []Event{{EventID: evil, EventName: evil, UserAgent: evil + strings.Repeat("A", 5000), Principal: evil,
			ConsoleURL: evil, RequestParameters: Params{{evil, evil}}}},
	}
	text := a.Text()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "Forged") {
			t.Errorf("Text() lets a value start a line of its own: %q", line)
		}
		if len([]rune(line)) > 600 {
			t.Errorf("Text() has a %d-rune line", len([]rune(line)))
		}
	}
	for _, r := range text {
		if r != '\n' && unsafeRune(r) {
			t.Fatalf("Text() holds %U", r)
		}
	}
}
