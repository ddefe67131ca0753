// Package stack defines the trailwatch CloudFormation stack: a multi-Region
// CloudTrail trail writing to a locked, encrypted bucket (or an existing trail
// bucket), the detector Lambda that scans each delivered log file, the alert
// topic, and the alarms that watch the detector itself.
package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// New adds the trailwatch stack to scope. cfg must come from ParseConfig.
func New(scope constructs.Construct, id string, cfg Config, props *awscdk.StackProps) awscdk.Stack {
	if props == nil {
		props = &awscdk.StackProps{}
	}
	if props.Description == nil {
		props.Description = jsii.String("trailwatch: CIS AWS Foundations 3.1-3.14 monitoring alerts from CloudTrail log files")
	}
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	awscdk.Tags_Of(stack).Add(jsii.String("project"), jsii.String("trailwatch"), nil)

	key := newOperationsKey(stack)
	topic := newAlertTopic(stack, key, cfg.AlertEmails)
	role := newDetectorRole(stack)

	var archive *logArchive
	if cfg.UsesExistingBucket() {
		archive = importLogArchive(stack, cfg)
	} else {
		archive = newLogArchive(stack, cfg, role)
	}
	state := newStateTable(stack)
	det := newDetector(stack, detectorProps{Config: cfg, Role: role, Archive: archive, Topic: topic, Key: key, State: state})
	newAlarms(stack, cfg, det, topic)
	if cfg.CloudWatchCompat {
		addCloudWatchCompat(stack, archive, topic, key)
	}

	output(stack, "AlertTopicArn", topic.TopicArn(), "SNS topic of the alerts: subscribe further endpoints here")
	output(stack, "LogBucketName", archive.Bucket.BucketName(), "bucket holding the CloudTrail log files")
	output(stack, "FailureQueueUrl", det.FailureQueue.QueueUrl(), "log files the detector gave up on, for trailwatch replay")
	output(stack, "DetectorFunctionName", det.Function.FunctionName(), "the detector Lambda function")
	output(stack, "StateTableName", state.TableName(), "threshold counts and sent alerts of the detector")
	if archive.Trail != nil {
		output(stack, "TrailArn", jsii.String(archive.TrailARN), "the multi-Region trail")
	}
	return stack
}

func output(stack awscdk.Stack, id string, value *string, description string) {
	awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
}
