package explain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// object is a decoded JSON object that keeps its members in document order.
// A repeated key keeps its first position and its last value, as the
// engine reads the last occurrence.
type object struct {
	names  []string
	values map[string]any
}

// ErrNotObject is returned (wrapped) for a record that is not one JSON
// object; no pattern matches such a record.
var ErrNotObject = errors.New("record is not a JSON object")

// decode reads record into objects, []any, json.Number, string, bool and nil.
func decode(record []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	if _, ok := v.(*object); !ok {
		return nil, fmt.Errorf("%w: it is %s", ErrNotObject, kindOf(v))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: more data after it", ErrNotObject)
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := &object{values: map[string]any{}}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name, _ := key.(string)
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			if _, dup := obj.values[name]; !dup {
				obj.names = append(obj.names, name)
			}
			obj.values[name] = v
		}
		_, err := dec.Token()
		return obj, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token()
		return arr, err
	}
	return tok, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "an object"
}

// selectValues returns what sel selects in doc, each rendered for display.
func selectValues(doc any, sel *filterpattern.Selector) []string {
	current := []any{doc}
	for _, seg := range sel.Segments {
		var next []any
		for _, v := range current {
			switch seg.Kind {
			case filterpattern.SegmentMember:
				if obj, ok := v.(*object); ok {
					if m, ok := obj.values[seg.Name]; ok {
						next = append(next, m)
					}
				}
			case filterpattern.SegmentAnyMember:
				if obj, ok := v.(*object); ok {
					for _, name := range obj.names {
						next = append(next, obj.values[name])
					}
				}
			case filterpattern.SegmentIndex:
				if arr, ok := v.([]any); ok && seg.Index < len(arr) {
					next = append(next, arr[seg.Index])
				}
			case filterpattern.SegmentAnyIndex:
				if arr, ok := v.([]any); ok {
					next = append(next, arr...)
				}
			}
		}
		current = next
	}
	out := make([]string, len(current))
	for i, v := range current {
		out[i] = render(v)
	}
	return out
}

// maxValue is the longest value shown, enough for most ARNs; longer ones
// are cut with "...".
const maxValue = 160

// render shows a selected value: strings quoted with every character that
// is not graphic escaped (a value cannot move the cursor or reorder a
// terminal line), numbers as written, objects and arrays in compact JSON.
func render(v any) string {
	var s string
	switch v := v.(type) {
	case string:
		s = strconv.QuoteToGraphic(v)
	case json.Number:
		s = v.String()
	case bool:
		s = strconv.FormatBool(v)
	case nil:
		s = "null"
	default:
		var b strings.Builder
		compact(&b, v)
		s = b.String()
	}
	if len(s) > maxValue {
		cut := maxValue - 3
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func compact(b *strings.Builder, v any) {
	switch v := v.(type) {
	case *object:
		b.WriteByte('{')
		for i, name := range v.names {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.QuoteToGraphic(name))
			b.WriteByte(':')
			compact(b, v.values[name])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			compact(b, e)
		}
		b.WriteByte(']')
	default:
		b.WriteString(render(v))
	}
}
