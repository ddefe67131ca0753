// Package query turns a CloudWatch Logs filter pattern, the language of the
// rule files, into a query for an engine that searches CloudTrail at rest:
// a CloudWatch Logs Insights query over the trail's log group (Insights), or
// Athena (Trino) SQL over the CloudTrail table AWS documents (Athena), whose
// CREATE EXTERNAL TABLE statement, with partition projection over the
// trail's S3 layout, TableDDL writes.
//
// A query selects the events the pattern matches in package filterpattern,
// with its semantics (see that package's "Semantics"): && over ||, != and
// every comparison false where the selector selects nothing, quoted values
// compared as text and unquoted numbers numerically, "*" matched left to
// right without backtracking, existential wildcard selectors. What an engine
// cannot say with that meaning is an *Error naming the construct and its
// column: no query is better than a query that selects other events.
//
// # Logs Insights
//
// Logs Insights flattens a JSON record into fields named by dotted paths
// (userIdentity.arn, requestParameters.items.0.id), so:
//
//   - A != test adds ispresent(field): Insights' != and "not like" are true
//     where the field is missing, the pattern's are not.
//   - "*" values become regular expressions: "AccessDenied*" is
//     like /^AccessDenied/; "*Operation" ends the value at the first
//     occurrence of Operation, which is a like for the end of the value and
//     a "not like" for an occurrence followed by more text. A "*" between two
//     texts followed by text after the last "*" (a*b*c) is an error: it needs
//     the position of a first occurrence, which no Insights function gives.
//   - %regex% passes through (with {,n} written {0,n}) between slashes.
//   - An unquoted number matches (field = 12 or field = "12").
//   - IS TRUE and IS FALSE become field = 1 and field = 0: Insights reads
//     JSON booleans as those numbers (a JSON number 1 then matches too; the
//     query says so in a note).
//   - NOT EXISTS becomes not ispresent(field). IS NULL is an error, as are
//     wildcard selectors (.* and [*]), keys containing a dot, and any test
//     of a place where CloudTrail writes an object (requestParameters,
//     userIdentity, ...): Insights has no field for an object.
//
// Assumed, not verified against the service: a JSON null is not a present
// field; $ in a regular expression matches only at the end of the value;
// Insights discovers every field the pattern reads (it extracts at most
// 200 fields of a record; a field past that reads as missing).
//
// # Athena
//
// The SQL reads the columns of the table TableDDL creates. It relies on what
// CloudTrail writes in each column: strings in the STRING columns and struct
// fields, JSON booleans in readonly (stored as 'true' and 'false'), objects in
// requestparameters, responseelements, additionaleventdata,
// serviceeventdetails and edgedevicedetails (stored as JSON text). So:
//
//   - A comparison with a string column is plain SQL: eventname = 'X',
//     errorcode <> 'X' (false where the column is NULL, as the pattern wants).
//     Relational operators and IS TRUE/FALSE/NULL are FALSE there: CloudTrail
//     writes only strings.
//   - Inside the JSON-text columns, json_extract_scalar gives the text of a
//     string or number, and json_format(json_extract(...)) tells strings,
//     numbers, booleans and null apart, so != excludes booleans, an unquoted
//     number compares numerically only with numbers, and IS NULL, IS TRUE
//     and IS FALSE test the JSON value.
//   - "*" values use starts_with and element_at(split(text, part, 2), 2), the
//     text after the first occurrence of part: the same left-to-right match
//     without backtracking.
//   - %regex% becomes regexp_like, an unanchored search as in the pattern.
//   - [*] and .* inside the JSON-text columns, and resources[*].field, become
//     any_match over the elements (TRY_CAST to ARRAY(JSON) or
//     MAP(VARCHAR, JSON), NULL for a value of the other kind).
//   - Errors: a key that is not a column of the table (CloudTrail's keys are
//     case sensitive in patterns; the table's names are not), IS NULL and
//     NOT EXISTS on a JSON-text column itself (a null there is stored as
//     NULL, like a missing key), wildcards over struct columns, map fields.
//
// Assumed, not verified on Athena: json_extract returns the JSON null
// (not SQL NULL) for a key whose value is null; json_extract_scalar gives a
// number's text as the record writes it.
package query
