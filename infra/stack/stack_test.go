package stack

import (
	"debug/elf"
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// trailARN is how the template spells the ARN of the stack's trail.
var trailARN = map[string]any{"Fn::Join": []any{"", []any{
	"arn:", ref("AWS::Partition"), ":cloudtrail:", ref("AWS::Region"), ":", ref("AWS::AccountId"),
	":trail/" + testStackName + "-trail",
}}}

func TestTrail(t *testing.T) {
	s := synthDefault(t)
	s.count(t, "AWS::CloudTrail::Trail", 1)
	key := s.logicalID(t, "AWS::KMS::Key", "TrailKey")
	bucket := s.logicalID(t, "AWS::S3::Bucket", "TrailBucket")
	s.hasProps(t, "multi-Region trail with validation and all management events", "AWS::CloudTrail::Trail", map[string]any{
		"TrailName":                  testStackName + "-trail",
		"IsLogging":                  true,
		"IsMultiRegionTrail":         true,
		"IncludeGlobalServiceEvents": true,
		"EnableLogFileValidation":    true,
		"KMSKeyId":                   getAtt(key, "Arn"),
		"S3BucketName":               ref(bucket),
		"S3KeyPrefix":                absent(),
		"EventSelectors":             []any{map[string]any{"IncludeManagementEvents": true, "ReadWriteType": "All"}},
		"AdvancedEventSelectors":     absent(),
	})
	expect(t, "trail created after its bucket policy", func() {
		s.Template.HasResource(jsii.String("AWS::CloudTrail::Trail"), map[string]any{
			"DependsOn": arrayWith(like("^TrailBucketPolicy")),
		})
	})
	expect(t, "trail ARN output", func() { s.Template.HasOutput(jsii.String("TrailArn"), map[string]any{"Value": trailARN}) })
}

func TestTrail_s3WriteDataEvents(t *testing.T) {
	s := synthStrict(t)
	trailBucket := s.logicalID(t, "AWS::S3::Bucket", "TrailBucket")
	accessLogs := s.logicalID(t, "AWS::S3::Bucket", "AccessLogBucket")
	ownBucket := func(id string) map[string]any {
		return map[string]any{"Fn::Join": []any{"", []any{getAtt(id, "Arn"), "/"}}}
	}
	s.hasProps(t, "advanced selectors: all management events and S3 writes outside the stack's buckets", "AWS::CloudTrail::Trail", map[string]any{
		"S3KeyPrefix":    "audit",
		"EventSelectors": absent(),
		"AdvancedEventSelectors": []any{
			map[string]any{"FieldSelectors": []any{map[string]any{"Field": "eventCategory", "Equals": []any{"Management"}}}},
			map[string]any{"FieldSelectors": []any{
				map[string]any{"Field": "eventCategory", "Equals": []any{"Data"}},
				map[string]any{"Field": "resources.type", "Equals": []any{"AWS::S3::Object"}},
				map[string]any{"Field": "readOnly", "Equals": []any{"false"}},
				map[string]any{"Field": "resources.ARN", "NotStartsWith": []any{ownBucket(trailBucket), ownBucket(accessLogs)}},
			}},
		},
	})
}

func TestKeys(t *testing.T) {
	s := synthDefault(t)
	s.count(t, "AWS::KMS::Key", 2)
	role := s.logicalID(t, "AWS::IAM::Role", "DetectorRole")
	for id, key := range s.resources("AWS::KMS::Key") {
		props := key["Properties"].(map[string]any)
		if props["EnableKeyRotation"] != true {
			t.Errorf("key %s: EnableKeyRotation = %v, want true", id, props["EnableKeyRotation"])
		}
		if key["DeletionPolicy"] != "Retain" || key["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("key %s: DeletionPolicy %v, UpdateReplacePolicy %v, want Retain", id, key["DeletionPolicy"], key["UpdateReplacePolicy"])
		}
	}
	cloudtrail := map[string]any{"Service": "cloudtrail.amazonaws.com"}
	s.hasProps(t, "trail key policy lets CloudTrail encrypt and describe for this trail only, and the detector decrypt", "AWS::KMS::Key", map[string]any{
		"Description": like("CloudTrail log files"),
		"KeyPolicy": objectLike(map[string]any{"Statement": arrayWith(
			map[string]any{
				"Sid": "AllowCloudTrailToEncryptLogs", "Effect": "Allow", "Principal": cloudtrail,
				"Action": "kms:GenerateDataKey*", "Resource": "*",
				"Condition": map[string]any{
					"StringEquals": map[string]any{"aws:SourceArn": trailARN},
					"StringLike": map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": map[string]any{"Fn::Join": []any{"", []any{
						"arn:", ref("AWS::Partition"), ":cloudtrail:*:", ref("AWS::AccountId"), ":trail/*",
					}}}},
				},
			},
			map[string]any{
				"Sid": "AllowCloudTrailToDescribeKey", "Effect": "Allow", "Principal": cloudtrail,
				"Action": "kms:DescribeKey", "Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailARN}},
			},
			map[string]any{
				"Sid": "AllowDetectorToDecryptLogs", "Effect": "Allow",
				"Principal": map[string]any{"AWS": getAtt(role, "Arn")},
				"Action":    "kms:Decrypt", "Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": map[string]any{
					"Fn::Join": []any{"", []any{"s3.", ref("AWS::Region"), ".amazonaws.com"}},
				}}},
			},
		)}),
	})
	s.hasProps(t, "operations key lets CloudWatch alarms publish to the encrypted topic and CloudWatch Logs encrypt", "AWS::KMS::Key", map[string]any{
		"Description": like("alert topic"),
		"KeyPolicy": objectLike(map[string]any{"Statement": arrayWith(
			objectLike(map[string]any{
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey*"},
			}),
			objectLike(map[string]any{
				"Principal": map[string]any{"Service": map[string]any{"Fn::Join": []any{"", []any{"logs.", ref("AWS::Region"), ".amazonaws.com"}}}},
				"Condition": objectLike(map[string]any{"ArnLike": objectLike(map[string]any{"kms:EncryptionContext:aws:logs:arn": anyValue()})}),
			}),
		)}),
	})
}

func TestBuckets(t *testing.T) {
	s := synthDefault(t)
	s.count(t, "AWS::S3::Bucket", 2)
	key := s.logicalID(t, "AWS::KMS::Key", "TrailKey")
	accessLogs := s.logicalID(t, "AWS::S3::Bucket", "AccessLogBucket")
	blockAll := map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
	enforced := map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}}

	s.hasProps(t, "trail bucket: versioned, locked, SSE-KMS with a bucket key, private, logged, archived then expired", "AWS::S3::Bucket", map[string]any{
		"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		"ObjectLockEnabled":       true,
		"ObjectLockConfiguration": map[string]any{
			"ObjectLockEnabled": "Enabled",
			"Rule":              map[string]any{"DefaultRetention": map[string]any{"Mode": "GOVERNANCE", "Days": 365}},
		},
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
			"BucketKeyEnabled":              true,
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": getAtt(key, "Arn")},
		}}},
		"PublicAccessBlockConfiguration": blockAll,
		"OwnershipControls":              enforced,
		"LoggingConfiguration":           map[string]any{"DestinationBucketName": ref(accessLogs), "LogFilePrefix": "trail-bucket/"},
		"LifecycleConfiguration": map[string]any{"Rules": arrayWith(map[string]any{
			"Id":                             "archive-then-expire",
			"Status":                         "Enabled",
			"Transitions":                    []any{map[string]any{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}},
			"ExpirationInDays":               400,
			"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": noncurrentVersionDays},
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 7},
		})},
	})
	s.hasProps(t, "access-log bucket: SSE-S3, versioned, private, expiring, no Object Lock", "AWS::S3::Bucket", map[string]any{
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"},
		}}},
		"VersioningConfiguration":        map[string]any{"Status": "Enabled"},
		"PublicAccessBlockConfiguration": blockAll,
		"OwnershipControls":              enforced,
		"ObjectLockEnabled":              absent(),
		"LoggingConfiguration":           absent(),
		"LifecycleConfiguration": map[string]any{"Rules": arrayWith(objectLike(map[string]any{
			"ExpirationInDays": 400, "NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": noncurrentVersionDays},
		}))},
	})
	for id, b := range s.resources("AWS::S3::Bucket") {
		if b["DeletionPolicy"] != "Retain" || b["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("bucket %s: DeletionPolicy %v, UpdateReplacePolicy %v, want Retain", id, b["DeletionPolicy"], b["UpdateReplacePolicy"])
		}
	}
	expect(t, "log bucket name output", func() {
		s.Template.HasOutput(jsii.String("LogBucketName"), map[string]any{"Value": ref(s.logicalID(t, "AWS::S3::Bucket", "TrailBucket"))})
	})
}

func TestBuckets_strict(t *testing.T) {
	s := synthStrict(t)
	s.hasProps(t, "compliance-mode lock and Glacier Flexible Retrieval", "AWS::S3::Bucket", map[string]any{
		"ObjectLockConfiguration": objectLike(map[string]any{
			"Rule": map[string]any{"DefaultRetention": map[string]any{"Mode": "COMPLIANCE", "Days": 365}},
		}),
		"LifecycleConfiguration": map[string]any{"Rules": arrayWith(objectLike(map[string]any{
			"Transitions": []any{map[string]any{"StorageClass": "GLACIER", "TransitionInDays": 90}},
		}))},
	})
}

func TestTrailBucketPolicy(t *testing.T) {
	s := synthDefault(t)
	bucket := s.logicalID(t, "AWS::S3::Bucket", "TrailBucket")
	cloudtrail := map[string]any{"Service": "cloudtrail.amazonaws.com"}
	s.hasProps(t, "CloudTrail statements limited to this trail by aws:SourceArn", "AWS::S3::BucketPolicy", map[string]any{
		"Bucket": ref(bucket),
		"PolicyDocument": objectLike(map[string]any{"Statement": arrayWith(
			map[string]any{
				"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": cloudtrail,
				"Action": "s3:GetBucketAcl", "Resource": getAtt(bucket, "Arn"),
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailARN}},
			},
			map[string]any{
				"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": cloudtrail,
				"Action": "s3:PutObject",
				"Resource": map[string]any{"Fn::Join": []any{"", []any{
					getAtt(bucket, "Arn"), "/AWSLogs/", ref("AWS::AccountId"), "/*",
				}}},
				"Condition": map[string]any{"StringEquals": map[string]any{
					"aws:SourceArn": trailARN, "s3:x-amz-acl": "bucket-owner-full-control",
				}},
			},
		)}),
	})
	// No statement may let CloudTrail in without the SourceArn condition.
	for id, p := range s.resources("AWS::S3::BucketPolicy") {
		for _, st := range statements(p["Properties"].(map[string]any)["PolicyDocument"]) {
			if strings.Contains(jsonText(st["Principal"]), "cloudtrail.amazonaws.com") && !strings.Contains(jsonText(st["Condition"]), "aws:SourceArn") {
				t.Errorf("bucket policy %s: CloudTrail statement without aws:SourceArn: %s", id, jsonText(st))
			}
		}
	}
}

// TestTLSOnly checks that every bucket, topic and queue refuses plain HTTP.
func TestTLSOnly(t *testing.T) {
	s := synthDefault(t)
	for typ, n := range map[string]int{"AWS::S3::BucketPolicy": 2, "AWS::SNS::TopicPolicy": 1, "AWS::SQS::QueuePolicy": 1} {
		policies := s.resources(typ)
		if len(policies) != n {
			t.Errorf("%d %s, want %d", len(policies), typ, n)
		}
		for id, p := range policies {
			denies := false
			for _, st := range statements(p["Properties"].(map[string]any)["PolicyDocument"]) {
				if st["Effect"] == "Deny" && jsonText(st["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}` {
					denies = true
				}
			}
			if !denies {
				t.Errorf("%s %s has no Deny on aws:SecureTransport=false", typ, id)
			}
		}
	}
}

func TestDetectorFunction(t *testing.T) {
	s := synthDefault(t)
	s.count(t, "AWS::Lambda::Function", 2) // the detector and CDK's bucket-notifications handler
	topic := s.logicalID(t, "AWS::SNS::Topic", "AlertTopic")
	logGroup := s.logicalID(t, "AWS::Logs::LogGroup", "DetectorLogGroup")
	s.hasProps(t, "arm64 provided.al2023 bootstrap with JSON logging and reserved concurrency", "AWS::Lambda::Function", map[string]any{
		"Runtime":                      "provided.al2023",
		"Architectures":                []any{"arm64"},
		"Handler":                      "bootstrap",
		"MemorySize":                   256,
		"Timeout":                      300,
		"ReservedConcurrentExecutions": 10,
		"Role":                         getAtt(s.logicalID(t, "AWS::IAM::Role", "DetectorRole"), "Arn"),
		"Environment": map[string]any{"Variables": map[string]any{
			"ALERT_TOPIC_ARN": ref(topic), "EVENTS_PER_ALERT": "20", "LOG_LEVEL": "info",
			"STATE_TABLE_NAME": ref(s.logicalID(t, "AWS::DynamoDB::Table", "StateTable")),
		}},
		"LoggingConfig": map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "LogGroup": ref(logGroup)},
	})
	s.hasProps(t, "own log group, encrypted, kept a year", "AWS::Logs::LogGroup", map[string]any{
		"KmsKeyId":        getAtt(s.logicalID(t, "AWS::KMS::Key", "OperationsKey"), "Arn"),
		"RetentionInDays": 365,
	})
	expect(t, "function name output", func() {
		s.Template.HasOutput(jsii.String("DetectorFunctionName"), map[string]any{"Value": ref(s.logicalID(t, "AWS::Lambda::Function", "Detector"))})
	})
}

func TestDetectorFunction_strict(t *testing.T) {
	s := synthStrict(t)
	s.hasProps(t, "reservedConcurrency 0 leaves the function unreserved; debug logging", "AWS::Lambda::Function", map[string]any{
		"Handler":                      "bootstrap",
		"ReservedConcurrentExecutions": absent(),
		"LoggingConfig":                objectLike(map[string]any{"ApplicationLogLevel": "DEBUG"}),
		"Environment":                  map[string]any{"Variables": objectLike(map[string]any{"LOG_LEVEL": "debug"})},
	})
}

func TestDetectorFailureDestination(t *testing.T) {
	s := synthDefault(t)
	queue := s.logicalID(t, "AWS::SQS::Queue", "FailureQueue")
	s.hasProps(t, "two retries, six hours, then the failure queue", "AWS::Lambda::EventInvokeConfig", map[string]any{
		"FunctionName":             ref(s.logicalID(t, "AWS::Lambda::Function", "Detector")),
		"Qualifier":                "$LATEST",
		"MaximumRetryAttempts":     2,
		"MaximumEventAgeInSeconds": 6 * 3600,
		"DestinationConfig":        map[string]any{"OnFailure": map[string]any{"Destination": getAtt(queue, "Arn")}},
	})
	s.hasProps(t, "failure queue encrypted with the operations key, kept 14 days", "AWS::SQS::Queue", map[string]any{
		"KmsMasterKeyId":         getAtt(s.logicalID(t, "AWS::KMS::Key", "OperationsKey"), "Arn"),
		"MessageRetentionPeriod": 14 * 24 * 3600,
	})
	expect(t, "queue URL output", func() { s.Template.HasOutput(jsii.String("FailureQueueUrl"), map[string]any{"Value": ref(queue)}) })
}

// TestDetectorPermissions checks the role's exact permissions: one managed
// policy, no inline or AWS-managed policies, no wildcard actions.
func TestDetectorPermissions(t *testing.T) {
	s := synthDefault(t)
	bucket := s.logicalID(t, "AWS::S3::Bucket", "TrailBucket")
	want := map[string]string{
		"ReadCloudTrailLogFiles s3:GetObject":   jsonText(map[string]any{"Fn::Join": []any{"", []any{getAtt(bucket, "Arn"), "/AWSLogs/*/CloudTrail/*"}}}),
		"TellMissingLogFiles s3:ListBucket":     jsonText(getAtt(bucket, "Arn")),
		"DecryptCloudTrailLogFiles kms:Decrypt": jsonText(getAtt(s.logicalID(t, "AWS::KMS::Key", "TrailKey"), "Arn")),
	}
	checkDetectorPermissions(t, s, want)
}

func checkDetectorPermissions(t *testing.T, s *synthesized, extra map[string]string) {
	t.Helper()
	role := s.logicalID(t, "AWS::IAM::Role", "DetectorRole")
	opsKey := jsonText(getAtt(s.logicalID(t, "AWS::KMS::Key", "OperationsKey"), "Arn"))
	want := map[string]string{
		"PublishAlerts sns:Publish":                                    jsonText(ref(s.logicalID(t, "AWS::SNS::Topic", "AlertTopic"))),
		"SendFailedEvents sqs:SendMessage":                             jsonText(getAtt(s.logicalID(t, "AWS::SQS::Queue", "FailureQueue"), "Arn")),
		"EncryptAlertsAndFailedEvents kms:Decrypt,kms:GenerateDataKey": opsKey,
		"WriteOwnLogs logs:CreateLogStream,logs:PutLogEvents":          jsonText(getAtt(s.logicalID(t, "AWS::Logs::LogGroup", "DetectorLogGroup"), "Arn")),
		"KeepDetectionState dynamodb:GetItem,dynamodb:PutItem,dynamodb:Query,dynamodb:UpdateItem": jsonText(
			getAtt(s.logicalID(t, "AWS::DynamoDB::Table", "StateTable"), "Arn")),
	}
	for k, v := range extra {
		want[k] = v
	}

	roleProps := s.resources("AWS::IAM::Role")[role]["Properties"].(map[string]any)
	if roleProps["ManagedPolicyArns"] != nil || roleProps["Policies"] != nil {
		t.Errorf("detector role has AWS-managed or inline policies: %s", jsonText(roleProps))
	}
	for id, p := range s.resources("AWS::IAM::Policy") {
		if strings.Contains(jsonText(p["Properties"].(map[string]any)["Roles"]), role) {
			t.Errorf("inline policy %s is attached to the detector role", id)
		}
	}
	got := map[string]string{}
	for _, p := range s.resources("AWS::IAM::ManagedPolicy") {
		props := p["Properties"].(map[string]any)
		if !strings.Contains(jsonText(props["Roles"]), role) {
			continue
		}
		for _, st := range statements(props["PolicyDocument"]) {
			actions := strings.Split(strings.Trim(strings.ReplaceAll(jsonText(st["Action"]), `"`, ""), "[]"), ",")
			sort.Strings(actions)
			for _, a := range actions {
				if strings.Contains(a, "*") {
					t.Errorf("statement %v has the wildcard action %q", st["Sid"], a)
				}
			}
			if st["Effect"] != "Allow" || st["Condition"] != nil || st["NotAction"] != nil || st["NotResource"] != nil {
				t.Errorf("unexpected statement shape: %s", jsonText(st))
			}
			got[st["Sid"].(string)+" "+strings.Join(actions, ",")] = jsonText(st["Resource"])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("detector permissions:\n%s\nwant\n%s", indent(got), indent(want))
	}
}

func TestNotification(t *testing.T) {
	s := synthDefault(t)
	s.hasProps(t, "ObjectCreated on this account's CloudTrail log files only", "Custom::S3BucketNotifications", map[string]any{
		"BucketName": ref(s.logicalID(t, "AWS::S3::Bucket", "TrailBucket")),
		"Managed":    true,
		"NotificationConfiguration": map[string]any{"LambdaFunctionConfigurations": []any{map[string]any{
			"Events":            []any{"s3:ObjectCreated:*"},
			"LambdaFunctionArn": getAtt(s.logicalID(t, "AWS::Lambda::Function", "Detector"), "Arn"),
			"Filter": map[string]any{"Key": map[string]any{"FilterRules": []any{
				map[string]any{"Name": "suffix", "Value": ".json.gz"},
				map[string]any{"Name": "prefix", "Value": map[string]any{"Fn::Join": []any{"", []any{
					"AWSLogs/", ref("AWS::AccountId"), "/CloudTrail/",
				}}}},
			}}},
		}}},
	})
	s.hasProps(t, "S3 may invoke the detector for this bucket and account only", "AWS::Lambda::Permission", map[string]any{
		"Principal":     "s3.amazonaws.com",
		"SourceArn":     getAtt(s.logicalID(t, "AWS::S3::Bucket", "TrailBucket"), "Arn"),
		"SourceAccount": ref("AWS::AccountId"),
	})
}

func TestAlertTopic(t *testing.T) {
	s := synthDefault(t)
	topic := s.logicalID(t, "AWS::SNS::Topic", "AlertTopic")
	s.hasProps(t, "topic encrypted with the operations key", "AWS::SNS::Topic", map[string]any{
		"KmsMasterKeyId": getAtt(s.logicalID(t, "AWS::KMS::Key", "OperationsKey"), "Arn"),
	})
	s.count(t, "AWS::SNS::Subscription", 2)
	for _, addr := range []string{"secops@example.com", "oncall@example.org"} {
		s.hasProps(t, "e-mail subscription "+addr, "AWS::SNS::Subscription", map[string]any{
			"Protocol": "email", "Endpoint": addr, "TopicArn": ref(topic),
		})
	}
	s.hasProps(t, "CloudWatch alarms of this account may publish", "AWS::SNS::TopicPolicy", map[string]any{
		"PolicyDocument": objectLike(map[string]any{"Statement": arrayWith(objectLike(map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}},
		}))}),
	})
	expect(t, "topic ARN output", func() { s.Template.HasOutput(jsii.String("AlertTopicArn"), map[string]any{"Value": ref(topic)}) })
}

func TestAlarms(t *testing.T) {
	s := synthDefault(t)
	s.count(t, "AWS::CloudWatch::Alarm", 5)
	topic := []any{ref(s.logicalID(t, "AWS::SNS::Topic", "AlertTopic"))}
	detector := []any{map[string]any{"Name": "FunctionName", "Value": ref(s.logicalID(t, "AWS::Lambda::Function", "Detector"))}}
	service := []any{map[string]any{"Name": MetricsDimension, "Value": MetricsService}}
	atLeastOne := func(namespace, metric, statistic string, dims []any) map[string]any {
		return map[string]any{
			"Namespace": namespace, "MetricName": metric, "Statistic": statistic, "Dimensions": dims,
			"Period": 300, "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "Threshold": 1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
			"AlarmActions": topic, "OKActions": topic,
		}
	}
	s.hasProps(t, "detector errors", "AWS::CloudWatch::Alarm", atLeastOne("AWS/Lambda", "Errors", "Sum", detector))
	s.hasProps(t, "detector throttles", "AWS::CloudWatch::Alarm", atLeastOne("AWS/Lambda", "Throttles", "Sum", detector))
	s.hasProps(t, "failure queue not empty", "AWS::CloudWatch::Alarm", atLeastOne("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
		[]any{map[string]any{"Name": "QueueName", "Value": getAtt(s.logicalID(t, "AWS::SQS::Queue", "FailureQueue"), "QueueName")}}))
	s.hasProps(t, "unreadable log files", "AWS::CloudWatch::Alarm", atLeastOne(MetricsNamespace, MetricUnreadable, "Sum", service))
	s.hasProps(t, "dead man's switch: no file processed for deadManMinutes", "AWS::CloudWatch::Alarm", map[string]any{
		"Namespace": MetricsNamespace, "MetricName": MetricFilesProcessed, "Statistic": "Sum", "Dimensions": service,
		"Period": 300, "EvaluationPeriods": 12, "DatapointsToAlarm": 12, "Threshold": 1,
		"ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
		"AlarmActions": topic, "OKActions": topic,
	})
	synthStrict(t).hasProps(t, "dead man's switch follows deadManMinutes", "AWS::CloudWatch::Alarm", map[string]any{
		"MetricName": MetricFilesProcessed, "Period": 300, "EvaluationPeriods": 6, "DatapointsToAlarm": 6,
	})
}

func TestExistingBucket(t *testing.T) {
	s := synthExisting(t)
	s.count(t, "AWS::CloudTrail::Trail", 0)
	s.count(t, "AWS::S3::Bucket", 0)
	s.count(t, "AWS::S3::BucketPolicy", 0)
	s.count(t, "AWS::KMS::Key", 1) // the operations key only
	s.count(t, "AWS::CloudWatch::Alarm", 5)
	objects := jsonText(map[string]any{"Fn::Join": []any{"", []any{
		"arn:", ref("AWS::Partition"), ":s3:::org-trail-logs/org/AWSLogs/*/CloudTrail/*",
	}}})
	checkDetectorPermissions(t, s, map[string]string{
		"ReadCloudTrailLogFiles s3:GetObject":   objects,
		"DecryptCloudTrailLogFiles kms:Decrypt": jsonText(existingContext[KeyExistingTrailKMSKeyARN]),
		"TellMissingLogFiles s3:ListBucket": jsonText(map[string]any{"Fn::Join": []any{"", []any{
			"arn:", ref("AWS::Partition"), ":s3:::org-trail-logs",
		}}}),
	})
	s.hasProps(t, "the existing bucket's notifications are merged, not replaced", "Custom::S3BucketNotifications", map[string]any{
		"BucketName": "org-trail-logs",
		"Managed":    false,
		"NotificationConfiguration": map[string]any{"LambdaFunctionConfigurations": []any{objectLike(map[string]any{
			"Events": []any{"s3:ObjectCreated:*"},
			"Filter": map[string]any{"Key": map[string]any{"FilterRules": []any{
				map[string]any{"Name": "suffix", "Value": ".json.gz"},
				map[string]any{"Name": "prefix", "Value": "org/AWSLogs/"},
			}}},
		})}},
	})
	expect(t, "log bucket output names the existing bucket", func() {
		s.Template.HasOutput(jsii.String("LogBucketName"), map[string]any{"Value": "org-trail-logs"})
	})
	if _, ok := s.JSON["Outputs"].(map[string]any)["TrailArn"]; ok {
		t.Error("TrailArn output without a trail")
	}
}

func TestExistingBucket_eventBridge(t *testing.T) {
	s := synthEventBridge(t)
	s.count(t, "AWS::CloudTrail::Trail", 0)
	s.count(t, "Custom::S3BucketNotifications", 0)
	s.count(t, "AWS::Events::Rule", 1)
	s.hasProps(t, "rule on the bucket's Object Created events for CloudTrail log files", "AWS::Events::Rule", map[string]any{
		"EventPattern": map[string]any{
			"source":      []any{"aws.s3"},
			"detail-type": []any{"Object Created"},
			"detail": map[string]any{
				"bucket": map[string]any{"name": []any{"org-trail-logs"}},
				"object": map[string]any{"key": []any{map[string]any{"wildcard": "AWSLogs/*/CloudTrail/*.json.gz"}}},
			},
		},
		"Targets": []any{objectLike(map[string]any{
			"Arn":         getAtt(s.logicalID(t, "AWS::Lambda::Function", "Detector"), "Arn"),
			"RetryPolicy": map[string]any{"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 6 * 3600},
		})},
	})
	s.hasProps(t, "EventBridge may invoke the detector for this rule only", "AWS::Lambda::Permission", map[string]any{
		"Principal": "events.amazonaws.com",
		"SourceArn": getAtt(s.logicalID(t, "AWS::Events::Rule", "TrailObjectCreated"), "Arn"),
	})
	objects := jsonText(map[string]any{"Fn::Join": []any{"", []any{
		"arn:", ref("AWS::Partition"), ":s3:::org-trail-logs/AWSLogs/*/CloudTrail/*",
	}}})
	checkDetectorPermissions(t, s, map[string]string{
		"ReadCloudTrailLogFiles s3:GetObject": objects,
		"TellMissingLogFiles s3:ListBucket": jsonText(map[string]any{"Fn::Join": []any{"", []any{
			"arn:", ref("AWS::Partition"), ":s3:::org-trail-logs",
		}}}),
	})
}

// TestNag runs the AwsSolutions and PCI DSS 3.2.1 packs over every
// configuration: any finding not suppressed with a reason fails.
func TestNag(t *testing.T) {
	configs := map[string]func(*testing.T) *synthesized{
		"default": synthDefault, "strict": synthStrict, "existing": synthExisting, "eventbridge": synthEventBridge,
	}
	for name, synthesize := range configs {
		t.Run(name, func(t *testing.T) {
			s := synthesize(t)
			for _, pack := range []string{"AwsSolutions-.*", `PCI\.DSS\.321-.*`, "CdkNagValidationFailure.*"} {
				re := like(pack)
				for _, m := range append(*s.Annotations.FindError(jsii.String("*"), re), *s.Annotations.FindWarning(jsii.String("*"), re)...) {
					t.Errorf("%s %s: %v", m.Level, *m.Id, m.Entry.Data)
				}
			}
		})
	}
}

// TestAsset checks what Lambda will run: the staged asset holds a Linux
// arm64 executable named bootstrap.
func TestAsset(t *testing.T) {
	s := synthDefault(t)
	fn := s.resources("AWS::Lambda::Function")[s.logicalID(t, "AWS::Lambda::Function", "Detector")]
	key, _ := fn["Properties"].(map[string]any)["Code"].(map[string]any)["S3Key"].(string)
	hash, ok := strings.CutSuffix(key, ".zip")
	if !ok {
		t.Fatalf("detector code S3Key = %q, want <hash>.zip", key)
	}
	path := filepath.Join(s.Dir, "asset."+hash, BootstrapName)
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("staged asset: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("%s: machine %s, class %s, OS ABI %s; want a 64-bit Linux EM_AARCH64 executable", path, f.Machine, f.Class, f.OSABI)
	}
	if err := CheckBootstrap(filepath.Dir(path)); err != nil {
		t.Errorf("CheckBootstrap(staged asset) = %v", err)
	}
}

func statements(doc any) []map[string]any {
	var out []map[string]any
	for _, st := range doc.(map[string]any)["Statement"].([]any) {
		out = append(out, st.(map[string]any))
	}
	return out
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func indent(m map[string]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, "  "+k+" on "+v)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestHarness proves the checks above can fail: a wrong expectation is
// reported, and the nag packs flag a bucket nobody hardened.
func TestHarness(t *testing.T) {
	s := synthDefault(t)
	if err := assertionError(func() {
		s.Template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{"Runtime": "nodejs22.x"})
	}); err == nil {
		t.Error("HasResourceProperties accepted a runtime the template does not have")
	}

	outdir := mkdirTemp(t, "trailwatch-cdk-out-")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	bare := awscdk.NewStack(app, jsii.String("Bare"), nil)
	awss3.NewBucket(bare, jsii.String("Bucket"), nil)
	AddNagChecks(app, false)
	errs := *assertions.Annotations_FromStack(bare).FindError(jsii.String("*"), like("AwsSolutions-S1"))
	if len(errs) == 0 {
		t.Error("cdk-nag reported no AwsSolutions-S1 error for a bucket without access logs")
	}
	if reports, _ := filepath.Glob(filepath.Join(outdir, "*NagReport*")); len(reports) != 0 {
		t.Errorf("AddNagChecks(reports=false) wrote %v", reports)
	}
}
