package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Key and TTL attributes of the state table; lambda/internal/state writes them.
const (
	statePartitionKey = "pk"
	stateSortKey      = "sk"
	stateTTLAttribute = "expiresAt"
)

// stateActions are the only DynamoDB actions the detector needs on the state table.
// TransactWriteItems is authorized by the PutItem and UpdateItem of the items it writes.
var stateActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"}

// newStateTable creates the table in which the detector counts threshold matches across log
// files and records the alerts it sent, so that a file delivered twice is neither counted nor
// alerted twice.
//
// The table is on demand: a few writes per log file cost less than any provisioned capacity.
// Items expire through TTL about two weeks after their window. Point-in-time recovery guards
// against an operator's mistake while the stack runs.
//
// Its data is disposable, so the table is destroyed with the stack: losing it restarts the open
// windows and forgets for two weeks which files were alerted, and the record of what happened
// stays in the trail bucket, which is retained. It is encrypted at rest with the AWS owned key:
// it holds counters, claims and copies of the few events an alert lists, all readable only
// through the IAM grants on this one table, and a customer managed key would add a KMS
// dependency to every invocation for no additional control over who reads it.
func newStateTable(scope constructs.Construct) awsdynamodb.Table {
	return awsdynamodb.NewTable(scope, jsii.String("StateTable"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(statePartitionKey), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(stateSortKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(stateTTLAttribute),
		Encryption:          awsdynamodb.TableEncryption_DEFAULT,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
}
