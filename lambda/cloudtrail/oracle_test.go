package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// oracleRecords reads a decompressed stream with encoding/json, following
// the Reader's rules for what a record is. It is the reference the Reader is
// compared with, and it fails on anything that is not valid JSON throughout.
func oracleRecords(data []byte) ([][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
	var out [][]byte
	for {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		switch v[0] {
		case '{':
			members, err := oracleMembers(v)
			if err != nil {
				return out, err
			}
			if len(members) > 0 && members[0].key == `"Records"` && members[0].value[0] == '[' {
				elems, err := oracleObjects(members[0].value)
				if err != nil {
					return out, err
				}
				out = append(out, elems...)
				continue
			}
			out = append(out, oracleUnwrap(v, members))
		case '[':
			elems, err := oracleObjects(v)
			if err != nil {
				return out, err
			}
			for _, e := range elems {
				members, err := oracleMembers(e)
				if err != nil {
					return out, err
				}
				out = append(out, oracleUnwrap(e, members))
			}
		default:
			return out, fmt.Errorf("top-level %s", v)
		}
	}
}

type oracleMember struct {
	key   string // raw, with its quotes and escapes as written
	value json.RawMessage
}

// oracleMembers lists the members of a JSON object with their keys as written.
func oracleMembers(obj []byte) ([]oracleMember, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []oracleMember
	for dec.More() {
		start := dec.InputOffset()
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		key := strings.TrimLeft(string(obj[start:dec.InputOffset()]), " \t\r\n,")
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		out = append(out, oracleMember{key, value})
	}
	return out, nil
}

func oracleObjects(array []byte) ([][]byte, error) {
	var elems []json.RawMessage
	if err := json.Unmarshal(array, &elems); err != nil {
		return nil, err
	}
	out := make([][]byte, len(elems))
	for i, e := range elems {
		if e[0] != '{' {
			return nil, errors.New("array element is not an object")
		}
		out[i] = e
	}
	return out, nil
}

func oracleUnwrap(obj []byte, members []oracleMember) []byte {
	var detail []byte
	hasType := false
	for _, m := range members {
		switch m.key {
		case `"detail-type"`:
			hasType = true
		case `"detail"`:
			if m.value[0] == '{' {
				detail = m.value
			}
		}
	}
	if hasType && detail != nil {
		return detail
	}
	return obj
}

// checkStructure verifies, one byte at a time and independently of the
// Reader's scanner, what the Reader promises of every record: it is one
// object from its first byte to its last; outside strings brackets nest
// and match, and there is nothing but whitespace, ':', ',' and the
// characters of numbers and true/false/null; every string is terminated.
func checkStructure(rec []byte) error {
	if len(rec) < 2 || rec[0] != '{' {
		return errors.New("does not start with '{'")
	}
	var stack []byte
	inStr, esc := false, false
	for i, c := range rec {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 || (stack[len(stack)-1] == '{') != (c == '}') {
				return fmt.Errorf("unmatched %q at %d", c, i)
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 && i != len(rec)-1 {
				return fmt.Errorf("object ends at %d of %d", i, len(rec))
			}
		default:
			if !strings.ContainsRune(" \t\r\n:,0123456789+-.eEtrufalsn", rune(c)) {
				return fmt.Errorf("byte %q outside a string at %d", c, i)
			}
		}
	}
	if inStr || len(stack) != 0 {
		return errors.New("unterminated")
	}
	return nil
}
