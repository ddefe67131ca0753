package filterpattern

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/trailwatch/trailwatch/lambda/internal/jsonbytes"
)

// Doc holds what one record yields for a Program's selectors: for every
// selector path, the JSON values it selects (their kind and their raw
// bytes in the record). It is reusable scratch space; create one per
// goroutine with Program.NewDoc. A Doc is not safe for concurrent use.
type Doc struct {
	prog  *Program
	rec   []byte
	ok    bool      // the last Reset succeeded
	err   error     // the last Reset's error, while it runs
	caps  []capture // captured values, in record order
	head  []int32   // per slot: the latest capture, the others linked through capture.next; -1 if none
	keys  []keySeen // members captured in the objects being read, to resolve repeated keys
	kbuf  []byte    // unescaped keys
	text  []byte    // unescaped strings
	stack []byte    // open brackets while skipping a container
	hint  int       // the index in prog.patterns after the last one evaluated

	// Per slot, the literal id of its value (see Doc.literal), valid when
	// litGen equals gen, which each Reset advances.
	gen    uint32
	litGen []uint32
	litID  []int32
}

// RecordError reports a record that is not a well-formed JSON object.
// Subtrees that no selector reads are checked only for balanced brackets,
// terminated strings and the characters between them (those of numbers,
// literals, whitespace, ':' and ',').
type RecordError struct {
	Offset int // byte offset in the record
	Msg    string
	// Truncated is set when the data ended inside the object; Unwrap then
	// returns io.ErrUnexpectedEOF, so that a reader of a stream can tell
	// "read more bytes" from damage.
	Truncated bool
}

// Error returns "invalid JSON record at byte N: msg".
func (e *RecordError) Error() string {
	return fmt.Sprintf("invalid JSON record at byte %d: %s", e.Offset, e.Msg)
}

// Unwrap returns io.ErrUnexpectedEOF for a truncated record, else nil.
func (e *RecordError) Unwrap() error {
	if e.Truncated {
		return io.ErrUnexpectedEOF
	}
	return nil
}

type kind uint8

const (
	kindString kind = iota + 1
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindObject
	kindArray
)

const (
	capEscaped   = 1 << iota // the string contains backslash escapes
	capDead                  // superseded by a repeated key later in the same object
	capUnescaped             // ustart/uend hold the unescaped string
	capParsed                // num holds the number's value
)

// capture is one selected value.
type capture struct {
	start, end   int32 // string contents without the quotes, or the number as written
	ustart, uend int32 // the unescaped string in Doc.text
	next         int32 // the previous capture of the same slot, or -1
	kind         kind
	flags        uint8
	num          float64
}

// keySeen is a member of an object being read that led to captures. When
// the key occurs again in the same object, the later value wins (as in
// encoding/json and Jackson) and the captures of the earlier one are
// marked dead.
type keySeen struct {
	fp         uint64 // length and first bytes of the key, to compare fast
	start, end int32  // the key in the record, or in Doc.kbuf when inBuf
	inBuf      bool
	capStart   int32 // captures made for the member's value
	capEnd     int32
}

// Reset reads record, a JSON object, and captures the values the Program's
// selectors select. It descends only into members and elements some
// selector continues into and skips everything else. The record must stay
// unmodified until the next Reset. It returns a *RecordError if the record
// is not a JSON object or is malformed where it is read; Eval then reports
// no match.
func (d *Doc) Reset(record []byte) error {
	n, err := d.ResetPrefix(record)
	if err != nil {
		return err
	}
	if n = skipSpace(record, n); n < len(record) {
		d.ok = false
		return &RecordError{Offset: n, Msg: "unexpected data after the JSON object"}
	}
	return nil
}

// ResetPrefix is Reset for the JSON object at the start of data (after
// blanks): it returns the offset just past the object and does not look at
// what follows. A reader of concatenated records, or of a "Records" array,
// can thus find each record's end in the same pass that reads its values.
// When data ends inside the object the error is a *RecordError with
// Truncated set.
func (d *Doc) ResetPrefix(data []byte) (n int, err error) {
	d.rec = data
	d.ok = false
	d.err = nil
	d.caps = d.caps[:0]
	for i := range d.head {
		d.head[i] = -1
	}
	if d.gen++; d.gen == 0 {
		clear(d.litGen)
		d.gen = 1
	}
	d.keys = d.keys[:0]
	d.kbuf = d.kbuf[:0]
	d.text = d.text[:0]
	if len(data) >= math.MaxInt32 {
		// Offsets are kept in 32 bits; a record that does not end within
		// the first 2 GiB reads as truncated.
		d.rec = data[:math.MaxInt32-1]
	}
	i := skipSpace(d.rec, 0)
	if i >= len(d.rec) || d.rec[i] != '{' {
		return 0, &RecordError{Offset: i, Msg: "not a JSON object", Truncated: i >= len(d.rec)}
	}
	if i = d.object(i, d.prog.root); i < 0 {
		return 0, d.err
	}
	d.ok = true
	return i, nil
}

// release drops the reference to the last record.
func (d *Doc) release() {
	d.rec = nil
	d.ok = false
}

// fail records a syntax error at offset i and returns -1, which every
// reading function passes up.
func (d *Doc) fail(i int, msg string) int {
	if d.err == nil {
		d.err = &RecordError{Offset: i, Msg: msg, Truncated: i >= len(d.rec)}
	}
	return -1
}

// failString reports the problem scanString found at offset off in the
// string that starts at offset i.
func (d *Doc) failString(i, off int) int {
	b := d.rec
	switch {
	case off >= len(b) || b[off] == '\\' && (off+1 >= len(b) || b[off+1] == 'u' && off+6 > len(b)):
		return d.failTruncated(i, "unterminated string")
	case b[off] == '\\':
		return d.fail(off, "invalid escape in string")
	}
	return d.fail(off, "control character in string")
}

// failTruncated records that the data ended inside the string or value
// starting at offset i.
func (d *Doc) failTruncated(i int, msg string) int {
	if d.err == nil {
		d.err = &RecordError{Offset: i, Msg: msg, Truncated: true}
	}
	return -1
}

// failValue reports that no value starts at offset i: as truncated when
// the data ends inside what may be the start of a literal or a number.
func (d *Doc) failValue(i int) int {
	if rest := d.rec[i:]; len(rest) > 0 && (partialLiteral(rest) || partialNumber(rest)) {
		return d.failTruncated(i, "unexpected end of record in a value")
	}
	return d.failUnexpected(i, "where a value was expected")
}

// partialLiteral reports whether b is a proper prefix of true, false or null.
func partialLiteral(b []byte) bool {
	for _, lit := range []string{"true", "false", "null"} {
		if len(b) < len(lit) && lit[:len(b)] == string(b) {
			return true
		}
	}
	return false
}

// partialNumber reports whether b, all of it, is the start of a JSON number
// that needs more bytes: "-", "1.", "1e", "1e+".
func partialNumber(b []byte) bool {
	isDigit := func(i int) bool { return i < len(b) && b[i] >= '0' && b[i] <= '9' }
	i := 0
	if b[0] == '-' {
		i++
	}
	switch {
	case i == len(b):
		return true
	case b[i] == '0':
		i++
	case isDigit(i):
		for i++; isDigit(i); i++ {
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if i++; i == len(b) {
			return true
		}
		if !isDigit(i) {
			return false
		}
		for i++; isDigit(i); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		return i == len(b)
	}
	return false
}

func (d *Doc) failUnexpected(i int, where string) int {
	if i >= len(d.rec) {
		return d.fail(i, "unexpected end of record "+where)
	}
	return d.fail(i, fmt.Sprintf("unexpected %q %s", d.rec[i], where))
}

// object reads the object at rec[i] == '{' whose members lead from st, and
// returns the offset after its '}'.
func (d *Doc) object(i int, st *state) int {
	b := d.rec
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	base := len(d.keys)
	for {
		if i >= len(b) || b[i] != '"' {
			return d.failUnexpected(i, "where an object key was expected")
		}
		start := i + 1
		end, escaped := scanKey(b, start)
		if end < 0 {
			return d.failTruncated(i, "unterminated string")
		}
		i = end + 1
		if i >= len(b) || b[i] != ':' {
			if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
				return d.failUnexpected(i, "after an object key")
			}
		}
		i++
		if i < len(b) && b[i] <= ' ' {
			i = skipSpace(b, i)
		}
		var next *state
		key := b[start:end]
		inBuf := false
		if escaped {
			kstart := len(d.kbuf)
			var ok bool
			if d.kbuf, ok = appendUnescaped(d.kbuf, key); !ok {
				return d.fail(start, "invalid escape in object key")
			}
			key, inBuf = d.kbuf[kstart:], true
			start, end = kstart, len(d.kbuf)
		}
		if next = st.member(key); next == nil {
			// Most members are unwanted strings: skip them here unless a
			// backslash precedes the first quote.
			if i < len(b) && b[i] == '"' {
				if j := bytes.IndexByte(b[i+1:], '"'); j >= 0 && b[i+j] != '\\' {
					i += j + 2
					goto next
				}
			}
			i = d.skip(i)
		} else {
			i = d.member(i, next, base, key, keySeen{start: int32(start), end: int32(end), inBuf: inBuf})
		}
		if i < 0 {
			return -1
		}
	next:
		if i < len(b) && b[i] <= ' ' {
			i = skipSpace(b, i)
		}
		if i >= len(b) {
			return d.failUnexpected(i, "in an object")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			d.keys = d.keys[:base]
			return i + 1
		default:
			return d.failUnexpected(i, "after an object member")
		}
	}
}

// member reads the value of an object member that leads to st. The keys
// read so far in the same object are d.keys[base:].
func (d *Doc) member(i int, st *state, base int, key []byte, seen keySeen) int {
	seen.fp = fingerprint(key)
	earlier := -1
	for k := base; k < len(d.keys); k++ {
		if d.keys[k].fp == seen.fp && bytes.Equal(d.keyBytes(&d.keys[k]), key) {
			earlier = k
			break
		}
	}
	seen.capStart = int32(len(d.caps))
	if i = d.value(i, st); i < 0 {
		return -1
	}
	seen.capEnd = int32(len(d.caps))
	if earlier < 0 {
		d.keys = append(d.keys, seen)
		return i
	}
	prev := &d.keys[earlier]
	for c := prev.capStart; c < prev.capEnd; c++ {
		d.caps[c].flags |= capDead
	}
	prev.capStart, prev.capEnd = seen.capStart, seen.capEnd
	return i
}

func (d *Doc) keyBytes(k *keySeen) []byte {
	if k.inBuf {
		return d.kbuf[k.start:k.end]
	}
	return d.rec[k.start:k.end]
}

// fingerprint packs a key's length and first seven bytes.
func fingerprint(key []byte) uint64 {
	var fp uint64
	for j := 0; j < len(key) && j < 7; j++ {
		fp |= uint64(key[j]) << (8 * j)
	}
	return fp | uint64(len(key))<<56
}

// array reads the array at rec[i] == '[' whose elements lead from st.
func (d *Doc) array(i int, st *state) int {
	b := d.rec
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for index := 0; ; index++ {
		if next := st.element(index); next == nil {
			i = d.skip(i)
		} else {
			i = d.value(i, next)
		}
		if i < 0 {
			return -1
		}
		if i < len(b) && b[i] <= ' ' {
			i = skipSpace(b, i)
		}
		if i >= len(b) {
			return d.failUnexpected(i, "in an array")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1
		default:
			return d.failUnexpected(i, "after an array element")
		}
	}
}

// value reads the value at rec[i], captures it for st's slots and descends
// into it if st continues below it.
func (d *Doc) value(i int, st *state) int {
	b := d.rec
	if i >= len(b) {
		return d.failUnexpected(i, "where a value was expected")
	}
	switch c := b[i]; c {
	case '"':
		end, escaped := scanString(b, i+1)
		if end < 0 {
			return d.failString(i, i+1+^end)
		}
		flags := uint8(0)
		if escaped {
			flags = capEscaped
		}
		d.capture(st, kindString, i+1, end, flags)
		return end + 1
	case '{':
		d.capture(st, kindObject, i, i, 0)
		if st.object() {
			return d.object(i, st)
		}
		return d.skipContainer(i)
	case '[':
		d.capture(st, kindArray, i, i, 0)
		if st.array() {
			return d.array(i, st)
		}
		return d.skipContainer(i)
	case 't', 'f', 'n':
		k, n := literal(b[i:])
		if n == 0 {
			return d.failValue(i)
		}
		d.capture(st, k, i, i+n, 0)
		return i + n
	default:
		end := scanNumber(b, i)
		if end < 0 {
			return d.failValue(i)
		}
		d.capture(st, kindNumber, i, end, 0)
		return end
	}
}

func (d *Doc) capture(st *state, k kind, start, end int, flags uint8) {
	for _, slot := range st.slots {
		d.caps = append(d.caps, capture{start: int32(start), end: int32(end), next: d.head[slot], kind: k, flags: flags})
		d.head[slot] = int32(len(d.caps) - 1)
	}
}

// skip passes over the value at rec[i], which no selector reads.
func (d *Doc) skip(i int) int {
	b := d.rec
	if i >= len(b) {
		return d.failUnexpected(i, "where a value was expected")
	}
	switch b[i] {
	case '"':
		end := skipString(b, i+1)
		if end < 0 {
			return d.failTruncated(i, "unterminated string")
		}
		return end + 1
	case '{', '[':
		return d.skipContainer(i)
	case 't', 'f', 'n':
		_, n := literal(b[i:])
		if n == 0 {
			return d.failValue(i)
		}
		return i + n
	default:
		end := scanNumber(b, i)
		if end < 0 {
			return d.failValue(i)
		}
		return end
	}
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// skipContainer passes over the object or array at rec[i], checking only
// that brackets pair up outside strings, that strings end and that nothing
// but the characters of numbers and literals stands between them.
func (d *Doc) skipContainer(i int) int {
	b := d.rec
	stack := append(d.stack[:0], b[i])
	i++
	for i < len(b) {
		c := b[i]
		switch jsonbytes.Class[c] {
		case jsonbytes.Plain:
			i++
			continue
		case jsonbytes.Quote:
			if j := bytes.IndexByte(b[i+1:], '"'); j >= 0 && b[i+j] != '\\' {
				i += j + 2 // the common case: no backslash before the quote
				// A key and its string value, or a value and the next key,
				// are mostly separated by one ':' or ','.
				if i+1 < len(b) && b[i+1] == '"' && (b[i] == ':' || b[i] == ',') {
					i++
				}
				continue
			}
			end := skipString(b, i+1)
			if end < 0 {
				d.stack = stack
				return d.failTruncated(i, "unterminated string")
			}
			i = end + 1
			continue
		case jsonbytes.Open:
			if len(stack) == maxDepth {
				d.stack = stack
				return d.fail(i, "nesting too deep")
			}
			stack = append(stack, c)
		case jsonbytes.Close: // the opener is two below the closer
			if stack[len(stack)-1] != c-2 {
				d.stack = stack
				return d.fail(i, fmt.Sprintf("unexpected %q", c))
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				d.stack = stack
				return i + 1
			}
		default:
			d.stack = stack
			return d.fail(i, fmt.Sprintf("unexpected %q in a nested value", c))
		}
		i++
	}
	d.stack = stack
	return d.fail(i, "unexpected end of record in a nested value")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// literal recognises true, false and null at the start of b and returns
// the kind and length, or a length of 0.
func literal(b []byte) (kind, int) {
	switch {
	case bytes.HasPrefix(b, []byte("true")):
		return kindTrue, 4
	case bytes.HasPrefix(b, []byte("false")):
		return kindFalse, 5
	case bytes.HasPrefix(b, []byte("null")):
		return kindNull, 4
	}
	return 0, 0
}

// scanNumber returns the end of the JSON number at b[i], or -1.
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	return i
}

// ---- strings ----
//
// The string scanners look at eight bytes at a time (SWAR): CloudTrail
// records are mostly strings, and a string ends at the first '"' that no
// backslash escapes.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasByte marks the bytes of w equal to c with their high bit. The lowest
// mark is exact; marks above it may be spurious.
func hasByte(w uint64, c byte) uint64 {
	x := w ^ (ones * uint64(c))
	return (x - ones) &^ x & highs
}

// hasLess marks the bytes of w below n (n <= 128), with hasByte's caveat.
func hasLess(w uint64, n byte) uint64 {
	return (w - ones*uint64(n)) &^ w & highs
}

// quoteOrBackslash returns the index of the first '"' or '\\' in b at or
// after i, or -1.
func quoteOrBackslash(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if m := hasByte(w, '"') | hasByte(w, '\\'); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return -1
}

// skipString returns the offset of the '"' that closes the string whose
// contents start at b[i], or -1. Escapes are not checked: a quote ends the
// string unless an odd number of backslashes precede it.
func skipString(b []byte, i int) int {
	start := i
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		if j == start || b[j-1] != '\\' {
			return j
		}
		k := j - 1
		for k > start && b[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j
		}
		i = j + 1
	}
}

// scanKey is skipString that also reports whether the key has escapes.
func scanKey(b []byte, i int) (end int, escaped bool) {
	for {
		j := quoteOrBackslash(b, i)
		if j < 0 || b[j] == '"' {
			return j, escaped
		}
		escaped = true
		i = j + 2
	}
}

// scanString returns the offset of the closing '"' of the string whose
// contents start at b[i], checking that it has no control characters and
// only valid escapes. On error it returns ^(offset of the problem - i).
func scanString(b []byte, i int) (end int, escaped bool) {
	start := i
	for {
		j := i
		for ; j+8 <= len(b); j += 8 {
			w := binary.LittleEndian.Uint64(b[j:])
			if m := hasByte(w, '"') | hasByte(w, '\\') | hasLess(w, ' '); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				goto found
			}
		}
		for ; j < len(b); j++ {
			if c := b[j]; c == '"' || c == '\\' || c < ' ' {
				goto found
			}
		}
		return ^(j - start), escaped
	found:
		switch c := b[j]; {
		case c == '"':
			return j, escaped
		case c < ' ':
			return ^(j - start), escaped
		}
		escaped = true
		if j+1 >= len(b) {
			return ^(j - start), escaped
		}
		switch b[j+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i = j + 2
		case 'u':
			if j+6 > len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
				return ^(j - start), escaped
			}
			i = j + 6
		default:
			return ^(j - start), escaped
		}
	}
}

// appendUnescaped appends the JSON string contents s, unescaped, to dst.
// Like encoding/json it turns an unpaired surrogate into U+FFFD. It
// reports false for an invalid escape.
func appendUnescaped(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := bytes.IndexByte(s[i:], '\\')
			if j < 0 {
				return append(dst, s[i:]...), true
			}
			dst = append(dst, s[i:i+j]...)
			i += j
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+2:])
			if !ok {
				return dst, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, ok := hex4(s[i+2:])
					if pair := utf16.DecodeRune(r, r2); ok && pair != utf8.RuneError {
						dst = utf8.AppendRune(dst, pair)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
