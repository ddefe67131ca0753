package cloudtrail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"

	"github.com/trailwatch/trailwatch/lambda/internal/jsonbytes"
)

// MaxRecordSize is the largest single record the Reader accepts. CloudTrail
// caps an event at 256 KiB; the margin covers hand-made files.
const MaxRecordSize = 16 << 20

const (
	// bufferSize is the initial window over the decompressed stream. Records
	// are handed out as slices of it, so it grows (up to MaxRecordSize) only
	// when one record does not fit.
	bufferSize = 256 << 10
	// minRead is the least free space worth a Read call; below it the window
	// is compacted first.
	minRead = 4 << 10
	// peekSize is the buffer between the source and the decompressor.
	peekSize = 64 << 10
	// maxDepth matches encoding/json's nesting limit.
	maxDepth = 10000
	// maxEmptyReads bounds how often a source may return no data and no error.
	maxEmptyReads = 100
)

var (
	// ErrSyntax is wrapped by the Err of a CorruptError when the JSON
	// structure of the input is broken.
	ErrSyntax = errors.New("invalid JSON")
	// ErrRecordTooLarge is wrapped by the Err of a CorruptError when one
	// record exceeds MaxRecordSize.
	ErrRecordTooLarge = fmt.Errorf("record larger than %d MiB", MaxRecordSize>>20)
)

// CorruptError reports damaged input: a truncated or corrupt gzip stream,
// broken JSON structure, a truncated file or bytes between records that do
// not belong there. Every complete record before the damage has been
// delivered by the time Next returns it.
type CorruptError struct {
	Offset  int64 // byte offset of the damage in the uncompressed stream
	Records int   // records delivered before the damage
	Err     error // what is wrong; wraps ErrSyntax, ErrRecordTooLarge, io.ErrUnexpectedEOF or a gzip error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt input at byte %d after %d records: %v", e.Offset, e.Records, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// MalformedError reports a record that NextFunc's parse function rejected
// while its brackets and strings are sound: the Reader has consumed it and
// reads on after it.
type MalformedError struct {
	Offset int64 // byte offset of the record in the uncompressed stream
	Record int   // its number, counting from 1, as counted by Records
	Err    error // parse's error
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("malformed record %d at byte %d: %v", e.Record, e.Offset, e.Err)
}

func (e *MalformedError) Unwrap() error { return e.Err }

// parse states between records
type state uint8

const (
	stTop          state = iota // between top-level values
	stRecordsOpen               // after `{"Records":[`: a record or `]`
	stRecordsElem               // after a `,` in Records: a record
	stRecordsAfter              // after a record in Records: `,` or `]`
	stWrapperTail               // after the Records array: `,` or `}`
	stWrapperKey                // after `,` in the wrapper: another key
	stWrapperColon              // after that key: `:`
	stWrapperValue              // its value, skipped
	stArrayOpen                 // after a top-level `[`: a record or `]`
	stArrayElem                 // after a `,` in that array: a record
	stArrayAfter                // after a record in that array: `,` or `]`
)

// where describes a state for error messages.
func (s state) where() string {
	switch s {
	case stRecordsOpen, stRecordsElem, stRecordsAfter:
		return "inside the Records array"
	case stWrapperTail, stWrapperKey, stWrapperColon, stWrapperValue:
		return `inside the {"Records":...} object`
	case stArrayOpen, stArrayElem, stArrayAfter:
		return "inside the top-level array"
	}
	return "between records"
}

// Reader streams the events of one CloudTrail file. It accepts, gzip
// compressed (any number of members) or plain:
//
//   - the delivered form {"Records":[event, ...]}; other top-level keys of
//     that object are skipped;
//   - JSON lines or concatenated JSON objects, each one event, except that
//     an object whose first key is "Records" with an array value is read as
//     the delivered form;
//   - a top-level JSON array of events;
//   - EventBridge envelopes ({"detail-type": ..., "detail": {...}}), at the
//     top level or in a top-level array, yielding the detail object.
//
// Next checks the structure of each record — brackets balanced and
// matched, strings terminated, only JSON number and literal characters and
// whitespace outside strings — and the framing between records, but not
// every detail inside a record (the order of keys, colons and commas, the
// spelling of literals, escapes and control characters inside strings).
// A caller that parses every record anyway, as the rule engine does, reads
// with NextFunc instead: its parser finds where each record ends, so that
// the record is read once, not twice.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	src     countingReader
	peek    *bufio.Reader
	gz      *gzip.Reader
	in      io.Reader // the decompressed (or plain) stream; nil until sniffed
	buf     []byte
	r, w    int   // unread bytes are buf[r:w]
	base    int64 // offset of buf[0] in the decompressed stream
	inErr   error // sticky error from in: io.EOF, a read error or a *CorruptError
	state   state
	scan    scanState
	records int
	done    error // sticky final result of Next
	max     int   // record size limit; MaxRecordSize except in tests
}

// NewReader returns a Reader of r. It reads nothing until the first Next.
func NewReader(r io.Reader) *Reader {
	rd := &Reader{max: MaxRecordSize}
	rd.Reset(r)
	return rd
}

// Reset makes the Reader read r from its beginning, reusing its buffers.
func (rd *Reader) Reset(r io.Reader) {
	rd.src = countingReader{r: r}
	rd.in = nil
	rd.r, rd.w, rd.base = 0, 0, 0
	rd.inErr, rd.done = nil, nil
	rd.state = stTop
	rd.records = 0
	if rd.max == 0 {
		rd.max = MaxRecordSize
	}
}

// Records returns the number of records Next has delivered.
func (rd *Reader) Records() int { return rd.records }

// BytesIn returns the number of bytes read from the underlying reader so far
// (compressed bytes for gzip input), including read-ahead.
func (rd *Reader) BytesIn() int64 { return rd.src.n }

// Next returns the raw bytes of the next record, a JSON object. The slice is
// valid until the next call of Next or Reset. At the end of the input it
// returns io.EOF; on damaged input a *CorruptError; when the underlying
// reader fails, that error wrapped. Errors are sticky.
func (rd *Reader) Next() ([]byte, error) {
	return rd.NextFunc(nil)
}

// A ParseFunc reads the JSON object at the start of buf and returns its
// length. When buf ends inside the object it returns an error that wraps
// io.ErrUnexpectedEOF, and is called again with more bytes; any other error
// rejects the record. filterpattern's Doc.ResetPrefix is one.
type ParseFunc func(buf []byte) (n int, err error)

// NextFunc is Next for a caller that parses every record anyway: instead
// of finding the end of the record with a scan of its own, the Reader calls
// parse on the buffered input starting at the record and takes the length
// parse returns, so that each byte is read once. The Reader still checks
// the framing between records; the structure inside a record is parse's to
// check. When NextFunc returns a record with a nil error, the last call of
// parse was on exactly that record (for an EventBridge envelope, its
// detail object).
//
// When parse rejects a record whose brackets and strings are nonetheless
// sound, so that the next record can be found, NextFunc consumes it, counts
// it in Records and returns it with a *MalformedError; reading may go on.
// When they are not, it returns the *CorruptError that Next would. A nil
// parse makes NextFunc the same as Next.
func (rd *Reader) NextFunc(parse ParseFunc) ([]byte, error) {
	if rd.done != nil {
		return nil, rd.done
	}
	rec, err := rd.next(parse)
	if err != nil {
		if me, ok := err.(*MalformedError); ok {
			rd.records++
			me.Record = rd.records
			return rec, err
		}
		if ce, ok := err.(*CorruptError); ok {
			ce.Records = rd.records
		}
		rd.done = err
		return nil, err
	}
	rd.records++
	return rec, nil
}

func (rd *Reader) next(parse ParseFunc) ([]byte, error) {
	if rd.in == nil {
		if err := rd.open(); err != nil {
			return nil, err
		}
	}
	for {
		c, err := rd.skipSpace()
		if err == io.EOF {
			if rd.state == stTop {
				return nil, io.EOF
			}
			return nil, rd.corruptAt(rd.base+int64(rd.w), fmt.Errorf("%w %s", io.ErrUnexpectedEOF, rd.state.where()))
		}
		if err != nil {
			return nil, err
		}
		switch rd.state {
		case stTop:
			switch c {
			case '{':
				wrapped, err := rd.recordsWrapper()
				if err != nil {
					return nil, err
				}
				if wrapped {
					rd.state = stRecordsOpen
					continue
				}
				return rd.event(parse)
			case '[':
				rd.r++
				rd.state = stArrayOpen
			case 0xEF:
				if rd.base+int64(rd.r) == 0 {
					if ok, err := rd.skipBOM(); err != nil {
						return nil, err
					} else if ok {
						continue
					}
				}
				return nil, rd.syntax(0, "unexpected byte 0xEF at top level")
			default:
				return nil, rd.syntax(0, "unexpected %s at top level", quoteByte(c))
			}
		case stRecordsOpen, stRecordsElem, stArrayOpen, stArrayElem:
			if c == ']' && (rd.state == stRecordsOpen || rd.state == stArrayOpen) {
				rd.r++
				rd.state = rd.afterArray()
				continue
			}
			if c != '{' {
				return nil, rd.syntax(0, "record %s is %s, not an object", rd.state.where(), quoteByte(c))
			}
			if rd.state == stRecordsOpen || rd.state == stRecordsElem {
				rd.state = stRecordsAfter
				return rd.record(parse)
			}
			rd.state = stArrayAfter
			return rd.event(parse)
		case stRecordsAfter, stArrayAfter:
			switch c {
			case ',':
				rd.r++
				if rd.state == stRecordsAfter {
					rd.state = stRecordsElem
				} else {
					rd.state = stArrayElem
				}
			case ']':
				rd.r++
				rd.state = rd.afterArray()
			default:
				return nil, rd.syntax(0, "expected ',' or ']' after a record %s, found %s", rd.state.where(), quoteByte(c))
			}
		case stWrapperTail:
			switch c {
			case ',':
				rd.r++
				rd.state = stWrapperKey
			case '}':
				rd.r++
				rd.state = stTop
			default:
				return nil, rd.syntax(0, "expected ',' or '}' after the Records array, found %s", quoteByte(c))
			}
		case stWrapperKey:
			if c != '"' {
				return nil, rd.syntax(0, "expected a key %s, found %s", rd.state.where(), quoteByte(c))
			}
			if _, err := rd.scanValue(); err != nil {
				return nil, err
			}
			rd.state = stWrapperColon
		case stWrapperColon:
			if c != ':' {
				return nil, rd.syntax(0, "expected ':' after a key %s, found %s", rd.state.where(), quoteByte(c))
			}
			rd.r++
			rd.state = stWrapperValue
		case stWrapperValue:
			if _, err := rd.scanValue(); err != nil {
				return nil, err
			}
			rd.state = stWrapperTail
		}
	}
}

// afterArray is the state after the `]` closing the current array.
func (rd *Reader) afterArray() state {
	if rd.state <= stRecordsAfter {
		return stWrapperTail
	}
	return stTop
}

// open sniffs the input: gzip by its magic bytes, else plain text.
func (rd *Reader) open() error {
	if rd.peek == nil {
		rd.peek = bufio.NewReaderSize(&rd.src, peekSize)
	} else {
		rd.peek.Reset(&rd.src)
	}
	if rd.buf == nil {
		rd.buf = make([]byte, bufferSize)
	}
	magic, _ := rd.peek.Peek(2) // a short or failed peek means plain; Read reports the error
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		rd.in = rd.peek
		return nil
	}
	var err error
	if rd.gz == nil {
		rd.gz, err = gzip.NewReader(rd.peek)
	} else {
		err = rd.gz.Reset(rd.peek)
	}
	if err != nil {
		rd.in = eofReader{}
		return rd.readFailure(err)
	}
	rd.gz.Multistream(true)
	rd.in = rd.gz
	return nil
}

// readFailure turns an error from the input stream into the error Next
// returns: the source's own failure as a read error, anything else (the
// decompressor's verdict on the data) as damage at the current offset.
func (rd *Reader) readFailure(err error) error {
	if rd.src.err != nil && rd.src.err != io.EOF {
		return fmt.Errorf("cloudtrail: read: %w", rd.src.err)
	}
	return rd.corruptAt(rd.base+int64(rd.w), err)
}

// fill reads more input into buf[w:], compacting or growing the window
// first when little room is left. Bytes from r on are kept. It returns nil
// when at least one byte was added, io.EOF at the clean end of the input,
// or the final error.
func (rd *Reader) fill() error {
	if rd.inErr != nil {
		return rd.inErr
	}
	if rd.r == rd.w {
		rd.base += int64(rd.w)
		rd.r, rd.w = 0, 0
	}
	if len(rd.buf)-rd.w < minRead {
		if rd.r > 0 {
			n := copy(rd.buf, rd.buf[rd.r:rd.w])
			rd.base += int64(rd.r)
			rd.r, rd.w = 0, n
		}
		if len(rd.buf)-rd.w < minRead {
			size := min(2*len(rd.buf), rd.max+minRead)
			if size < rd.w+minRead {
				size = rd.w + minRead
			}
			grown := make([]byte, size)
			copy(grown, rd.buf[:rd.w])
			rd.buf = grown
		}
	}
	for range maxEmptyReads {
		n, err := rd.in.Read(rd.buf[rd.w:])
		rd.w += n
		if err != nil {
			if err == io.EOF {
				rd.inErr = io.EOF
			} else {
				rd.inErr = rd.readFailure(err)
			}
			if n > 0 {
				return nil
			}
			return rd.inErr
		}
		if n > 0 {
			return nil
		}
	}
	rd.inErr = fmt.Errorf("cloudtrail: read: %w", io.ErrNoProgress)
	return rd.inErr
}

// skipSpace skips JSON whitespace and returns the next byte, unconsumed.
func (rd *Reader) skipSpace() (byte, error) {
	for {
		for rd.r < rd.w {
			c := rd.buf[rd.r]
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return c, nil
			}
			rd.r++
		}
		if err := rd.fill(); err != nil {
			return 0, err
		}
	}
}

// skipBOM consumes a UTF-8 byte order mark at r, if there is one.
func (rd *Reader) skipBOM() (bool, error) {
	for rd.w-rd.r < 3 {
		if err := rd.fill(); err == io.EOF {
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
	if bytes.HasPrefix(rd.buf[rd.r:rd.w], []byte("\xEF\xBB\xBF")) {
		rd.r += 3
		return true, nil
	}
	return false, nil
}

// recordsWrapper reports whether the object starting at r opens with the key
// "Records" holding an array. If so it consumes the input through the '['.
// It only looks ahead, so an object that turns out to be an event is still
// whole in the window.
func (rd *Reader) recordsWrapper() (bool, error) {
	const key = `"Records"`
	i, phase, matched := 1, 0, 0 // phase: 0 before the key, 1 in it, 2 before ':', 3 before the value
	for {
		b := rd.buf[rd.r:rd.w]
		for ; i < len(b); i++ {
			c := b[i]
			if phase == 1 {
				if c != key[matched] {
					return false, nil
				}
				if matched++; matched == len(key) {
					phase = 2
				}
				continue
			}
			if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				continue
			}
			switch {
			case phase == 0 && c == '"':
				phase, matched = 1, 1
			case phase == 2 && c == ':':
				phase = 3
			case phase == 3 && c == '[':
				rd.r += i + 1
				return true, nil
			default:
				return false, nil
			}
		}
		if len(b) > rd.max {
			return false, nil
		}
		if err := rd.fill(); err == io.EOF {
			return false, nil // the record scan reports the truncation
		} else if err != nil {
			return false, err
		}
	}
}

// scanValue returns the JSON value starting at r and consumes it.
func (rd *Reader) scanValue() ([]byte, error) {
	s := &rd.scan
	s.reset()
	switch c := rd.buf[rd.r]; jsonbytes.Class[c] {
	case jsonbytes.Plain:
		return rd.scanLiteral()
	case jsonbytes.Close, jsonbytes.Bad:
		return nil, rd.syntax(0, "expected a value %s, found %s", rd.state.where(), quoteByte(c))
	}
	for {
		end, err := s.run(rd.buf[rd.r:rd.w])
		if err != nil {
			return nil, rd.corruptAt(rd.base+int64(rd.r+s.pos), err)
		}
		if end > rd.max {
			return nil, rd.corruptAt(rd.base+int64(rd.r), ErrRecordTooLarge)
		}
		if end > 0 {
			v := rd.buf[rd.r : rd.r+end]
			rd.r += end
			return v, nil
		}
		if rd.w-rd.r > rd.max {
			return nil, rd.corruptAt(rd.base+int64(rd.r), ErrRecordTooLarge)
		}
		if err := rd.fill(); err == io.EOF {
			return nil, rd.corruptAt(rd.base+int64(rd.w), fmt.Errorf("%w inside a record", io.ErrUnexpectedEOF))
		} else if err != nil {
			return nil, err
		}
	}
}

// event reads a record that may be an EventBridge envelope and returns
// the envelope's detail object in its place.
func (rd *Reader) event(parse ParseFunc) ([]byte, error) {
	rec, err := rd.record(parse)
	if err != nil {
		return rec, err
	}
	detail := unwrapEnvelope(rec)
	if len(detail) == len(rec) || parse == nil {
		return detail, nil
	}
	// parse last saw the envelope; it must see what is delivered.
	off := rd.base + int64(rd.r-len(rec)+(cap(rec)-cap(detail)))
	if n, err := parse(detail); err != nil || n != len(detail) {
		return detail, rd.malformed(off, err, n, len(detail))
	}
	return detail, nil
}

// record returns the object starting at r and consumes it: found by the
// structural scan when parse is nil, else by parse.
func (rd *Reader) record(parse ParseFunc) ([]byte, error) {
	if parse == nil {
		return rd.scanValue()
	}
	for {
		seen := rd.w - rd.r
		n, err := parse(rd.buf[rd.r:rd.w])
		if err == nil && n > 0 && n <= seen {
			if n > rd.max {
				return nil, rd.corruptAt(rd.base+int64(rd.r), ErrRecordTooLarge)
			}
			rec := rd.buf[rd.r : rd.r+n]
			rd.r += n
			return rec, nil
		}
		if err != nil && errors.Is(err, io.ErrUnexpectedEOF) {
			if seen > rd.max {
				return nil, rd.corruptAt(rd.base+int64(rd.r), ErrRecordTooLarge)
			}
			if ferr := rd.refill(); ferr == nil {
				continue
			} else if ferr != io.EOF {
				return nil, ferr
			}
		}
		// parse rejects the record, or it is cut short by the end of the
		// input. The structural scan tells damage that hides the next
		// record (a *CorruptError, as Next reports it) from a record that is
		// malformed only inside.
		start := rd.base + int64(rd.r)
		rec, serr := rd.scanValue()
		if serr != nil {
			return nil, serr
		}
		if len(rec) > seen {
			// parse saw only part of the record: what it rejected may be a
			// literal cut by the end of the window. Now it is all there.
			if n, err = parse(rec); err == nil && n == len(rec) {
				return rec, nil
			}
		}
		return rec, rd.malformed(start, err, n, len(rec))
	}
}

// malformed describes a record parse rejected, or one whose length parse
// got wrong.
func (rd *Reader) malformed(off int64, err error, n, want int) *MalformedError {
	if err == nil {
		err = fmt.Errorf("parse found %d bytes in a record of %d", n, want)
	}
	return &MalformedError{Offset: off, Err: err}
}

// refill reads more input after parse found the record at r incomplete. It
// fills the window to the brim, compacting it first or doubling it when
// the record already fills it, so that each record is parsed again at most
// once per window and once per doubling, however little each Read returns.
// It returns nil when at least one byte was added, else fill's error.
func (rd *Reader) refill() error {
	if err := rd.fill(); err != nil {
		return err
	}
	for len(rd.buf)-rd.w >= minRead {
		if rd.fill() != nil {
			break // sticky in inErr: the next fill returns it again
		}
	}
	return nil
}

// scanLiteral consumes a number, true, false or null at the top of a value
// that is skipped (a key other than Records in the wrapper object).
func (rd *Reader) scanLiteral() ([]byte, error) {
	i := rd.r
	for {
		for ; i < rd.w; i++ {
			c := rd.buf[i]
			if jsonbytes.Class[c] != jsonbytes.Plain || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',' || c == ':' {
				if i == rd.r {
					return nil, rd.syntax(0, "expected a value %s, found %s", rd.state.where(), quoteByte(c))
				}
				v := rd.buf[rd.r:i]
				rd.r = i
				return v, nil
			}
		}
		if i-rd.r > rd.max {
			return nil, rd.corruptAt(rd.base+int64(rd.r), ErrRecordTooLarge)
		}
		off := i - rd.r
		if err := rd.fill(); err == io.EOF {
			v := rd.buf[rd.r:rd.w]
			rd.r = rd.w
			return v, nil
		} else if err != nil {
			return nil, err
		}
		i = rd.r + off
	}
}

func (rd *Reader) corruptAt(off int64, err error) *CorruptError {
	return &CorruptError{Offset: off, Records: rd.records, Err: err}
}

// syntax reports broken framing at r+rel.
func (rd *Reader) syntax(rel int, format string, args ...any) *CorruptError {
	return rd.corruptAt(rd.base+int64(rd.r+rel), fmt.Errorf("%w: "+format, append([]any{ErrSyntax}, args...)...))
}

// quoteByte names a byte for an error message.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02X", c)
}

// countingReader counts the bytes read from the source and keeps its error,
// so that a failing source is told apart from damaged data.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// eofReader stands in for a stream that failed before its first byte.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
