package detector

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/trailwatch/trailwatch/lambda/alert"
)

// SNSPublishAPI is the one SNS call the detector makes; *sns.Client implements it.
type SNSPublishAPI interface {
	Publish(ctx context.Context, params *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ SNSPublishAPI = (*sns.Client)(nil)

// Published describes an alert SNS accepted.
type Published struct {
	MessageID string
	Events    int  // events in the message, after any trimming to fit the size limit
	Truncated bool // the message lists fewer events than matched
}

// SNSPublisher publishes alerts to one topic: one Publish per alert with MessageStructure=json
// (e-mail text for "email", the alert JSON for "default") and the rule id, severity and account
// as message attributes that subscription filter policies can select on.
type SNSPublisher struct {
	API      SNSPublishAPI
	TopicARN string
	// Limit is the largest message, in bytes; alert.SNSMessageLimit when zero.
	Limit int
}

// Publish sends a. Throttling and server errors have already been retried by the SDK when it
// returns an error.
func (p *SNSPublisher) Publish(ctx context.Context, a *alert.Alert) (Published, error) {
	limit := p.Limit
	if limit == 0 {
		limit = alert.SNSMessageLimit
	}
	msg, err := a.SNSMessage(limit)
	if err != nil {
		return Published{}, fmt.Errorf("publish %s for %s: %w", a.Rule.ID, a.Object, err)
	}
	out, err := p.API.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(p.TopicARN),
		Subject:           aws.String(a.Subject()),
		Message:           aws.String(msg),
		MessageStructure:  aws.String("json"),
		MessageAttributes: messageAttributes(a),
	})
	if err != nil {
		return Published{}, fmt.Errorf("publish %s for %s: %w", a.Rule.ID, a.Object, err)
	}
	pub := Published{MessageID: aws.ToString(out.MessageId), Events: len(a.Events), Truncated: a.Truncated}
	if sent, ok := sentEvents(msg); ok {
		pub.Events, pub.Truncated = sent.events, sent.truncated
	}
	return pub, nil
}

// messageAttributes returns the String attributes rule, severity and account; SNS rejects empty
// values, so missing ones are left out.
func messageAttributes(a *alert.Alert) map[string]types.MessageAttributeValue {
	attrs := map[string]types.MessageAttributeValue{}
	for name, value := range map[string]string{"rule": a.Rule.ID, "severity": a.Rule.Severity, "account": a.Account} {
		if value != "" {
			attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(value)}
		}
	}
	return attrs
}

type sentSummary struct {
	events    int
	truncated bool
}

// sentEvents reads back how many events the message kept after trimming to the size limit.
func sentEvents(msg string) (sentSummary, bool) {
	var structure struct {
		Default string `json:"default"`
	}
	var doc struct {
		Events    []json.RawMessage `json:"events"`
		Truncated bool              `json:"truncated"`
	}
	if json.Unmarshal([]byte(msg), &structure) != nil || json.Unmarshal([]byte(structure.Default), &doc) != nil {
		return sentSummary{}, false
	}
	return sentSummary{events: len(doc.Events), truncated: doc.Truncated}, true
}
