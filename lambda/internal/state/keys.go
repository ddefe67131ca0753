package state

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Sort keys of the three kinds of items.
const (
	windowSK  = "window"
	filePrefx = "file#"
	alertSK   = "alert"
)

// Window is one counting window of a threshold rule: a rule, a tumbling interval of eventTime
// and the values of the rule's groupBy paths.
type Window struct {
	Rule       string
	Start, End time.Time
	// GroupBy are the rule's group paths, Group the values at them (same length).
	GroupBy []string
	Group   []string
}

// pk is the partition key shared by the window item and its contributions. The width is part of
// it so that a rule whose window is changed starts new windows instead of mixing the two.
func (w Window) pk() string {
	width := int64(w.End.Sub(w.Start) / time.Second)
	return "window#" + w.Rule + "#" + strconv.FormatInt(width, 10) + "#" + strconv.FormatInt(w.Start.Unix(), 10) +
		"#" + digest(strings.Join(w.Group, "\x00"))
}

// AlertKey names the item whose claim stands for one alert.
type AlertKey struct {
	pk, sk  string
	expires func(retention time.Duration, now time.Time) time.Time
	what    string // for errors: "cis-3.6 window 2026-11-24T10:15:00Z 192.0.2.1"
}

// String describes the alert for logs and errors.
func (k AlertKey) String() string { return k.what }

// WindowAlert is the alert of a threshold window; its claim lives on the window item.
func WindowAlert(w Window) AlertKey {
	return AlertKey{
		pk: w.pk(), sk: windowSK,
		expires: func(retention time.Duration, _ time.Time) time.Time { return w.End.Add(retention) },
		what:    w.Rule + " window " + w.Start.UTC().Format(time.RFC3339) + " " + strings.Join(w.Group, ","),
	}
}

// FileAlert is the alert of a rule without a threshold for one log file, named as
// s3://bucket/key; operational alerts about a file use their trailwatch/ rule id.
func FileAlert(rule, object string) AlertKey {
	return AlertKey{
		pk: "alert#" + rule + "#" + digest(object), sk: alertSK,
		expires: func(retention time.Duration, now time.Time) time.Time { return now.Add(retention) },
		what:    rule + " " + object,
	}
}

// digest is 128 bits of SHA-256 in hex: long values in short keys.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
