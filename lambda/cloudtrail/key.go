package cloudtrail

import (
	"fmt"
	"strings"
	"time"
)

// Kind is what an object in a CloudTrail bucket holds, judged by its key.
type Kind int

const (
	// KindOther is anything that is not CloudTrail output: access logs,
	// other services' logs, folder placeholders, stray uploads.
	KindOther Kind = iota
	// KindLog is a CloudTrail log file: events to scan.
	KindLog
	// KindDigest is a CloudTrail digest file: hashes for log file
	// integrity validation, no events.
	KindDigest
	// KindInsight is a CloudTrail Insights file: unusual-activity
	// summaries, not the management events the rules read.
	KindInsight
)

func (k Kind) String() string {
	switch k {
	case KindLog:
		return "log"
	case KindDigest:
		return "digest"
	case KindInsight:
		return "insight"
	}
	return "other"
}

// Key is an S3 object key taken apart. For KindLog every field but Reason is
// set (OrgID only for organization trails); for the other kinds the fields
// that could be read from the key are set and Reason says why the object
// holds no events to scan.
type Key struct {
	Kind    Kind
	Prefix  string    // the trail's key prefix, without the trailing '/'; "" for none
	OrgID   string    // "o-…" for an organization trail
	Account string    // the 12-digit account the events belong to
	Region  string    // the region the events were recorded in
	Date    time.Time // the day in the key's path, midnight UTC
	Reason  string    // why the object is skipped; "" for KindLog
}

// ClassifyKey classifies an S3 object key (already URL-decoded) of a trail's
// bucket. A CloudTrail log file has the key
//
//	[prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json.gz
//
// Digest files sit under CloudTrail-Digest/ and Insights files under
// CloudTrail-Insight/ instead of CloudTrail/. The account and region in the
// file name must match the folders; the file name's time is checked for form
// but not compared with the folder's date, since a mismatch there would not
// make the file any less worth scanning.
func ClassifyKey(key string) Key {
	segs := strings.Split(key, "/")
	first := -1
	var best Key
	for i, s := range segs {
		if s != "AWSLogs" {
			continue
		}
		k, ok := classifyFrom(segs, i)
		if ok {
			return k
		}
		if first < 0 {
			first, best = i, k
		}
	}
	if first < 0 {
		best.Reason = "no AWSLogs/ folder in the key: not written by CloudTrail (an access log or another upload)"
	}
	return best
}

// classifyFrom reads the key from its AWSLogs segment at segs[at]. ok says
// that the account segment was found, so this occurrence is the right one.
func classifyFrom(segs []string, at int) (k Key, ok bool) {
	k.Prefix = strings.Join(segs[:at], "/")
	rest := segs[at+1:]
	if len(rest) > 0 && isOrgID(rest[0]) {
		k.OrgID, rest = rest[0], rest[1:]
	}
	if len(rest) == 0 || !isAccountID(rest[0]) {
		k.Reason = "no 12-digit account ID after AWSLogs/"
		if k.OrgID != "" {
			k.Reason = "no 12-digit account ID after AWSLogs/" + k.OrgID + "/"
		}
		return k, false
	}
	k.Account, rest = rest[0], rest[1:]
	if len(rest) == 0 || (len(rest) == 1 && rest[0] == "") {
		k.Reason = "the AWSLogs/<account>/ object CloudTrail writes to test bucket access, not a log file"
		return k, true
	}
	folder := rest[0]
	rest = rest[1:]
	switch folder {
	case "CloudTrail":
		k.Kind = KindLog
	case "CloudTrail-Digest":
		k.Kind, k.Reason = KindDigest, "CloudTrail digest file: integrity hashes, no events"
	case "CloudTrail-Insight":
		k.Kind, k.Reason = KindInsight, "CloudTrail Insights file: unusual-activity summaries, not management events"
	case "CloudTrail-Aggregated":
		k.Reason = "CloudTrail aggregated events: summaries, not individual events"
	default:
		k.Reason = fmt.Sprintf("folder %q is not CloudTrail's (another service's logs under AWSLogs/)", folder)
	}
	if k.Kind == KindOther {
		return k, true
	}
	// <region>/YYYY/MM/DD/<file>
	if len(rest) > 0 && isRegion(rest[0]) {
		k.Region = rest[0]
	}
	if len(rest) >= 4 {
		if d, err := time.Parse("2006/01/02", strings.Join(rest[1:4], "/")); err == nil {
			k.Date = d
		}
	}
	if k.Kind != KindLog {
		return k, true
	}
	if why := logFileProblem(k, rest); why != "" {
		k.Kind, k.Reason = KindOther, why
	}
	return k, true
}

// logFileProblem says what keeps rest (the key after CloudTrail/) from
// naming a log file, or "" when it does.
func logFileProblem(k Key, rest []string) string {
	if len(rest) != 5 {
		return "not of the form CloudTrail/<region>/YYYY/MM/DD/<file>"
	}
	if k.Region == "" {
		return fmt.Sprintf("%q is not a region", rest[0])
	}
	if k.Date.IsZero() {
		return fmt.Sprintf("%q is not a date in the form YYYY/MM/DD", strings.Join(rest[1:4], "/"))
	}
	name, ok := strings.CutSuffix(rest[4], ".json.gz")
	if !ok {
		return fmt.Sprintf("file name %q does not end in .json.gz", rest[4])
	}
	// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>
	parts := strings.Split(name, "_")
	if len(parts) != 5 || parts[1] != "CloudTrail" {
		return fmt.Sprintf("file name %q is not <account>_CloudTrail_<region>_<time>_<id>.json.gz", rest[4])
	}
	if parts[0] != k.Account {
		return fmt.Sprintf("file name account %q differs from the folder's %q", parts[0], k.Account)
	}
	if parts[2] != k.Region {
		return fmt.Sprintf("file name region %q differs from the folder's %q", parts[2], k.Region)
	}
	if _, err := time.Parse("20060102T1504Z", parts[3]); err != nil {
		return fmt.Sprintf("file name time %q is not YYYYMMDDTHHmmZ", parts[3])
	}
	if !isAlnum(parts[4]) {
		return fmt.Sprintf("file name id %q is not letters and digits", parts[4])
	}
	return ""
}

func isAccountID(s string) bool {
	return len(s) == 12 && isDigits(s)
}

// isOrgID matches an AWS Organizations ID: "o-" and 10 to 32 lower-case
// letters or digits.
func isOrgID(s string) bool {
	id, ok := strings.CutPrefix(s, "o-")
	if !ok || len(id) < 10 || len(id) > 32 {
		return false
	}
	for _, c := range []byte(id) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// isRegion matches region names such as us-east-1, us-gov-west-1,
// eu-isoe-west-1 or cn-northwest-1: a two-letter area, words, a number.
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 || !isDigits(parts[len(parts)-1]) {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" {
			return false
		}
		for _, c := range []byte(p) {
			if c < 'a' || c > 'z' {
				return false
			}
		}
	}
	return true
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func isAlnum(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}
