package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// notificationsHandlerID is the id of the stack-wide singleton function CDK
// creates to write S3 bucket notification configurations.
const notificationsHandlerID = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"

// AddNagChecks runs the cdk-nag AwsSolutions and PCI DSS 3.2.1 rule packs over
// everything under scope at synthesis. Findings are errors or warnings on the
// offending construct; every accepted finding is suppressed, with its reason,
// where the construct is created. reports writes the CSV compliance reports
// into the cloud assembly.
func AddNagChecks(scope constructs.IConstruct, reports bool) {
	props := &cdknag.NagPackProps{Verbose: jsii.Bool(true), Reports: jsii.Bool(reports)}
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(props), nil)
	awscdk.Aspects_Of(scope).Add(cdknag.NewPCIDSS321Checks(props), nil)
}

// suppress accepts a cdk-nag finding on c and its children. appliesTo narrows
// a granular finding (IAM5) to the listed resources or actions.
func suppress(c constructs.IConstruct, ruleID, reason string, appliesTo ...any) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(ruleID), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		s.AppliesTo = &appliesTo
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

func regexAppliesTo(pattern string) *cdknag.RegexAppliesTo {
	return &cdknag.RegexAppliesTo{Regex: jsii.String("/" + pattern + "/")}
}

// suppressNotificationsHandler accepts the findings on the function CDK
// creates to write bucket notification configurations; its code and role are
// fixed by CDK.
func suppressNotificationsHandler(scope constructs.Construct) {
	handler := awscdk.Stack_Of(scope).Node().TryFindChild(jsii.String(notificationsHandlerID))
	if handler == nil {
		return
	}
	suppress(handler, "AwsSolutions-IAM4",
		"CDK's bucket-notifications custom resource uses AWSLambdaBasicExecutionRole for its own logs; "+
			"it runs only during deployments",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	suppress(handler, "PCI.DSS.321-IAMNoInlinePolicy",
		"the inline policy of CDK's bucket-notifications custom resource is created by CDK itself")
}
