package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newOperationsKey creates the customer-managed key for everything the
// detector itself writes: the alert topic, the failure queue and its log group.
func newOperationsKey(scope constructs.Construct) awskms.Key {
	key := awskms.NewKey(scope, jsii.String("OperationsKey"), &awskms.KeyProps{
		Description:       jsii.String("trailwatch: encrypts the alert topic, the failure queue and the detector's logs"),
		EnableKeyRotation: jsii.Bool(true),
		// The retained detector log group stays readable only while its key exists.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// CloudWatch alarms publish to the encrypted topic as the CloudWatch service;
	// the account-root statement does not cover service principals, and without
	// this grant an alarm fires but its notification is silently dropped.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
	}), nil)
	logGroups := awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("logs"),
		Resource:     jsii.String("log-group"),
		ResourceName: jsii.String("*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchLogsToEncryptLogGroups"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*awscdk.Aws_REGION()+".amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": *logGroups},
		},
	}), nil)
	return key
}

// newAlertTopic creates the topic every alert and alarm goes to, with one
// e-mail subscription per address. Each subscription's construct id is its
// address, so adding or removing a recipient leaves the others confirmed.
func newAlertTopic(scope constructs.Construct, key awskms.IKey, emails []string) awssns.Topic {
	topic := awssns.NewTopic(scope, jsii.String("AlertTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("trailwatch"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	account := awscdk.Aws_ACCOUNT_ID()
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": *account},
		},
	}))
	for _, addr := range emails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(addr), nil))
	}
	return topic
}
