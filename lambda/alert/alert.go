package alert

import (
	"encoding/json"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// Schema names the version of the alert JSON document.
const Schema = "trailwatch/alert/v1"

// OperationalPrefix starts the rule id of alerts about trailwatch itself.
const OperationalPrefix = "trailwatch/"

// Rule describes the rule that fired.
type Rule struct {
	ID       string              `json:"id"`
	Title    string              `json:"title"`
	Severity string              `json:"severity"`
	Controls map[string][]string `json:"controls,omitempty"`
	// Description says what happened and what to check first.
	Description string `json:"description,omitempty"`
	// File is the rule file, named in the e-mail so readers know where to tune it.
	File string `json:"file,omitempty"`
}

// Object is the log file the matches come from. For local files Key is the
// path and Bucket is empty.
type Object struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// String returns s3://bucket/key, or the key alone for a local file.
func (o Object) String() string {
	if o.Bucket == "" {
		return o.Key
	}
	return "s3://" + o.Bucket + "/" + o.Key
}

// Alert is one rule matched in one log file, or an operational problem.
type Alert struct {
	Schema  string `json:"schema"`
	Rule    Rule   `json:"rule"`
	Account string `json:"account"`
	Region  string `json:"region"`
	Object  Object `json:"object"`
	// MatchCount counts every match in the file; Events holds the first few.
	MatchCount int `json:"matchCount"`
	// Truncated is true when Events holds fewer events than MatchCount, cut
	// by the per-rule cap or to fit a message size limit.
	Truncated bool    `json:"truncated"`
	Events    []Event `json:"events"`
	// Detail says what went wrong, for operational alerts.
	Detail string `json:"detail,omitempty"`
	// RecordsRead counts the records read before an unreadable file broke off.
	RecordsRead *int `json:"recordsRead,omitempty"`
	// MatchedBecause lists the rule's conditions that held for the events,
	// each once, in pattern order ("eventName = StopLogging"). The caller
	// sets it from the rule's pattern (package explain); empty for
	// operational alerts.
	MatchedBecause []string `json:"matchedBecause,omitempty"`
	// Threshold says which threshold the alert crossed, for rules with one
	// (see WithThreshold); nil for alerts sent per log file.
	Threshold *Threshold `json:"threshold,omitempty"`
}

// New builds the alert for rule matched matchCount times in obj; raws are the
// first matching records, as raw JSON. Records that do not parse as
// CloudTrail events are left out. Account and region come from the
// CloudTrail key when obj names a log file, otherwise from the first event;
// callers who know better may set them afterwards.
func New(rule Rule, obj Object, matchCount int, raws [][]byte) *Alert {
	a := &Alert{
		Schema:     Schema,
		Rule:       cleanRule(rule),
		Object:     cleanObject(obj),
		MatchCount: matchCount,
		Events:     make([]Event, 0, len(raws)),
	}
	for _, raw := range raws {
		e, err := cloudtrail.ParseEvent(raw)
		if err != nil {
			continue
		}
		a.Events = append(a.Events, newEvent(e))
	}
	if a.MatchCount < len(a.Events) {
		a.MatchCount = len(a.Events)
	}
	a.Truncated = a.MatchCount > len(a.Events)
	a.locate(obj.Key)
	for i := range a.Events {
		if e := &a.Events[i]; e.AWSRegion == "" {
			e.ConsoleURL = ConsoleURL(a.Region, e.EventID)
		}
	}
	return a
}

// Operational builds an alert about trailwatch itself, such as a log file
// that could not be read. id is the short name ("unreadable-log-file"); the
// rule id becomes "trailwatch/<id>". Known ids get a description that tells
// the reader what the problem means and what to check.
func Operational(id, title, severity string, obj Object, detail string) *Alert {
	id = strings.TrimPrefix(id, OperationalPrefix)
	a := &Alert{
		Schema: Schema,
		Rule: cleanRule(Rule{
			ID:          OperationalPrefix + id,
			Title:       title,
			Severity:    severity,
			Description: operationalDescriptions[id],
		}),
		Object: cleanObject(obj),
		Events: []Event{},
		Detail: cleanText(detail, maxDetail),
	}
	a.locate(obj.Key)
	return a
}

// WithRecordsRead records how many records were read before the damage and
// returns a.
func (a *Alert) WithRecordsRead(n int) *Alert {
	a.RecordsRead = &n
	return a
}

// IsOperational reports whether the alert is about trailwatch itself.
func (a *Alert) IsOperational() bool {
	return strings.HasPrefix(a.Rule.ID, OperationalPrefix)
}

// Ids of operational alerts the Lambda and the CLI raise.
const (
	UnreadableLogFile = "unreadable-log-file"
	MissingLogFile    = "missing-log-file"
)

var operationalDescriptions = map[string]string{
	UnreadableLogFile: "A CloudTrail log file could not be read to the end. The records before the damage " +
		"were checked against the rules; the rest were not, so alerts for them may be missing. " +
		"Check whether the object was truncated or replaced (its CloudTrail digest file holds the expected hash), " +
		"then read it with `trailwatch scan` to see how far it parses.",
	MissingLogFile: "A CloudTrail log file that S3 announced could not be fetched: it may have been deleted, " +
		"or the detector may have lost permission to read it or to decrypt it with the trail's KMS key. " +
		"No record in it was checked. Check the object, the bucket policy and the key policy.",
}

// locate sets Account and Region from the CloudTrail key, falling back to
// the first event that names them.
func (a *Alert) locate(key string) {
	if key != "" {
		k := cloudtrail.ClassifyKey(key)
		a.Account = cleanLine(k.Account, maxShort)
		a.Region = cleanLine(k.Region, maxShort)
	}
	for _, e := range a.Events {
		if a.Account == "" {
			a.Account = e.RecipientAccountID
		}
		if a.Region == "" {
			a.Region = e.AWSRegion
		}
	}
}

func cleanRule(r Rule) Rule {
	out := Rule{
		ID:          cleanLine(r.ID, maxShort),
		Title:       cleanLine(r.Title, maxTitle),
		Severity:    strings.ToLower(cleanLine(r.Severity, maxShort)),
		Description: cleanText(r.Description, maxDescription),
		File:        cleanLine(r.File, maxShort*2),
	}
	if len(r.Controls) > 0 {
		out.Controls = make(map[string][]string, len(r.Controls))
		for k, ids := range r.Controls {
			c := make([]string, len(ids))
			for i, id := range ids {
				c[i] = cleanLine(id, maxShort)
			}
			out.Controls[cleanLine(k, maxShort)] = c
		}
	}
	return out
}

func cleanObject(o Object) Object {
	return Object{Bucket: cleanLine(o.Bucket, maxShort*2), Key: cleanLine(o.Key, maxKey)}
}

// clean returns a copy of a with all text cleaned, for renderings of alerts
// that were built by hand or read back from JSON rather than by New.
func (a *Alert) clean() *Alert {
	c := *a
	c.Rule = cleanRule(a.Rule)
	c.Object = cleanObject(a.Object)
	c.Account = cleanLine(a.Account, maxShort)
	c.Region = cleanLine(a.Region, maxShort)
	c.Detail = cleanText(a.Detail, maxDetail)
	if len(a.MatchedBecause) > 0 {
		c.MatchedBecause = make([]string, 0, min(len(a.MatchedBecause), maxReasons))
		for _, r := range a.MatchedBecause[:min(len(a.MatchedBecause), maxReasons)] {
			c.MatchedBecause = append(c.MatchedBecause, cleanLine(r, maxReason))
		}
	}
	if a.Threshold != nil {
		th := a.Threshold.clean()
		c.Threshold = &th
	}
	c.Events = make([]Event, len(a.Events))
	for i, e := range a.Events {
		c.Events[i] = e.clean()
	}
	return &c
}

// JSON returns the trailwatch/alert/v1 document. The output is deterministic:
// map keys are sorted and no timestamp is added.
func (a *Alert) JSON() ([]byte, error) {
	c := *a
	if c.Schema == "" {
		c.Schema = Schema
	}
	if c.Events == nil {
		c.Events = []Event{}
	}
	return json.Marshal(&c)
}
