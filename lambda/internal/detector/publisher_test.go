package detector

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/lambda/alert"
)

// publishFunc is a fake SNS client.
type publishFunc func(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)

func (f publishFunc) Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return f(ctx, in, optFns...)
}

const rootLogin = `{"eventVersion":"1.10","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventTime":"2026-11-24T10:03:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.200","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"},"eventID":"3f1e2d4c-5b6a-4789-8a0b-1c2d3e4f5a6b","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

func rootAlert(n int) *alert.Alert {
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = []byte(rootLogin)
	}
	return alert.New(alert.Rule{ID: "cis-3.3", Title: "Root account used", Severity: "critical"},
		alert.Object{Bucket: "trail-logs-111122223333", Key: logKey}, n, raws)
}

func TestSNSPublisher(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:111122223333:alerts"
	var got *sns.PublishInput
	p := &SNSPublisher{TopicARN: topic, API: publishFunc(func(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
		got = in
		return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
	})}
	a := rootAlert(2)
	pub, err := p.Publish(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if pub != (Published{MessageID: "m-1", Events: 2}) {
		t.Errorf("Publish = %+v", pub)
	}
	if aws.ToString(got.TopicArn) != topic || aws.ToString(got.MessageStructure) != "json" || aws.ToString(got.Subject) != a.Subject() {
		t.Errorf("input = topic %q structure %q subject %q", aws.ToString(got.TopicArn), aws.ToString(got.MessageStructure), aws.ToString(got.Subject))
	}
	var structure map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(got.Message)), &structure); err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := a.JSON()
	if structure["default"] != string(wantJSON) || structure["email"] != a.Text() {
		t.Errorf("message = %v, want the alert JSON as default and its text as email", structure)
	}
	want := map[string]string{"rule": "cis-3.3", "severity": "critical", "account": "111122223333"}
	if len(got.MessageAttributes) != len(want) {
		t.Errorf("attributes = %v", got.MessageAttributes)
	}
	for k, v := range want {
		attr := got.MessageAttributes[k]
		if aws.ToString(attr.DataType) != "String" || aws.ToString(attr.StringValue) != v {
			t.Errorf("attribute %s = %s %s, want String %s", k, aws.ToString(attr.DataType), aws.ToString(attr.StringValue), v)
		}
	}
}

func TestSNSPublisher_trimsToLimit(t *testing.T) {
	var size int
	p := &SNSPublisher{TopicARN: "arn:aws:sns:us-east-1:1:a", Limit: 16 * 1024, API: publishFunc(func(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
		size = len(aws.ToString(in.Message))
		return &sns.PublishOutput{MessageId: aws.String("m-2")}, nil
	})}
	pub, err := p.Publish(context.Background(), rootAlert(40))
	if err != nil {
		t.Fatal(err)
	}
	if size > 16*1024 || !pub.Truncated || pub.Events == 0 || pub.Events >= 40 {
		t.Errorf("message of %d bytes, %+v; want at most 16 KiB, some events, truncated", size, pub)
	}
}

func TestSNSPublisher_operationalWithoutAccount(t *testing.T) {
	var got *sns.PublishInput
	p := &SNSPublisher{TopicARN: "arn:aws:sns:us-east-1:1:a", API: publishFunc(func(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
		got = in
		return &sns.PublishOutput{MessageId: aws.String("m-3")}, nil
	})}
	a := alert.Operational(alert.MissingLogFile, "CloudTrail log file missing", "medium", alert.Object{Bucket: "b-1", Key: "stray/object.json.gz"}, "gone")
	if _, err := p.Publish(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if _, ok := got.MessageAttributes["account"]; ok {
		t.Errorf("attributes = %v: an empty account must be left out (SNS rejects empty values)", got.MessageAttributes)
	}
	if v := aws.ToString(got.MessageAttributes["rule"].StringValue); v != "trailwatch/missing-log-file" {
		t.Errorf("rule attribute = %q", v)
	}
}

func TestSNSPublisher_error(t *testing.T) {
	boom := errors.New("throttled for good")
	p := &SNSPublisher{TopicARN: "arn:aws:sns:us-east-1:1:a", API: publishFunc(func(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
		return nil, boom
	})}
	_, err := p.Publish(context.Background(), rootAlert(1))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "publish cis-3.3 for s3://trail-logs-111122223333/") {
		t.Errorf("error = %v, want it to wrap the SNS error and name the rule and file", err)
	}
}
