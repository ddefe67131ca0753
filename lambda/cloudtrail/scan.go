package cloudtrail

import (
	"bytes"
	"fmt"

	"github.com/trailwatch/trailwatch/lambda/internal/jsonbytes"
)

// scanState finds the end of one JSON string, object or array. It can be
// resumed when the value continues past the bytes seen so far, as long as
// it is given the same value start again with more bytes after it.
type scanState struct {
	pos   int    // offset from the value start where scanning resumes
	inStr bool   // pos is inside a string
	stack []byte // the open brackets
}

func (s *scanState) reset() {
	s.pos, s.inStr, s.stack = 0, false, s.stack[:0]
}

// run scans b, which starts with the value, from s.pos on. It returns the
// length of the value when its end is in b, or 0 when more bytes are needed.
//
// Strings are skipped with bytes.IndexByte for the closing quote, counting the
// backslashes before it to tell an escaped quote; outside strings a table
// lookup per byte checks brackets and rejects bytes that cannot occur there.
func (s *scanState) run(b []byte) (int, error) {
	i, inStr, stack := s.pos, s.inStr, s.stack
	for {
		if inStr {
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					s.pos, s.inStr, s.stack = len(b), true, stack
					return 0, nil
				}
				i += j
				if b[i-1] != '\\' || !escaped(b, i) {
					break
				}
				i++
			}
			i++
			inStr = false
			if len(stack) == 0 {
				return i, nil
			}
		}
		for i < len(b) {
			c := b[i]
			switch jsonbytes.Class[c] {
			case jsonbytes.Plain:
				i++
				continue
			case jsonbytes.Quote:
				inStr = true
			case jsonbytes.Open:
				if len(stack) == maxDepth {
					s.pos = i
					return 0, fmt.Errorf("%w: nesting deeper than %d", ErrSyntax, maxDepth)
				}
				stack = append(stack, c)
			case jsonbytes.Close:
				n := len(stack) - 1
				if n < 0 || stack[n]+2 != c { // '{'+2 == '}', '['+2 == ']'
					s.pos, s.stack = i, stack
					return 0, fmt.Errorf("%w: unmatched %q", ErrSyntax, rune(c))
				}
				stack = stack[:n]
				if n == 0 {
					s.stack = stack
					return i + 1, nil
				}
			default:
				s.pos = i
				return 0, fmt.Errorf("%w: unexpected %s outside a string", ErrSyntax, quoteByte(c))
			}
			i++
			if inStr {
				break
			}
		}
		if !inStr {
			s.pos, s.inStr, s.stack = len(b), false, stack
			return 0, nil
		}
	}
}

// escaped reports whether the quote at b[i] is escaped: preceded by an odd
// number of backslashes. The string's opening quote stops the count.
func escaped(b []byte, i int) bool {
	n := 0
	for i--; b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

var detailTypeKey = []byte(`"detail-type"`)

// unwrapEnvelope returns the "detail" object of an EventBridge envelope, or
// rec itself when rec is not one. rec has passed the structural scan.
func unwrapEnvelope(rec []byte) []byte {
	if !bytes.Contains(rec, detailTypeKey) {
		return rec
	}
	var detail []byte
	hasType := false
	for i := 1; ; {
		i = skipWS(rec, i)
		if i >= len(rec) || rec[i] != '"' {
			break
		}
		keyEnd := stringEnd(rec, i)
		if keyEnd < 0 {
			return rec
		}
		key := rec[i+1 : keyEnd-1]
		i = skipWS(rec, keyEnd)
		if i >= len(rec) || rec[i] != ':' {
			return rec
		}
		i = skipWS(rec, i+1)
		end := valueEnd(rec, i)
		if end < 0 {
			return rec
		}
		switch string(key) {
		case "detail-type":
			hasType = true
		case "detail":
			if rec[i] == '{' {
				detail = rec[i:end]
			}
		}
		i = skipWS(rec, end)
		if i >= len(rec) || rec[i] != ',' {
			break
		}
		i++
	}
	if hasType && detail != nil {
		return detail
	}
	return rec
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at b[i], or -1.
func stringEnd(b []byte, i int) int {
	for i++; ; i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		if b[i-1] != '\\' || !escaped(b, i) {
			return i + 1
		}
	}
}

// valueEnd returns the index after the JSON value starting at b[i], or -1.
// b is known to be structurally sound.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = stringEnd(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for i < len(b) && jsonbytes.Class[b[i]] == jsonbytes.Plain && b[i] != ',' && b[i] != ':' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	return i
}
