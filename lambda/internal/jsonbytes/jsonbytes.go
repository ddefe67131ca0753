// Package jsonbytes classifies the bytes that may stand outside strings in
// JSON text, for the hand-written scanners that skip over records without
// decoding them.
package jsonbytes

// Classes of bytes outside JSON strings.
const (
	Bad   uint8 = iota // no JSON text has this byte outside a string
	Plain              // whitespace, ':', ',' and the characters of numbers and true/false/null
	Quote              // '"' opens a string
	Open               // '{' or '['
	Close              // '}' or ']'
)

// Class maps every byte to its class.
var Class = func() (t [256]uint8) {
	for _, c := range []byte(" \t\r\n:,0123456789+-.eEtrufalsn") {
		t[c] = Plain
	}
	t['"'] = Quote
	t['{'], t['['] = Open, Open
	t['}'], t[']'] = Close, Close
	return t
}()
