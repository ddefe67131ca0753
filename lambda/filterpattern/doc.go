// Package filterpattern implements Amazon CloudWatch Logs JSON filter
// patterns, such as
//
//	{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != "Yes") }
//
// with CloudWatch's semantics, so that a pattern selects the same records
// here as it does in a metric filter.
//
// # Use
//
// Parse a pattern once; Match evaluates it on one raw JSON record. To run
// many patterns over many records, Compile them into a Program, give each
// goroutine a Doc, and for every record call Doc.Reset once and then
// Pattern.Eval for each pattern:
//
//	prog := filterpattern.Compile(patterns...)
//	doc := prog.NewDoc()
//	for each record {
//		if err := doc.Reset(record); err != nil { ... }
//		for _, p := range patterns {
//			if p.Eval(doc) { ... }
//		}
//	}
//
// Compile merges the selector paths of all patterns into one automaton.
// Reset makes a single pass over the record's bytes: it descends only into
// the members and elements some selector reads, keeps those values' kinds
// and raw bytes (strings are unescaped only if they contain a backslash and
// a comparison needs them), and skips everything else. Eval then works on
// the captured values; an "=" with an exact literal is a bit test. Once a
// Doc has warmed up, neither Reset nor Eval allocates. ResetPrefix reads the
// object at the start of a longer buffer and returns where it ends, for
// readers that split a stream of records. With many patterns,
// Doc.Candidates names the few worth evaluating for a record: most patterns
// require one value to be one of a set of literals, and one lookup per
// selector rules out all those that the record's value fails.
//
// Parse keeps a syntax tree with byte offsets (Pattern.Root, Walk, *Or,
// *And, *Paren, *Condition), for explaining a pattern or translating it to
// another query language. Errors are *SyntaxError values that print as
// "col N: msg" and can render the pattern with a caret (Snippet).
//
// # Semantics
//
// The rules follow the CloudWatch Logs documentation and published
// observations of the service:
//
//   - && binds tighter than ||; parentheses group.
//   - A selector that selects nothing satisfies no comparison, not even
//     != ; only NOT EXISTS holds. The idiom for "absent or different" is
//     (($.x NOT EXISTS) || ($.x != "v")).
//   - Only strings and numbers are compared. null, true, false, objects and
//     arrays satisfy neither = nor != nor a relational operator; IS NULL,
//     IS TRUE and IS FALSE test them.
//   - A quoted value compares as text, with a number's original JSON text
//     too ({ $.n = "12" } does not match 12.0). An unquoted number compares
//     numerically with numbers (12.0 = 12) and as text with strings
//     ({ $.ip != 111 } matches "111.111.111.111").
//   - < <= > >= need an unquoted number and match numbers only.
//   - "*" in a value is a wildcard matched left to right without
//     backtracking: each part after a "*" matches at its first occurrence,
//     so "*Denied" does not match "DeniedAccessDenied". A lone "*" matches
//     any string or number, the empty string included.
//   - %regex% searches the text, unanchored, in CloudWatch's restricted
//     syntax (no parentheses; \xhh for other ASCII characters).
//   - A selector with .* or [*] is existential: the condition holds if any
//     selected value satisfies it.
//   - Limits: 1024 characters, 2 regular expressions, one wildcard per
//     selector and 3 selectors with wildcards per pattern.
//   - The empty (or all-blank) pattern matches every event. Match returns
//     true for it whatever the record; Eval needs a record that Reset
//     accepted, so through a Doc it matches every JSON object.
//
// # Differences from CloudWatch Logs
//
// Where AWS documents nothing and no observation settles a question, this
// package makes the following choices. Each is either the conservative one
// (reject what might not deploy) or the one the observations point to.
//
//   - Only JSON patterns ({ ... }) are supported; term patterns ("ERROR",
//     ?term, -term, %regex% alone) and space-delimited patterns ([a, b])
//     are rejected with a message saying so.
//   - A blank before "{" is an error (CloudWatch then reads the pattern as
//     terms); so is anything after the closing "}", blanks included.
//   - Line breaks and other control characters are errors anywhere in a
//     pattern; tab counts as a blank between tokens but not inside quotes.
//   - Keywords are upper case only: "is null" and "not exists" are errors.
//   - Quoted values support the escapes \" and \\ only; any other backslash
//     is an error. There is no way to match a literal "*".
//   - Unquoted values may contain letters, digits, ".", "-", "_" and "*";
//     "+" only in numbers. Anything else must be quoted.
//   - A number is [+-]digits[.digits][e[+-]digits]; ".5" and "5." are
//     unquoted text, not numbers. Numbers beyond the float64 range are
//     errors.
//   - Numeric comparison uses float64; integers beyond 2^53 compare
//     approximately. Text comparison uses the number exactly as written in
//     the record (1e3 is "1e3", not "1000").
//   - Relational operators never match a string, not even a numeric one
//     such as "500".
//   - !=, relational operators, IS and NOT EXISTS are existential on
//     wildcard selectors like =; NOT EXISTS holds when nothing is selected
//     (an empty array, a value that is not an array for [*]).
//   - = "*" does not match null, booleans, objects or arrays; NOT EXISTS is
//     false for a property that is present with any of those values.
//   - != with a regex is the negation of the search, for strings and
//     numbers only.
//   - Regular expressions accept only the documented characters: letters,
//     digits, _ # = @ / ; , - : and the operators ^ $ ? [ ] { } | \ * + . ;
//     a blank or other punctuation must be written \s or \xhh. \xhh must be
//     ASCII (00-7f). {,n} means {0,n}. Matching uses Go's RE2 engine: "."
//     does not match a line feed, "$" matches only at the end of the text,
//     and a repeat count may not exceed 1000.
//   - Selectors take only the documented forms: $.name, $.['name'] (single
//     quotes, no escapes, not empty), [n], .* and [*]. Names are letters,
//     digits, "-" and "_". $['x'], $.["x"], $[0] and $ alone are errors.
//   - .* selects the members of an object, [*] the elements of an array;
//     neither selects anything from the other kind. [1] never selects the
//     member "1" of an object.
//   - The quota of 3 wildcard selectors counts occurrences: the same
//     wildcard selector in four conditions exceeds it.
//   - The 1024-character limit counts UTF-16 code units, as the API does.
//   - {} and a pattern without a condition are errors.
//   - A record that is not a JSON object never matches a JSON pattern.
//   - When a record repeats a key in one object, the last occurrence wins,
//     as in most JSON parsers.
//   - Record strings are compared byte for byte after unescaping; invalid
//     UTF-8 is not replaced, an unpaired \u surrogate becomes U+FFFD.
//   - Parts of a record that no selector reads are checked only for
//     balanced brackets and terminated strings, so some malformed records
//     are read rather than rejected.
package filterpattern
