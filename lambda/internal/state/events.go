package state

import (
	"bytes"
	"cmp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// eventList stores events as a list of {t: eventTime, r: raw record}, in order, stopping before
// the one that would take the list past maxEventBytes; nil when none fits.
func eventList(events []Event) types.AttributeValue {
	list := make([]types.AttributeValue, 0, len(events))
	size := 0
	for _, e := range events {
		if size += len(e.Raw) + 40; size > maxEventBytes {
			break
		}
		list = append(list, &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"t": str(e.Time.UTC().Format(time.RFC3339Nano)),
			"r": str(string(e.Raw)),
		}})
	}
	if len(list) == 0 {
		return nil
	}
	return &types.AttributeValueMemberL{Value: list}
}

// decodeEvents reads what eventList wrote; entries of another shape are skipped.
func decodeEvents(v types.AttributeValue) []Event {
	list, ok := v.(*types.AttributeValueMemberL)
	if !ok {
		return nil
	}
	out := make([]Event, 0, len(list.Value))
	for _, entry := range list.Value {
		m, ok := entry.(*types.AttributeValueMemberM)
		if !ok {
			continue
		}
		raw := strAttr(m.Value, "r")
		at, err := time.Parse(time.RFC3339Nano, strAttr(m.Value, "t"))
		if raw == "" || err != nil {
			continue
		}
		out = append(out, Event{Time: at, Raw: []byte(raw)})
	}
	return out
}

// sortEvents orders events by time, then by content, so that every reader lists the same ones.
func sortEvents(events []Event) {
	slices.SortStableFunc(events, func(a, b Event) int {
		return cmp.Or(a.Time.Compare(b.Time), bytes.Compare(a.Raw, b.Raw))
	})
}
