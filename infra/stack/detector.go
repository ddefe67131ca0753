package stack

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Asynchronous invocation settings: S3 and EventBridge invoke the detector
// asynchronously; a file that still fails after the retries lands in the
// failure queue, from where `trailwatch replay` picks it up.
const (
	retryAttempts   = 2
	maxEventAgeHour = 6
	failureQueueDay = 14
)

// logSuffix is the suffix of CloudTrail log files (digests share it).
const logSuffix = ".json.gz"

// detector is the function that scans every delivered log file.
type detector struct {
	Function     awslambda.Function
	FailureQueue awssqs.Queue
	LogGroup     awslogs.LogGroup
	Policy       awsiam.ManagedPolicy
}

// newDetectorRole creates the detector's execution role, without policies:
// newDetector attaches exactly the permissions it needs.
func newDetectorRole(scope constructs.Construct) awsiam.Role {
	return awsiam.NewRole(scope, jsii.String("DetectorRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("trailwatch detector: reads CloudTrail log files, publishes alerts"),
	})
}

// detectorProps wires the detector to the resources it reads and writes.
type detectorProps struct {
	Config  Config
	Role    awsiam.Role
	Archive *logArchive
	Topic   awssns.ITopic
	Key     awskms.IKey        // the operations key: topic, failure queue, log group
	State   awsdynamodb.ITable // threshold counts and sent alerts
}

func newDetector(scope constructs.Construct, p detectorProps) *detector {
	cfg := p.Config
	queue := awssqs.NewQueue(scope, jsii.String("FailureQueue"), &awssqs.QueueProps{
		Encryption:          awssqs.QueueEncryption_KMS,
		EncryptionMasterKey: p.Key,
		EnforceSSL:          jsii.Bool(true),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(failureQueueDay)),
	})
	suppress(queue, "AwsSolutions-SQS3",
		"this queue is the detector's on-failure destination, the end of the retry chain; "+
			"its messages are replayed with `trailwatch replay` and an alarm fires as soon as one arrives")

	logGroup := awslogs.NewLogGroup(scope, jsii.String("DetectorLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: p.Key,
		Retention:     awslogs.RetentionDays_ONE_YEAR,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	policy := newDetectorPolicy(scope, p, queue, logGroup)

	props := &awslambda.FunctionProps{
		Description:  jsii.String("trailwatch detector: evaluates each delivered CloudTrail log file against the CIS monitoring rules"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String(BootstrapName),
		Code:         awslambda.Code_FromAsset(jsii.String(cfg.LambdaAssetDir), nil),
		// Every permission is in the managed policy above; CDK's automatic
		// grants (for the failure destination) would add an inline policy with
		// wildcard KMS actions.
		Role:                  p.Role.WithoutPolicyUpdates(nil),
		MemorySize:            jsii.Number(float64(cfg.LambdaMemoryMB)),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(float64(cfg.LambdaTimeoutSeconds))),
		LogGroup:              logGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: applicationLogLevel(cfg.LogLevel),
		Environment: &map[string]*string{
			"ALERT_TOPIC_ARN":  p.Topic.TopicArn(),
			"EVENTS_PER_ALERT": jsii.String(strconv.Itoa(cfg.EventsPerAlert)),
			"LOG_LEVEL":        jsii.String(cfg.LogLevel),
			"STATE_TABLE_NAME": p.State.TableName(),
		},
		RetryAttempts: jsii.Number(retryAttempts),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(maxEventAgeHour)),
		OnFailure:     awslambdadestinations.NewSqsDestination(queue),
	}
	if cfg.ReservedConcurrency > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(float64(cfg.ReservedConcurrency))
	}
	fn := awslambda.NewFunction(scope, jsii.String("Detector"), props)
	// Lambda checks the destination permission when the invoke configuration is
	// created, and the first file must not arrive before the role can read it.
	fn.Node().AddDependency(policy)
	suppress(fn, "PCI.DSS.321-LambdaInsideVPC",
		"the detector has no inbound surface and talks only to AWS APIs (S3, KMS, SNS, SQS, CloudWatch Logs); "+
			"a VPC would need a NAT gateway or five interface endpoints for no gain in isolation")

	subscribe(scope, cfg, p.Archive, fn)
	return &detector{Function: fn, FailureQueue: queue, LogGroup: logGroup, Policy: policy}
}

// newDetectorPolicy lists every permission of the detector: no wildcard
// actions, and resources named one by one.
func newDetectorPolicy(scope constructs.Construct, p detectorProps, queue awssqs.IQueue, logGroup awslogs.ILogGroup) awsiam.ManagedPolicy {
	logObjects := p.Archive.Bucket.ArnForObjects(jsii.String(p.Archive.logObjectsPattern()))
	statements := []awsiam.PolicyStatement{
		statement("ReadCloudTrailLogFiles", []string{"s3:GetObject"}, logObjects),
		// Without it S3 answers a GetObject of a deleted file with AccessDenied instead of
		// NoSuchKey, and the missing-log-file alert never fires. It is not narrowed with an
		// s3:prefix condition: a GetObject request carries no s3:prefix for such a condition to
		// match, so the narrowed grant would not change that answer.
		statement("TellMissingLogFiles", []string{"s3:ListBucket"}, p.Archive.Bucket.BucketArn()),
		statement("KeepDetectionState", stateActions, p.State.TableArn()),
		statement("PublishAlerts", []string{"sns:Publish"}, p.Topic.TopicArn()),
		statement("SendFailedEvents", []string{"sqs:SendMessage"}, queue.QueueArn()),
		// SNS and SQS encrypt with the operations key on the publisher's behalf.
		statement("EncryptAlertsAndFailedEvents", []string{"kms:GenerateDataKey", "kms:Decrypt"}, p.Key.KeyArn()),
		statement("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, logGroup.LogGroupArn()),
	}
	if p.Archive.KeyARN != "" {
		statements = append(statements,
			statement("DecryptCloudTrailLogFiles", []string{"kms:Decrypt"}, jsii.String(p.Archive.KeyARN)))
	}
	policy := awsiam.NewManagedPolicy(scope, jsii.String("DetectorPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("trailwatch detector: least privilege"),
		Roles:       &[]awsiam.IRole{p.Role},
		Statements:  &statements,
	})
	suppress(policy, "AwsSolutions-IAM5",
		"s3:GetObject is limited to the CloudTrail log files of the trail bucket; their keys contain the account, "+
			"Region and date, so the resource needs a wildcard",
		regexAppliesTo(`^Resource::.+/`+regexp.QuoteMeta(p.Archive.logObjectsPattern())+`$`))
	return policy
}

func statement(sid string, actions []string, resource *string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: &[]*string{resource},
	})
}

// subscribe makes every new CloudTrail log file invoke the detector.
func subscribe(scope constructs.Construct, cfg Config, archive *logArchive, fn awslambda.IFunction) {
	if archive.Managed {
		// Only this trail writes here, so the account is known: the prefix
		// leaves out CloudTrail-Digest/ and CloudTrail-Insight/.
		prefix := archive.KeyPrefix + "AWSLogs/" + *awscdk.Aws_ACCOUNT_ID() + "/CloudTrail/"
		addObjectCreatedNotification(scope, archive.Bucket, fn, prefix)
		return
	}
	switch cfg.ExistingTrailBucketTrigger {
	case TriggerEventBridge:
		addEventBridgeRule(scope, archive, fn)
	default:
		// An organization trail writes AWSLogs/<org-id>/<account>/…, so the
		// prefix cannot name the account; the detector skips digest keys itself.
		addObjectCreatedNotification(scope, archive.Bucket, fn, archive.KeyPrefix+"AWSLogs/")
	}
}

func addObjectCreatedNotification(scope constructs.Construct, bucket awss3.IBucket, fn awslambda.IFunction, prefix string) {
	bucket.AddEventNotification(awss3.EventType_OBJECT_CREATED,
		awss3notifications.NewLambdaDestination(fn),
		&awss3.NotificationKeyFilter{Prefix: jsii.String(prefix), Suffix: jsii.String(logSuffix)})
	suppressNotificationsHandler(scope)
}

// addEventBridgeRule subscribes the detector to the existing bucket's "Object
// Created" events on the default event bus. It needs EventBridge notifications
// switched on for that bucket, and leaves the bucket's own notification
// configuration untouched.
func addEventBridgeRule(scope constructs.Construct, archive *logArchive, fn awslambda.IFunction) {
	rule := awsevents.NewRule(scope, jsii.String("TrailObjectCreated"), &awsevents.RuleProps{
		Description: jsii.String("trailwatch: a CloudTrail log file was delivered to " + *archive.Bucket.BucketName()),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.s3"),
			DetailType: jsii.Strings("Object Created"),
			Detail: &map[string]any{
				"bucket": map[string]any{"name": []any{*archive.Bucket.BucketName()}},
				"object": map[string]any{"key": []any{
					map[string]any{"wildcard": escapeWildcard(archive.KeyPrefix) + "AWSLogs/*/CloudTrail/*" + logSuffix},
				}},
			},
		},
	})
	rule.AddTarget(awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
		RetryAttempts: jsii.Number(retryAttempts),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(maxEventAgeHour)),
	}))
}

// escapeWildcard quotes the characters EventBridge wildcard patterns treat specially.
func escapeWildcard(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`).Replace(s)
}

// applicationLogLevel is Lambda's own filter on the function's log lines. It
// never drops INFO: the EMF metric lines carry no "level", Lambda rates them
// INFO, and a WARN or ERROR filter would discard the metrics the dead-man's
// switch and the unreadable-files alarm depend on. The function applies
// LOG_LEVEL to its own log lines itself.
func applicationLogLevel(level string) awslambda.ApplicationLogLevel {
	if level == "debug" {
		return awslambda.ApplicationLogLevel_DEBUG
	}
	return awslambda.ApplicationLogLevel_INFO
}
