package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// noncurrentVersionDays is how long a version stays recoverable after it was
// overwritten or its object expired (and its Object Lock, if any, ran out).
const noncurrentVersionDays = 30

// logArchive is where CloudTrail log files live: either the trail, key and
// buckets this stack creates, or an existing trail bucket it only reads.
type logArchive struct {
	Bucket    awss3.IBucket
	KeyARN    string // key that encrypts the log files; "" for SSE-S3
	KeyPrefix string // "" or "<prefix>/", the part of the object key before AWSLogs/
	Trail     awscloudtrail.CfnTrail
	TrailARN  string
	Managed   bool // the bucket belongs to this stack
}

// logObjectsPattern is the object-key pattern of every CloudTrail log file in
// the archive: AWSLogs/<account>/CloudTrail/… and, for organization trails,
// AWSLogs/<org-id>/<account>/CloudTrail/…; digests and Insights files are excluded.
func (a *logArchive) logObjectsPattern() string {
	return a.KeyPrefix + "AWSLogs/*/CloudTrail/*"
}

// importLogArchive references a trail bucket that already exists (an
// organization or Control Tower trail) instead of creating a second trail.
func importLogArchive(scope constructs.Construct, cfg Config) *logArchive {
	return &logArchive{
		Bucket:    awss3.Bucket_FromBucketName(scope, jsii.String("ExistingTrailBucket"), jsii.String(cfg.ExistingTrailBucket)),
		KeyARN:    cfg.ExistingTrailKMSKeyARN,
		KeyPrefix: cfg.TrailKeyPrefix,
	}
}

// newLogArchive creates the multi-Region trail, its customer-managed key, the
// locked log bucket and the bucket that receives that bucket's access logs.
// reader is granted decryption of the log files.
func newLogArchive(scope constructs.Construct, cfg Config, reader awsiam.IRole) *logArchive {
	stack := awscdk.Stack_Of(scope)
	trailName := *stack.StackName() + "-trail"
	// The trail ARN is built from its name rather than taken from the trail:
	// the key and bucket policies must exist before the trail, and a reference
	// to the trail from either would be a dependency cycle.
	trailARN := *stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("cloudtrail"),
		Resource:     jsii.String("trail"),
		ResourceName: jsii.String(trailName),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})

	key := newTrailKey(scope, trailARN, reader)
	accessLogs := newAccessLogBucket(scope, cfg)
	bucket := newTrailBucket(scope, cfg, key, accessLogs)
	addTrailBucketPolicy(bucket, cfg.TrailKeyPrefix, trailARN)

	trail := awscloudtrail.NewCfnTrail(scope, jsii.String("Trail"), &awscloudtrail.CfnTrailProps{
		TrailName:                  jsii.String(trailName),
		IsLogging:                  jsii.Bool(true),
		IsMultiRegionTrail:         jsii.Bool(true),
		IncludeGlobalServiceEvents: jsii.Bool(true),
		EnableLogFileValidation:    jsii.Bool(true),
		S3BucketName:               bucket.BucketName(),
		S3KeyPrefix:                optionalPrefix(cfg.TrailKeyPrefix),
		KmsKeyId:                   key.KeyArn(),
	})
	setEventSelectors(trail, cfg, bucket, accessLogs)
	// CloudTrail checks the bucket policy when the trail is created.
	trail.Node().AddDependency(bucket.Policy())

	if !cfg.CloudWatchCompat {
		suppress(trail, "PCI.DSS.321-CloudTrailCloudWatchLogsEnabled",
			"trailwatch reads the log files from S3 instead of sending them to CloudWatch Logs, "+
				"whose ingestion costs USD 0.50 per GB; the detector Lambda implements the CIS 3.x monitoring")
	}

	return &logArchive{
		Bucket:    bucket,
		KeyARN:    *key.KeyArn(),
		KeyPrefix: cfg.TrailKeyPrefix,
		Trail:     trail,
		TrailARN:  trailARN,
		Managed:   true,
	}
}

func optionalPrefix(prefix string) *string {
	if prefix == "" {
		return nil
	}
	return jsii.String(prefix[:len(prefix)-1]) // CloudTrail adds the slash itself
}

// newTrailKey creates the customer-managed key for the log files, with the key
// policy CloudTrail needs (the CDK Trail construct adds none) scoped by
// aws:SourceArn to this trail.
func newTrailKey(scope constructs.Construct, trailARN string, reader awsiam.IRole) awskms.Key {
	key := awskms.NewKey(scope, jsii.String("TrailKey"), &awskms.KeyProps{
		Description:       jsii.String("trailwatch: encrypts the CloudTrail log files"),
		EnableKeyRotation: jsii.Bool(true),
		// Retained log files stay readable only while their key exists.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	account := awscdk.Aws_ACCOUNT_ID()
	cloudtrail := awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil)
	sourceARN := map[string]any{"aws:SourceArn": trailARN}

	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudTrailToEncryptLogs"),
		Principals: &[]awsiam.IPrincipal{cloudtrail},
		Actions:    jsii.Strings("kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": sourceARN,
			"StringLike": map[string]any{
				"kms:EncryptionContext:aws:cloudtrail:arn": fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", *awscdk.Aws_PARTITION(), *account),
			},
		},
	}), nil)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudTrailToDescribeKey"),
		Principals: &[]awsiam.IPrincipal{cloudtrail},
		Actions:    jsii.Strings("kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": sourceARN},
	}), nil)
	// The detector decrypts through S3 only. kms:ViaService rather than the
	// CloudTrail encryption-context condition, because with an S3 Bucket Key
	// the context S3 sends to KMS names the bucket, not the trail.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowDetectorToDecryptLogs"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewArnPrincipal(reader.RoleArn())},
		Actions:    jsii.Strings("kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"kms:ViaService": fmt.Sprintf("s3.%s.amazonaws.com", *awscdk.Aws_REGION())},
		},
	}), nil)
	return key
}

// newAccessLogBucket creates the destination of the log bucket's server access
// logs. S3 requires it to be SSE-S3 and without Object Lock.
func newAccessLogBucket(scope constructs.Construct, cfg Config) awss3.Bucket {
	b := awss3.NewBucket(scope, jsii.String("AccessLogBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-access-logs"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(float64(cfg.RetentionDays))),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(noncurrentVersionDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}, {
			Id:                        jsii.String("remove-expired-delete-markers"),
			ExpiredObjectDeleteMarker: jsii.Bool(true),
		}},
	})
	suppress(b, "PCI.DSS.321-S3DefaultEncryptionKMS",
		"S3 server access logs can only be delivered to a bucket whose default encryption is SSE-S3")
	suppress(b, "PCI.DSS.321-S3BucketReplicationEnabled",
		"access logs of the trail bucket are kept in-Region; cross-Region replication is left to the account's backup policy")
	return b
}

// newTrailBucket creates the bucket CloudTrail delivers to: versioned, locked,
// encrypted with the trail key, archived then expired by lifecycle rules.
func newTrailBucket(scope constructs.Construct, cfg Config, key awskms.IKey, accessLogs awss3.IBucket) awss3.Bucket {
	retention := awscdk.Duration_Days(jsii.Number(float64(cfg.ObjectLockDays)))
	lock := awss3.ObjectLockRetention_Governance(retention)
	if cfg.ObjectLockMode == ObjectLockCompliance {
		lock = awss3.ObjectLockRetention_Compliance(retention)
	}
	archive := awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL()
	if cfg.ArchiveStorageClass == StorageClassGlacier {
		archive = awss3.StorageClass_GLACIER()
	}
	b := awss3.NewBucket(scope, jsii.String("TrailBucket"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     key,
		BucketKeyEnabled:  jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Versioned:         jsii.Bool(true),
		// Object Lock can only be chosen when the bucket is created.
		ObjectLockEnabled:          jsii.Bool(true),
		ObjectLockDefaultRetention: lock,
		ServerAccessLogsBucket:     accessLogs,
		ServerAccessLogsPrefix:     jsii.String("trail-bucket/"),
		RemovalPolicy:              awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id: jsii.String("archive-then-expire"),
			Transitions: &[]*awss3.Transition{{
				StorageClass:    archive,
				TransitionAfter: awscdk.Duration_Days(jsii.Number(float64(cfg.ArchiveAfterDays))),
			}},
			Expiration:                          awscdk.Duration_Days(jsii.Number(float64(cfg.RetentionDays))),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(noncurrentVersionDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}, {
			Id:                        jsii.String("remove-expired-delete-markers"),
			ExpiredObjectDeleteMarker: jsii.Bool(true),
		}},
	})
	suppress(b, "PCI.DSS.321-S3BucketReplicationEnabled",
		"replicating an Object Lock bucket needs a second locked bucket in another Region; "+
			"versioning, Object Lock and log file validation protect the logs here, replication is an account-level choice")
	return b
}

// addTrailBucketPolicy writes the two statements CloudTrail needs, each
// limited by aws:SourceArn to this trail (the CDK Trail construct would add
// them without that condition, which is why the stack uses CfnTrail).
func addTrailBucketPolicy(bucket awss3.Bucket, keyPrefix, trailARN string) {
	cloudtrail := awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil)
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AWSCloudTrailAclCheck"),
		Principals: &[]awsiam.IPrincipal{cloudtrail},
		Actions:    jsii.Strings("s3:GetBucketAcl"),
		Resources:  &[]*string{bucket.BucketArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailARN}},
	}))
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AWSCloudTrailWrite"),
		Principals: &[]awsiam.IPrincipal{cloudtrail},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  &[]*string{bucket.ArnForObjects(jsii.String(keyPrefix + "AWSLogs/" + *awscdk.Aws_ACCOUNT_ID() + "/*"))},
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"aws:SourceArn": trailARN,
			"s3:x-amz-acl":  "bucket-owner-full-control",
		}},
	}))
}

// setEventSelectors records every management event, read and write (CIS 2.1),
// and with dataEvents=s3-write also S3 object writes. The write selector
// excludes the stack's own buckets: logging CloudTrail's deliveries to its own
// bucket would feed on itself.
func setEventSelectors(trail awscloudtrail.CfnTrail, cfg Config, own ...awss3.IBucket) {
	if cfg.DataEvents == DataEventsNone {
		trail.SetEventSelectors([]any{&awscloudtrail.CfnTrail_EventSelectorProperty{
			IncludeManagementEvents: jsii.Bool(true),
			ReadWriteType:           jsii.String("All"),
		}})
		return
	}
	var exclude []*string
	for _, b := range own {
		exclude = append(exclude, jsii.String(*b.BucketArn()+"/"))
	}
	trail.SetAdvancedEventSelectors([]any{
		&awscloudtrail.CfnTrail_AdvancedEventSelectorProperty{
			Name: jsii.String("All management events"),
			FieldSelectors: []any{
				&awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty{Field: jsii.String("eventCategory"), EqualTo: jsii.Strings("Management")},
			},
		},
		&awscloudtrail.CfnTrail_AdvancedEventSelectorProperty{
			Name: jsii.String("S3 object writes outside this stack's buckets"),
			FieldSelectors: []any{
				&awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty{Field: jsii.String("eventCategory"), EqualTo: jsii.Strings("Data")},
				&awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty{Field: jsii.String("resources.type"), EqualTo: jsii.Strings("AWS::S3::Object")},
				&awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty{Field: jsii.String("readOnly"), EqualTo: jsii.Strings("false")},
				&awscloudtrail.CfnTrail_AdvancedFieldSelectorProperty{Field: jsii.String("resources.ARN"), NotStartsWith: &exclude},
			},
		},
	})
}
