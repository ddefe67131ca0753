package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Event is one CloudTrail event, decoded for display. It is meant for the
// few events a rule matched, not for the scan itself. Fields absent from the
// record are empty.
type Event struct {
	EventVersion        string          `json:"eventVersion"`
	EventID             string          `json:"eventID"`
	EventTime           string          `json:"eventTime"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	EventType           string          `json:"eventType"`
	EventCategory       string          `json:"eventCategory"`
	AWSRegion           string          `json:"awsRegion"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	SourceIPAddress     string          `json:"sourceIPAddress"`
	UserAgent           string          `json:"userAgent"`
	ErrorCode           string          `json:"errorCode"`
	ErrorMessage        string          `json:"errorMessage"`
	RequestID           string          `json:"requestID"`
	ReadOnly            bool            `json:"readOnly"`
	UserIdentity        UserIdentity    `json:"userIdentity"`
	Resources           []Resource      `json:"resources"`
	RequestParameters   json.RawMessage `json:"requestParameters"`
	ResponseElements    json.RawMessage `json:"responseElements"`
	AdditionalEventData json.RawMessage `json:"additionalEventData"`
}

// UserIdentity says who made the request.
type UserIdentity struct {
	Type             string         `json:"type"` // Root, IAMUser, AssumedRole, FederatedUser, AWSService, AWSAccount, SAMLUser, WebIdentityUser, IdentityCenterUser, Unknown
	PrincipalID      string         `json:"principalId"`
	ARN              string         `json:"arn"`
	AccountID        string         `json:"accountId"`
	AccessKeyID      string         `json:"accessKeyId"`
	UserName         string         `json:"userName"`
	InvokedBy        string         `json:"invokedBy"`        // the AWS service that made the request on the principal's behalf
	IdentityProvider string         `json:"identityProvider"` // SAML and web identity federation
	OnBehalfOf       OnBehalfOf     `json:"onBehalfOf"`       // IAM Identity Center users
	SessionContext   SessionContext `json:"sessionContext"`
}

// OnBehalfOf names the IAM Identity Center user behind a request.
type OnBehalfOf struct {
	UserID           string `json:"userId"`
	IdentityStoreARN string `json:"identityStoreArn"`
}

// SessionContext describes the temporary credentials used, if any.
type SessionContext struct {
	Attributes    SessionAttributes `json:"attributes"`
	SessionIssuer SessionIssuer     `json:"sessionIssuer"`
}

// SessionAttributes are the attributes of a session's credentials.
type SessionAttributes struct {
	MFAAuthenticated string `json:"mfaAuthenticated"` // "true" or "false"
	CreationDate     string `json:"creationDate"`
}

// SessionIssuer is the role or user whose credentials the session came from.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// Resource is one entry of the event's resources list.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// ParseEvent decodes one raw record. It fails only when raw is not a JSON
// object; a field holding an unexpected JSON type (a number where a string
// belongs, say) is left empty so that a matched event can always be shown.
func ParseEvent(raw []byte) (*Event, error) {
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("cloudtrail: event is not a JSON object")
	}
	var e Event
	if err := json.Unmarshal(raw, &e); err != nil {
		// Unmarshal completes the rest of the decoding after a type mismatch
		// and reports the first one; every field it could fill is filled.
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			return nil, fmt.Errorf("cloudtrail: decode event: %w", err)
		}
	}
	return &e, nil
}

// Principal names who acted, as precisely as the record allows: the
// identity's ARN, else the ARN of the role or user that issued the session,
// else by identity type the invoking service (AWSService), the user name or
// principal ID (SAML and web identity federation), the Identity Center user
// ID, or "root"; failing all that the first of user name, principal ID,
// issuer name, invoking service and account ID that is present.
func (e *Event) Principal() string {
	u := &e.UserIdentity
	if u.ARN != "" {
		return u.ARN
	}
	if u.SessionContext.SessionIssuer.ARN != "" {
		return u.SessionContext.SessionIssuer.ARN
	}
	switch u.Type {
	case "AWSService":
		if u.InvokedBy != "" {
			return u.InvokedBy
		}
	case "SAMLUser", "WebIdentityUser":
		if u.UserName != "" {
			return u.UserName
		}
		if u.PrincipalID != "" {
			return u.PrincipalID
		}
	case "IdentityCenterUser":
		if u.OnBehalfOf.UserID != "" {
			return u.OnBehalfOf.UserID
		}
	case "Root":
		return "root"
	}
	for _, s := range []string{u.UserName, u.PrincipalID, u.SessionContext.SessionIssuer.UserName, u.InvokedBy, u.AccountID} {
		if s != "" {
			return s
		}
	}
	return ""
}

// SessionName returns the role session name of an assumed-role identity:
// the part of its ARN after the last '/', or of its principal ID after the
// ':' when there is no ARN. It is empty for other identities.
func (e *Event) SessionName() string {
	u := &e.UserIdentity
	if strings.Contains(u.ARN, ":assumed-role/") {
		return u.ARN[strings.LastIndexByte(u.ARN, '/')+1:]
	}
	if u.ARN == "" && u.Type == "AssumedRole" {
		if _, session, ok := strings.Cut(u.PrincipalID, ":"); ok {
			return session
		}
	}
	return ""
}

// AccessKeyID returns the access key the request was signed with, if any.
func (e *Event) AccessKeyID() string { return e.UserIdentity.AccessKeyID }

// MFAUsed says whether multi-factor authentication was used: the
// additionalEventData.MFAUsed of a console sign-in ("Yes" or "No" as
// CloudTrail wrote it), else the session's mfaAuthenticated attribute as
// "Yes" or "No", else "" when the record does not say.
func (e *Event) MFAUsed() string {
	var extra struct {
		MFAUsed string `json:"MFAUsed"`
	}
	if len(e.AdditionalEventData) > 0 && json.Unmarshal(e.AdditionalEventData, &extra) == nil && extra.MFAUsed != "" {
		return extra.MFAUsed
	}
	switch strings.ToLower(e.UserIdentity.SessionContext.Attributes.MFAAuthenticated) {
	case "true":
		return "Yes"
	case "false":
		return "No"
	}
	return ""
}
