package cloudtrail

import (
	"strings"
	"testing"
)

func TestEventAccessors(t *testing.T) {
	tests := []struct {
		name        string
		raw         string
		principal   string
		sessionName string
		mfa         string
		accessKey   string
	}{
		{
			name: "IAM user console sign-in without MFA",
			raw: `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::111122223333:user/JohnDoe","accountId":"111122223333","userName":"JohnDoe"},
				"eventTime":"2024-05-01T12:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.110",
				"userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},
				"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"},"eventID":"3fcfb586-ffff-4f8e-9f0b-000000000001","readOnly":false,"eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}`,
			principal: "arn:aws:iam::111122223333:user/JohnDoe", mfa: "No",
		},
		{
			name: "assumed role with an MFA session",
			raw: `{"userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice","arn":"arn:aws:sts::123456789012:assumed-role/Admin/alice","accountId":"123456789012","accessKeyId":"ASIAEXAMPLE",
				"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::123456789012:role/Admin","accountId":"123456789012","userName":"Admin"},
				"attributes":{"creationDate":"2024-05-01T11:00:00Z","mfaAuthenticated":"true"}}},"eventName":"DeleteTrail"}`,
			principal: "arn:aws:sts::123456789012:assumed-role/Admin/alice", sessionName: "alice", mfa: "Yes", accessKey: "ASIAEXAMPLE",
		},
		{
			name: "IAM Identity Center session with an e-mail session name",
			raw: `{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_1b74cd717d47002b/user@example.com",
				"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}}}`,
			principal: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_1b74cd717d47002b/user@example.com", sessionName: "user@example.com", mfa: "No",
		},
		{
			name:      "assumed role without its own ARN",
			raw:       `{"userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0abc","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::123456789012:role/ec2-role","userName":"ec2-role"}}}}`,
			principal: "arn:aws:iam::123456789012:role/ec2-role", sessionName: "i-0abc",
		},
		{
			name:      "assumed role with only the issuer's name",
			raw:       `{"userIdentity":{"accountId":"11111","sessionContext":{"attributes":{"mfaAuthenticated":"true"},"sessionIssuer":{"accountId":"2222","type":"Role","userName":"deploy"}},"type":"AssumedRole"}}`,
			principal: "deploy", mfa: "Yes",
		},
		{
			name:      "root with an ARN",
			raw:       `{"userIdentity":{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012","accessKeyId":""},"additionalEventData":{"MFAUsed":"Yes"}}`,
			principal: "arn:aws:iam::123456789012:root", mfa: "Yes",
		},
		{
			name:      "root without an ARN",
			raw:       `{"userIdentity":{"type":"Root","userName":"root","accountId":"123456789012"}}`,
			principal: "root",
		},
		{
			name:      "AWS service",
			raw:       `{"userIdentity":{"type":"AWSService","invokedBy":"inspector2.amazonaws.com"},"eventType":"AwsServiceEvent"}`,
			principal: "inspector2.amazonaws.com",
		},
		{
			name:      "service event without an identity type",
			raw:       `{"userIdentity":{"accountId":"123837392027","invokedBy":"ec2.amazonaws.com"}}`,
			principal: "ec2.amazonaws.com",
		},
		{
			name:      "SAML user",
			raw:       `{"userIdentity":{"type":"SAMLUser","principalId":"SAMPLE:some.user@example.com","userName":"some.user@example.com","identityProvider":"bdGOnTesti4Example"}}`,
			principal: "some.user@example.com",
		},
		{
			name:      "web identity user without a user name",
			raw:       `{"userIdentity":{"type":"WebIdentityUser","principalId":"accounts.google.com:app.apps.googleusercontent.com:1234567890","identityProvider":"accounts.google.com"}}`,
			principal: "accounts.google.com:app.apps.googleusercontent.com:1234567890",
		},
		{
			name:      "Identity Center user",
			raw:       `{"userIdentity":{"type":"IdentityCenterUser","arn":"","accountId":"123456789012","onBehalfOf":{"userId":"94482488-3041-7026-18f3-be45837cd0e4","identityStoreArn":"arn:aws:identitystore::123456789012:identitystore/d-9067230000"},"credentialId":"EXAMPLE"}}`,
			principal: "94482488-3041-7026-18f3-be45837cd0e4",
		},
		{
			name:      "another account",
			raw:       `{"userIdentity":{"type":"AWSAccount","principalId":"AIDAEXAMPLE:lambda-name","accountId":"111122223333"}}`,
			principal: "AIDAEXAMPLE:lambda-name",
		},
		{
			name:      "federated user",
			raw:       `{"userIdentity":{"type":"FederatedUser","principalId":"123456789012:bob","arn":"arn:aws:sts::123456789012:federated-user/bob","accessKeyId":"ASIAFED"}}`,
			principal: "arn:aws:sts::123456789012:federated-user/bob", accessKey: "ASIAFED",
		},
		{
			name: "no identity",
			raw:  `{"userIdentity":null,"eventName":"x"}`,
		},
		{
			name: "empty identity",
			raw:  `{"userIdentity":{}}`,
		},
		{
			name:      "MFAUsed wins over the session attribute",
			raw:       `{"userIdentity":{"arn":"arn:aws:iam::1:user/a","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"additionalEventData":{"MFAUsed":"Yes"}}`,
			principal: "arn:aws:iam::1:user/a", mfa: "Yes",
		},
		{
			name:      "MFAUsed of an unexpected type is ignored",
			raw:       `{"userIdentity":{"arn":"arn:aws:iam::1:user/a","sessionContext":{"attributes":{"mfaAuthenticated":"TRUE"}}},"additionalEventData":{"MFAUsed":true}}`,
			principal: "arn:aws:iam::1:user/a", mfa: "Yes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEvent([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Principal(); got != tt.principal {
				t.Errorf("Principal() = %q, want %q", got, tt.principal)
			}
			if got := e.SessionName(); got != tt.sessionName {
				t.Errorf("SessionName() = %q, want %q", got, tt.sessionName)
			}
			if got := e.MFAUsed(); got != tt.mfa {
				t.Errorf("MFAUsed() = %q, want %q", got, tt.mfa)
			}
			if got := e.AccessKeyID(); got != tt.accessKey {
				t.Errorf("AccessKeyID() = %q, want %q", got, tt.accessKey)
			}
		})
	}
}

func TestParseEventFields(t *testing.T) {
	raw := `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE","userName":"alice"},
		"eventTime":"2024-05-01T12:01:02Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7",
		"userAgent":"aws-cli/2.15.0","errorCode":"Client.UnauthorizedOperation","errorMessage":"You are not authorized to perform this operation.",
		"requestParameters":{"groupId":"sg-0123","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22}]}},"responseElements":null,
		"requestID":"req-1","eventID":"evt-1","readOnly":false,"resources":[{"ARN":"arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123","accountId":"123456789012","type":"AWS::EC2::SecurityGroup"}],
		"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}`
	e, err := ParseEvent([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{
		EventVersion: "1.09", EventID: "evt-1", EventTime: "2024-05-01T12:01:02Z", EventSource: "ec2.amazonaws.com",
		EventName: "AuthorizeSecurityGroupIngress", EventType: "AwsApiCall", EventCategory: "Management", AWSRegion: "eu-west-1",
		RecipientAccountID: "123456789012", SourceIPAddress: "198.51.100.7", UserAgent: "aws-cli/2.15.0",
		ErrorCode: "Client.UnauthorizedOperation", ErrorMessage: "You are not authorized to perform this operation.", RequestID: "req-1",
		UserIdentity: UserIdentity{Type: "IAMUser", PrincipalID: "AIDAEXAMPLE", ARN: "arn:aws:iam::123456789012:user/alice",
			AccountID: "123456789012", AccessKeyID: "AKIAEXAMPLE", UserName: "alice"},
	}
	got := *e
	if string(got.RequestParameters) != `{"groupId":"sg-0123","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22}]}}` {
		t.Errorf("RequestParameters = %s", got.RequestParameters)
	}
	if string(got.ResponseElements) != "null" || got.AdditionalEventData != nil {
		t.Errorf("ResponseElements = %s, AdditionalEventData = %s", got.ResponseElements, got.AdditionalEventData)
	}
	if len(got.Resources) != 1 || got.Resources[0].Type != "AWS::EC2::SecurityGroup" || got.Resources[0].AccountID != "123456789012" {
		t.Errorf("Resources = %+v", got.Resources)
	}
	got.RequestParameters, got.ResponseElements, got.Resources = nil, nil, nil
	if got.UserIdentity != want.UserIdentity || got.EventName != want.EventName || got.ErrorMessage != want.ErrorMessage ||
		got.EventVersion != want.EventVersion || got.RequestID != want.RequestID || got.EventCategory != want.EventCategory ||
		got.SourceIPAddress != want.SourceIPAddress || got.RecipientAccountID != want.RecipientAccountID || got.ReadOnly {
		t.Errorf("ParseEvent\n got %+v\nwant %+v", got, want)
	}
}

// TestParseEventLenient: odd field types, seen in real samples, leave those
// fields empty instead of failing the event.
func TestParseEventLenient(t *testing.T) {
	raw := `{"eventName":"GetObject","readOnly":"true","errorCode":200,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a","invokedBy":null,"sessionContext":{"attributes":{"mfaAuthenticated":true}}},"resources":"none","eventID":"e"}`
	e, err := ParseEvent([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if e.EventName != "GetObject" || e.EventID != "e" || e.Principal() != "arn:aws:iam::1:user/a" || e.ErrorCode != "" || e.ReadOnly || e.MFAUsed() != "" {
		t.Errorf("got %+v", e)
	}
}

func TestParseEventErrors(t *testing.T) {
	for _, raw := range []string{``, `  `, `[1,2]`, `"x"`, `null`, `{"a":`, `{"a":1}}`, `{"a" 1}`} {
		if e, err := ParseEvent([]byte(raw)); err == nil {
			t.Errorf("ParseEvent(%q) = %+v, want an error", raw, e)
		} else if !strings.HasPrefix(err.Error(), "cloudtrail: ") {
			t.Errorf("ParseEvent(%q) error %q lacks the package prefix", raw, err)
		}
	}
}
