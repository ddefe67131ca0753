package trigger

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	bucket  = "trail-logs-123456789012"
	logKey  = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/24/123456789012_CloudTrail_us-east-1_20261124T1015Z_Ab12Cd34Ef56Gh78.json.gz"
	orgKey  = "AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/us-east-1/2026/11/24/123456789012_CloudTrail_us-east-1_20261124T1015Z_Ab12Cd34Ef56Gh78.json.gz"
	oddRaw  = "imports/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/24/copy+of+file%2B1+%28final%29.json.gz"
	oddKey  = "imports/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/24/copy of file+1 (final).json.gz"
	snsMsgA = "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
)

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sqsEvent wraps bodies as the SQS event source mapping delivers them.
func sqsEvent(t *testing.T, bodies ...string) string {
	t.Helper()
	type rec struct {
		MessageID   string `json:"messageId"`
		Body        string `json:"body"`
		EventSource string `json:"eventSource"`
	}
	var ev struct {
		Records []rec `json:"Records"`
	}
	for i, b := range bodies {
		ev.Records = append(ev.Records, rec{MessageID: "msg-" + string(rune('a'+i)), Body: b, EventSource: "aws:sqs"})
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// snsEnvelope wraps message as SNS delivers it to an SQS queue (raw delivery off).
func snsEnvelope(t *testing.T, message string) string {
	t.Helper()
	out, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": snsMsgA, "Message": message,
		"TopicArn": "arn:aws:sns:us-east-1:123456789012:trail-events",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// snsEvent wraps message as an SNS-triggered Lambda receives it.
func snsEvent(t *testing.T, message string) string {
	t.Helper()
	out, err := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0",
		"Sns": map[string]string{"Type": "Notification", "MessageId": snsMsgA, "Message": message},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestParse(t *testing.T) {
	s3Put := readFile(t, "s3-put.json")
	putObjects := func(source, msgID string) []Object {
		return []Object{
			{Bucket: bucket, Key: logKey, RawKey: logKey, Size: 2741, Source: source, MessageID: msgID},
			{Bucket: bucket, Key: oddKey, RawKey: oddRaw, Size: 0, Source: source, MessageID: msgID},
		}
	}
	tests := []struct {
		name    string
		payload string
		want    Event
	}{
		{
			name:    "S3 notification with two records",
			payload: s3Put,
			want:    Event{Objects: putObjects("s3", "")},
		},
		{
			name:    "SQS message carrying an S3 notification",
			payload: sqsEvent(t, s3Put),
			want:    Event{Objects: putObjects("sqs/s3", "msg-a")},
		},
		{
			name:    "SQS message carrying an SNS envelope carrying an S3 notification",
			payload: sqsEvent(t, snsEnvelope(t, s3Put)),
			want:    Event{Objects: putObjects("sqs/sns/s3", snsMsgA)},
		},
		{
			name:    "SNS notification carrying an S3 notification",
			payload: snsEvent(t, s3Put),
			want:    Event{Objects: putObjects("sns/s3", snsMsgA)},
		},
		{
			name:    "EventBridge Object Created",
			payload: readFile(t, "eventbridge.json"),
			want:    Event{Objects: []Object{{Bucket: bucket, Key: orgKey, RawKey: orgKey, Size: 2741, Source: "eventbridge"}}},
		},
		{
			name:    "EventBridge event in an SQS message",
			payload: sqsEvent(t, readFile(t, "eventbridge.json")),
			want:    Event{Objects: []Object{{Bucket: bucket, Key: orgKey, RawKey: orgKey, Size: 2741, Source: "sqs/eventbridge", MessageID: "msg-a"}}},
		},
		{
			name:    "S3 test event",
			payload: readFile(t, "s3-test-event.json"),
			want:    Event{Ignored: []Ignored{{Source: "s3", Reason: "S3 test event"}}},
		},
		{
			name:    "S3 test event and a notification in one SQS batch",
			payload: sqsEvent(t, readFile(t, "s3-test-event.json"), s3Put),
			want: Event{
				Objects: putObjects("sqs/s3", "msg-b"),
				Ignored: []Ignored{{Source: "sqs/s3", Reason: "S3 test event"}},
			},
		},
		{
			name:    "deletion",
			payload: readFile(t, "s3-delete.json"),
			want:    Event{Ignored: []Ignored{{Source: "s3", Reason: `event "ObjectRemoved:Delete" is not an object creation`}}},
		},
		{
			name:    "EventBridge Object Deleted",
			payload: readFile(t, "eventbridge-deleted.json"),
			want:    Event{Ignored: []Ignored{{Source: "eventbridge", Reason: `aws.s3 event "Object Deleted" is not an S3 object creation`}}},
		},
		{
			name:    "object without size",
			payload: `{"Records":[{"eventName":"ObjectCreated:Copy","s3":{"bucket":{"name":"b-1"},"object":{"key":"a%20b"}}}]}`,
			want:    Event{Objects: []Object{{Bucket: "b-1", Key: "a b", RawKey: "a%20b", Size: -1, Source: "s3"}}},
		},
		{
			name:    "undecodable key is used verbatim",
			payload: `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b-1"},"object":{"key":"100%","size":3}}}]}`,
			want:    Event{Objects: []Object{{Bucket: "b-1", Key: "100%", RawKey: "100%", Size: 3, Source: "s3"}}},
		},
		{
			name:    "empty batch",
			payload: `{"Records":[]}`,
			want:    Event{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.payload))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParse_errors(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"not JSON", `not json`, "unrecognized event: invocation payload is not a JSON object"},
		{"JSON array", `[1,2]`, "unrecognized event: invocation payload is not a JSON object"},
		{"unknown object", `{"hello":"world"}`, "unrecognized event: invocation payload has no Records, detail-type or SNS Message"},
		{"unknown record", `{"Records":[{"foo":1}]}`, "record 0: unrecognized event: invocation record is neither S3, SQS nor SNS"},
		{"SQS body not JSON", `{"Records":[{"messageId":"m","body":"hello"}]}`, "record 0: unrecognized event: sqs payload is not a JSON object"},
		{"S3 record without key", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b-1"},"object":{}}}]}`, "record 0: unrecognized event: s3 record without bucket name or object key"},
		{"EventBridge without key", `{"detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b-1"},"object":{}}}`, "unrecognized event: eventbridge detail without bucket name or object key"},
		{"nested too deep", nest(`{"Records":[]}`, 5), "envelopes nested deeper than 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.payload))
			if err == nil {
				t.Fatalf("Parse(%s) succeeded, want error containing %q", tt.payload, tt.want)
			}
			if !errors.Is(err, ErrUnrecognized) {
				t.Errorf("Parse error %v does not wrap ErrUnrecognized", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// nest wraps payload n times in SNS envelopes.
func nest(payload string, n int) string {
	for range n {
		b, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": payload})
		payload = string(b)
	}
	return payload
}

func TestDecodeKey(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/24/f.json.gz", "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/24/f.json.gz"},
		{"file+name%2Bx%25.json.gz", "file name+x%.json.gz"},
		{"a%3Ab%3Dc%26d", "a:b=c&d"},
		{"caf%C3%A9", "café"},
	}
	for _, tt := range tests {
		got, err := DecodeKey(tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("DecodeKey(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
	if _, err := DecodeKey("bad%zz"); err == nil {
		t.Error(`DecodeKey("bad%zz") succeeded, want error`)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"s3-put.json", "eventbridge.json", "s3-test-event.json", "s3-delete.json", "eventbridge-deleted.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add([]byte(nest(string(b), 2)))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := Parse(payload)
		if err != nil {
			if !errors.Is(err, ErrUnrecognized) {
				t.Fatalf("error %v does not wrap ErrUnrecognized", err)
			}
			return
		}
		for _, o := range ev.Objects {
			if o.Bucket == "" || o.Source == "" || o.Size < -1 {
				t.Fatalf("incomplete object %+v", o)
			}
			if want, err := DecodeKey(o.RawKey); err == nil && o.Key != want || err != nil && o.Key != o.RawKey {
				t.Fatalf("object key %q does not follow from raw key %q", o.Key, o.RawKey)
			}
		}
	})
}
