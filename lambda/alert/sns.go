package alert

import (
	"encoding/json"
	"fmt"
)

// MaxSNSMessage is the largest message SNS Publish accepts, in bytes (256 KiB).
const MaxSNSMessage = 262144

// SNSMessageLimit is the limit to pass to SNSMessage for SNS Publish: it
// leaves room for the subject and message attributes, which count toward
// MaxSNSMessage, and for the envelope SNS wraps around the message on its way
// to SQS and HTTP subscribers.
const SNSMessageLimit = MaxSNSMessage - 8*1024

// snsMessage is the MessageStructure=json document: "default" goes to every
// protocol without its own entry (SQS, Lambda, HTTP/S, e-mail-json, which
// wraps it in the SNS envelope), "email" to e-mail subscribers and "sms" to
// text messages.
type snsMessage struct {
	Default string `json:"default"`
	Email   string `json:"email"`
	SMS     string `json:"sms"`
}

// SNSMessage returns the message for SNS Publish with MessageStructure=json.
// When the whole document would exceed limit bytes, events are dropped from
// the end (and Truncated set) until it fits; a is not changed. It fails only
// when even an alert without events does not fit.
func (a *Alert) SNSMessage(limit int) (string, error) {
	_, msg, err := a.FitSNS(limit)
	return msg, err
}

// FitSNS is SNSMessage that also returns the alert the message carries: a
// itself when all of it fits, otherwise a copy that keeps only the events
// that fit, with Truncated set.
func (a *Alert) FitSNS(limit int) (*Alert, string, error) {
	n := len(a.Events)
	msg, err := a.snsDocument()
	if err != nil || len(msg) <= limit {
		return a, msg, err
	}
	// The size grows with the number of events kept. Probe 0, 1, 2, 4, …
	// until a count no longer fits, then bisect between the last two probes,
	// so no probe renders much more than limit bytes however long the list.
	// Every candidate is rendered from scratch: a complete, valid document.
	fits := func(k int) (*Alert, string, bool, error) {
		c := a.withEvents(k)
		m, err := c.snsDocument()
		return c, m, err == nil && len(m) <= limit, err
	}
	best, bestMsg, ok, err := fits(0)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", fmt.Errorf("alert %s for %s: message exceeds %d bytes even without events", a.Rule.ID, a.Object, limit)
	}
	lo, hi := 0, n // the first lo events fit; the first hi do not
	for k := 1; k < hi; k *= 2 {
		c, m, ok, err := fits(k)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			hi = k
			break
		}
		lo, best, bestMsg = k, c, m
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		c, m, ok, err := fits(mid)
		if err != nil {
			return nil, "", err
		}
		if ok {
			lo, best, bestMsg = mid, c, m
		} else {
			hi = mid
		}
	}
	return best, bestMsg, nil
}

// withEvents returns a shallow copy of a that keeps only its first k events.
func (a *Alert) withEvents(k int) *Alert {
	if k >= len(a.Events) {
		return a
	}
	c := *a
	c.Events = a.Events[:k:k]
	c.Truncated = true
	return &c
}

func (a *Alert) snsDocument() (string, error) {
	body, err := a.JSON()
	if err != nil {
		return "", fmt.Errorf("alert %s: %w", a.Rule.ID, err)
	}
	doc, err := json.Marshal(snsMessage{Default: string(body), Email: a.Text(), SMS: a.Subject()})
	if err != nil {
		return "", fmt.Errorf("alert %s: sns message: %w", a.Rule.ID, err)
	}
	return string(doc), nil
}
