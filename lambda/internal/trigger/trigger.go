// Package trigger extracts the S3 objects named by the events that invoke the detector: S3 event
// notifications, the same wrapped in SQS messages or SNS notifications (or both), and EventBridge
// "Object Created" events.
package trigger

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// maxDepth bounds how deeply envelopes may nest (SQS → SNS → S3 is three).
const maxDepth = 4

// Object is one S3 object that an event says was created.
type Object struct {
	Bucket    string
	Key       string // decoded: the key to ask S3 for
	RawKey    string // as the event spelled it
	Size      int64  // object size in bytes; -1 when the event does not say
	Source    string // the envelopes it came through, outermost first: "s3", "sqs/s3", "sqs/sns/s3", "eventbridge"
	MessageID string // the innermost SQS or SNS message id that carried it, if any
}

// Ignored is an event, or a record of one, that names no created object: an S3 test event, a
// deletion, an EventBridge event of another type.
type Ignored struct {
	Source string
	Reason string
}

// Event is what one invocation payload asks for.
type Event struct {
	Objects []Object
	Ignored []Ignored
}

// ErrUnrecognized is returned (wrapped) for a payload of no supported shape.
var ErrUnrecognized = errors.New("unrecognized event")

// Parse decodes an invocation payload. An error means the payload (or a message inside it) has a
// shape this function does not handle; such an invocation must fail so that the event is kept.
func Parse(payload []byte) (Event, error) {
	var ev Event
	if err := parse(payload, "", "", 0, &ev); err != nil {
		return Event{}, err
	}
	return ev, nil
}

type envelope struct {
	Records    []record        `json:"Records"`
	DetailType *string         `json:"detail-type"`
	Source     string          `json:"source"`
	Detail     json.RawMessage `json:"detail"`
	Event      string          `json:"Event"`   // "s3:TestEvent"
	Type       string          `json:"Type"`    // SNS envelope: "Notification"
	Message    *string         `json:"Message"` // SNS envelope
	MessageID  string          `json:"MessageId"`
}

type record struct {
	EventName string    `json:"eventName"`
	S3        *s3Entity `json:"s3"`
	Body      *string   `json:"body"`      // SQS
	MessageID string    `json:"messageId"` // SQS
	SNS       *struct {
		MessageID string `json:"MessageId"`
		Message   string `json:"Message"`
	} `json:"Sns"`
}

type s3Entity struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key  *string `json:"key"`
		Size *int64  `json:"size"`
	} `json:"object"`
}

type eventBridgeDetail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key  *string `json:"key"`
		Size *int64  `json:"size"`
	} `json:"object"`
}

func parse(payload []byte, source, messageID string, depth int, ev *Event) error {
	if depth >= maxDepth {
		return fmt.Errorf("%w: envelopes nested deeper than %d (%s)", ErrUnrecognized, maxDepth, source)
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return fmt.Errorf("%w: %s payload is not a JSON object: %w", ErrUnrecognized, orTop(source), err)
	}
	switch {
	case env.Records != nil:
		for i, r := range env.Records {
			if err := parseRecord(r, source, messageID, depth, ev); err != nil {
				return fmt.Errorf("record %d: %w", i, err)
			}
		}
		return nil
	case env.DetailType != nil:
		return parseEventBridge(env, join(source, "eventbridge"), messageID, ev)
	case env.Event == "s3:TestEvent":
		ev.Ignored = append(ev.Ignored, Ignored{Source: join(source, "s3"), Reason: "S3 test event"})
		return nil
	case env.Type == "Notification" && env.Message != nil:
		return parse([]byte(*env.Message), join(source, "sns"), env.MessageID, depth+1, ev)
	}
	return fmt.Errorf("%w: %s payload has no Records, detail-type or SNS Message", ErrUnrecognized, orTop(source))
}

func parseRecord(r record, source, messageID string, depth int, ev *Event) error {
	switch {
	case r.S3 != nil:
		src := join(source, "s3")
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			ev.Ignored = append(ev.Ignored, Ignored{Source: src, Reason: fmt.Sprintf("event %q is not an object creation", r.EventName)})
			return nil
		}
		if r.S3.Bucket.Name == "" || r.S3.Object.Key == nil {
			return fmt.Errorf("%w: %s record without bucket name or object key", ErrUnrecognized, src)
		}
		ev.Objects = append(ev.Objects, newObject(r.S3.Bucket.Name, *r.S3.Object.Key, r.S3.Object.Size, src, messageID))
		return nil
	case r.Body != nil:
		return parse([]byte(*r.Body), join(source, "sqs"), r.MessageID, depth+1, ev)
	case r.SNS != nil:
		return parse([]byte(r.SNS.Message), join(source, "sns"), r.SNS.MessageID, depth+1, ev)
	}
	return fmt.Errorf("%w: %s record is neither S3, SQS nor SNS", ErrUnrecognized, orTop(source))
}

func parseEventBridge(env envelope, source, messageID string, ev *Event) error {
	if *env.DetailType != "Object Created" || env.Source != "aws.s3" {
		ev.Ignored = append(ev.Ignored, Ignored{Source: source, Reason: fmt.Sprintf("%s event %q is not an S3 object creation", env.Source, *env.DetailType)})
		return nil
	}
	var d eventBridgeDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return fmt.Errorf("%w: %s detail: %w", ErrUnrecognized, source, err)
	}
	if d.Bucket.Name == "" || d.Object.Key == nil {
		return fmt.Errorf("%w: %s detail without bucket name or object key", ErrUnrecognized, source)
	}
	ev.Objects = append(ev.Objects, newObject(d.Bucket.Name, *d.Object.Key, d.Object.Size, source, messageID))
	return nil
}

// newObject decodes the key. S3 writes keys in events form-encoded ("red flower+1.json" arrives as
// "red+flower%2B1.json"); EventBridge does the same. A key that does not decode is used verbatim.
func newObject(bucket, rawKey string, size *int64, source, messageID string) Object {
	key, err := DecodeKey(rawKey)
	if err != nil {
		key = rawKey
	}
	o := Object{Bucket: bucket, Key: key, RawKey: rawKey, Size: -1, Source: source, MessageID: messageID}
	if size != nil && *size >= 0 {
		o.Size = *size
	}
	return o
}

// DecodeKey turns an event's form-encoded object key into the S3 key: '+' is a space, then
// percent-escapes are decoded.
func DecodeKey(raw string) (string, error) {
	key, err := url.QueryUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("decode object key %q: %w", raw, err)
	}
	return key, nil
}

func join(outer, inner string) string {
	if outer == "" {
		return inner
	}
	return outer + "/" + inner
}

func orTop(source string) string {
	if source == "" {
		return "invocation"
	}
	return source
}
