package alert

import (
	"strings"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
)

// Event is one matching CloudTrail event, reduced to what a responder needs
// and cleaned for display.
type Event struct {
	EventID            string `json:"eventID"`
	EventTime          string `json:"eventTime"`
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	AWSRegion          string `json:"awsRegion"`
	RecipientAccountID string `json:"recipientAccountId"`
	SourceIPAddress    string `json:"sourceIPAddress"`
	UserAgent          string `json:"userAgent"`
	// Principal is the caller's ARN, or the best name CloudTrail gives.
	Principal    string `json:"principal"`
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
	// ConsoleURL opens the event in the CloudTrail console.
	ConsoleURL string `json:"consoleURL"`

	UserIdentityType string `json:"userIdentityType,omitempty"`
	UserName         string `json:"userName,omitempty"`
	// SessionName is the role session name of an assumed role.
	SessionName string `json:"sessionName,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// MFAUsed is "yes", "no", or empty when the record does not say.
	MFAUsed string `json:"mfaUsed,omitempty"`
	// ReadOnly is CloudTrail's readOnly flag: false also when the record lacks it.
	ReadOnly bool `json:"readOnly"`
	// RequestParameters holds the few request parameters that matter most
	// for the event, summarised and cleaned, in order of relevance.
	RequestParameters Params `json:"requestParameters,omitempty"`
}

// newEvent reduces a parsed CloudTrail event to an alert Event.
func newEvent(e *cloudtrail.Event) Event {
	id := e.UserIdentity
	out := Event{
		EventID:            e.EventID,
		EventTime:          e.EventTime,
		EventSource:        e.EventSource,
		EventName:          e.EventName,
		AWSRegion:          e.AWSRegion,
		RecipientAccountID: e.RecipientAccountID,
		SourceIPAddress:    e.SourceIPAddress,
		UserAgent:          e.UserAgent,
		Principal:          e.Principal(),
		ErrorCode:          e.ErrorCode,
		ErrorMessage:       e.ErrorMessage,
		UserIdentityType:   id.Type,
		UserName:           id.UserName,
		SessionName:        e.SessionName(),
		AccessKeyID:        e.AccessKeyID(),
		MFAUsed:            yesNo(e.MFAUsed()),
		ReadOnly:           e.ReadOnly,
		RequestParameters:  selectParams(e.EventName, e.RequestParameters),
	}
	if out.RecipientAccountID == "" {
		out.RecipientAccountID = id.AccountID
	}
	out = out.clean()
	out.ConsoleURL = ConsoleURL(out.AWSRegion, out.EventID)
	return out
}

// clean returns e with every text field cleaned and cut to its cap. It is
// idempotent, so renderings apply it again to alerts built by hand or read
// back from JSON.
func (e Event) clean() Event {
	e.EventID = cleanLine(e.EventID, maxShort)
	e.EventTime = cleanLine(e.EventTime, maxShort)
	e.EventSource = cleanLine(e.EventSource, maxShort)
	e.EventName = cleanLine(e.EventName, maxShort)
	e.AWSRegion = cleanLine(e.AWSRegion, maxShort)
	e.RecipientAccountID = cleanLine(e.RecipientAccountID, maxShort)
	e.SourceIPAddress = cleanLine(e.SourceIPAddress, maxShort)
	e.UserAgent = cleanLine(e.UserAgent, maxAgent)
	e.Principal = cleanLine(e.Principal, maxARN)
	e.ErrorCode = cleanLine(e.ErrorCode, maxShort)
	e.ErrorMessage = cleanLine(e.ErrorMessage, maxMessage)
	e.ConsoleURL = cleanLine(e.ConsoleURL, maxURL)
	e.UserIdentityType = cleanLine(e.UserIdentityType, maxShort)
	e.UserName = cleanLine(e.UserName, maxShort)
	e.SessionName = cleanLine(e.SessionName, maxShort)
	e.AccessKeyID = cleanLine(e.AccessKeyID, maxShort)
	e.MFAUsed = cleanLine(e.MFAUsed, maxShort)
	if e.RequestParameters != nil {
		ps := make(Params, 0, min(len(e.RequestParameters), maxParams))
		for _, p := range e.RequestParameters[:min(len(e.RequestParameters), maxParams)] {
			ps = append(ps, Param{Name: cleanLine(p.Name, maxShort), Value: cleanLine(p.Value, maxValue)})
		}
		e.RequestParameters = ps
	}
	return e
}

// yesNo normalises the spellings CloudTrail uses for a flag ("Yes", "true").
func yesNo(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true":
		return "yes"
	case "no", "false":
		return "no"
	}
	return ""
}
