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
		EventID:            cleanLine(e.EventID, maxShort),
		EventTime:          cleanLine(e.EventTime, maxShort),
		EventSource:        cleanLine(e.EventSource, maxShort),
		EventName:          cleanLine(e.EventName, maxShort),
		AWSRegion:          cleanLine(e.AWSRegion, maxShort),
		RecipientAccountID: cleanLine(e.RecipientAccountID, maxShort),
		SourceIPAddress:    cleanLine(e.SourceIPAddress, maxShort),
		UserAgent:          cleanLine(e.UserAgent, maxAgent),
		Principal:          cleanLine(e.Principal(), maxARN),
		ErrorCode:          cleanLine(e.ErrorCode, maxShort),
		ErrorMessage:       cleanLine(e.ErrorMessage, maxMessage),
		UserIdentityType:   cleanLine(id.Type, maxShort),
		UserName:           cleanLine(id.UserName, maxShort),
		SessionName:        cleanLine(e.SessionName(), maxShort),
		AccessKeyID:        cleanLine(e.AccessKeyID(), maxShort),
		MFAUsed:            yesNo(e.MFAUsed()),
		ReadOnly:           e.ReadOnly,
		RequestParameters:  selectParams(e.EventName, e.RequestParameters),
	}
	if out.RecipientAccountID == "" {
		out.RecipientAccountID = cleanLine(id.AccountID, maxShort)
	}
	out.ConsoleURL = ConsoleURL(out.AWSRegion, out.EventID)
	return out
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
