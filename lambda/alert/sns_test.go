package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// decodeSNS checks that msg is a MessageStructure=json document and returns
// its parts, the default part decoded as an alert.
func decodeSNS(t *testing.T, msg string) (doc map[string]string, a Alert) {
	t.Helper()
	if err := json.Unmarshal([]byte(msg), &doc); err != nil {
		t.Fatalf("message is not a JSON object of strings: %v", err)
	}
	for _, key := range []string{"default", "email", "sms"} {
		if doc[key] == "" {
			t.Fatalf("message lacks %q", key)
		}
	}
	if err := json.Unmarshal([]byte(doc["default"]), &a); err != nil {
		t.Fatalf("default is not an alert document: %v", err)
	}
	return doc, a
}

func TestSNSMessage_fitsUntouched(t *testing.T) {
	a := New(cis310, Object{Key: "sg.json"}, 2, readRecords(t, "sg-change.json"))
	msg, err := a.SNSMessage(SNSMessageLimit)
	if err != nil {
		t.Fatal(err)
	}
	doc, back := decodeSNS(t, msg)
	if sent, _, _ := a.FitSNS(SNSMessageLimit); sent != a {
		t.Error("FitSNS returned a copy of an alert that fits")
	}
	body, _ := a.JSON()
	if doc["default"] != string(body) || doc["email"] != a.Text() || doc["sms"] != a.Subject() {
		t.Error("an alert that fits is not sent as rendered")
	}
	if back.Truncated || len(back.Events) != 2 {
		t.Errorf("truncated %v with %d events, want all 2 events", back.Truncated, len(back.Events))
	}
}

func TestSNSMessage_trimsHugeEventList(t *testing.T) {
	hostile := hostileRecord(t)
	raws := make([][]byte, 1000)
	for i := range raws {
		raws[i] = edit(t, hostile, map[string]any{"eventID": fmt.Sprintf("id-%05d", i)})
	}
	a := New(cis33, Object{Bucket: "b", Key: "AWSLogs/123456789012/CloudTrail/us-east-1/2024/08/02/f.json.gz"}, 100000, raws)
	if len(a.Events) != len(raws) {
		t.Fatalf("New kept %d of %d events", len(a.Events), len(raws))
	}
	for _, limit := range []int{SNSMessageLimit, MaxSNSMessage, 64 * 1024, 20000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			msg, err := a.SNSMessage(limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(msg) > limit {
				t.Fatalf("message is %d bytes, limit %d", len(msg), limit)
			}
			doc, back := decodeSNS(t, msg)
			if !back.Truncated || back.MatchCount != 100000 || len(back.Events) == 0 || len(back.Events) >= len(raws) {
				t.Errorf("truncated %v, matchCount %d, %d events: want truncated, 100000, some but not all events",
					back.Truncated, back.MatchCount, len(back.Events))
			}
			hidden := fmt.Sprintf("%d more matching events are not shown.", 100000-len(back.Events))
			if !strings.Contains(doc["email"], hidden) {
				t.Errorf("e-mail does not say %q", hidden)
			}
			sent, same, err := a.FitSNS(limit)
			if err != nil || same != msg || len(sent.Events) != len(back.Events) || !sent.Truncated {
				t.Errorf("FitSNS(%d) = %d events, truncated %v, same message %v, %v; want the %d events SNSMessage sent",
					limit, len(sent.Events), sent.Truncated, same == msg, err, len(back.Events))
			}
			// One more event must not have fitted.
			bigger, _ := a.withEvents(len(back.Events) + 1).snsDocument()
			if len(bigger) <= limit {
				t.Errorf("kept %d events, but %d fit in %d bytes", len(back.Events), len(back.Events)+1, limit)
			}
		})
	}
	if len(a.Events) != len(raws) || a.Truncated != true {
		t.Errorf("SNSMessage changed the alert: %d events", len(a.Events))
	}
}

func TestSNSMessage_tooSmall(t *testing.T) {
	a := New(cis33, Object{}, 1, readRecords(t, "root-console-login.json"))
	if msg, err := a.SNSMessage(200); err == nil {
		t.Errorf("SNSMessage(200) = %d bytes, want an error", len(msg))
	}
}
