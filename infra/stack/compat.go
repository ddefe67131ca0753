package stack

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/filterpattern"
)

// CompatNamespace is the CloudWatch namespace of the metric filters of the
// CloudWatch compatibility mode: the one the CIS Benchmark's remediation
// steps create (aws logs put-metric-filter ... metricNamespace=CISBenchmark),
// so that the metrics sit where an auditor following CIS looks for them.
// Security Hub checks the filter pattern and the alarm, not the namespace.
const CompatNamespace = "CISBenchmark"

// Quotas of CloudWatch Logs that decide whether a rule gets a metric filter.
const (
	maxMetricFiltersPerLogGroup = 100
	maxRegexFiltersPerLogGroup  = 5
)

// defaultAlarmPeriod is the period of the alarms of rules without a
// threshold: CIS and Security Hub alarm on Sum >= 1 over 300 seconds.
const defaultAlarmPeriod = 5 * time.Minute

// cloudWatchCompat is what the compatibility mode adds to the stack.
type cloudWatchCompat struct {
	LogGroup awslogs.LogGroup
	Role     awsiam.Role
	Filters  []awslogs.MetricFilter
	Alarms   []awscloudwatch.Alarm
}

// compatProps wires the compatibility mode to the rest of the stack.
type compatProps struct {
	Archive *logArchive   // must hold the trail this stack creates
	Topic   awssns.ITopic // where the alarms notify
	Key     awskms.IKey   // encrypts the log group; its policy lets CloudWatch Logs use it
	Rules   []*detect.Rule
}

// newCloudWatchCompat sends the stack's trail to an encrypted CloudWatch Logs
// group as well, and gives every rule a metric filter with the rule's pattern
// text verbatim and an alarm that notifies the alert topic: what Security Hub
// CloudWatch.1-14 (CIS v1.2.0 3.1-3.14) look for. The Lambda keeps alerting
// with context; the alarms exist for the compliance checks.
func newCloudWatchCompat(scope constructs.Construct, p compatProps) *cloudWatchCompat {
	stack := awscdk.Stack_Of(scope)
	c := &cloudWatchCompat{}
	c.LogGroup = awslogs.NewLogGroup(scope, jsii.String("TrailLogGroup"), &awslogs.LogGroupProps{
		EncryptionKey: p.Key,
		// Security Hub CloudWatch.16 asks for a year; S3 keeps the full archive.
		Retention:     awslogs.RetentionDays_ONE_YEAR,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	c.Role = awsiam.NewRole(scope, jsii.String("TrailLogsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil),
		Description: jsii.String("trailwatch: lets the trail deliver its events to its CloudWatch Logs group"),
	})
	// CloudTrail writes one stream per Region, <account>_CloudTrail_<region>,
	// and the trail's Regions are not known at synth; the role may create and
	// write those streams in this one group and nothing else.
	streams := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("logs"),
		Resource:     jsii.String("log-group"),
		ResourceName: jsii.String(*c.LogGroup.LogGroupName() + ":log-stream:" + *awscdk.Aws_ACCOUNT_ID() + "_CloudTrail_*"),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	policy := awsiam.NewManagedPolicy(scope, jsii.String("TrailLogsPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("trailwatch: CloudTrail delivery to the trail's log group"),
		Roles:       &[]awsiam.IRole{c.Role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DeliverTrailEvents"),
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{streams},
		})},
	})
	suppress(policy, "AwsSolutions-IAM5",
		"CloudTrail names its streams <account>_CloudTrail_<region>, one per Region of the multi-Region trail; "+
			"the wildcard stands for the Region, within this one log group",
		regexAppliesTo(`^Resource::.*:log-stream:<AWS::AccountId>_CloudTrail_\*$`))

	trail := p.Archive.Trail
	trail.SetCloudWatchLogsLogGroupArn(c.LogGroup.LogGroupArn())
	trail.SetCloudWatchLogsRoleArn(c.Role.RoleArn())
	// CloudTrail checks at create and update time that the role can write.
	trail.Node().AddDependency(policy)

	action := awscloudwatchactions.NewSnsAction(p.Topic)
	plan, warnings := planMetricFilters(p.Rules)
	for _, w := range warnings {
		awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("trailwatch:cloudWatchCompat"), jsii.String(w))
	}
	for _, f := range plan {
		r := f.Rule
		mf := awslogs.NewMetricFilter(scope, jsii.String("MetricFilter-"+r.ID), &awslogs.MetricFilterProps{
			LogGroup: c.LogGroup,
			// Verbatim: Security Hub accepts only the exact CIS texts.
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(r.Pattern.String())),
			MetricNamespace: jsii.String(CompatNamespace),
			MetricName:      jsii.String(r.ID),
			MetricValue:     jsii.String("1"),
		})
		alarm := awscloudwatch.NewAlarm(scope, jsii.String("Alarm-"+r.ID), &awscloudwatch.AlarmProps{
			AlarmName:        jsii.String(*stack.StackName() + "-" + r.ID),
			AlarmDescription: jsii.String(alarmDescription(r)),
			Metric: mf.Metric(&awscloudwatch.MetricOptions{
				Statistic: jsii.String("Sum"),
				Period:    awscdk.Duration_Seconds(jsii.Number(f.Period.Seconds())),
			}),
			Threshold:          jsii.Number(float64(f.Threshold)),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		if r.Mode != detect.ModeShadow {
			alarm.AddAlarmAction(action)
		}
		c.Filters = append(c.Filters, mf)
		c.Alarms = append(c.Alarms, alarm)
	}
	return c
}

// compatFilter is one rule's metric filter and alarm settings.
type compatFilter struct {
	Rule      *detect.Rule
	Threshold int
	Period    time.Duration
}

// planMetricFilters decides which rules get a metric filter and with which
// alarm settings, and says in warnings what the alarms cannot reproduce. A
// rule is skipped when its pattern cannot be a metric filter: the empty
// pattern (it would count every event), or a filter past CloudWatch Logs'
// quotas of 100 metric filters and 5 filters with regular expressions per
// log group.
func planMetricFilters(rules []*detect.Rule) (plan []compatFilter, warnings []string) {
	var skipped []string
	regexFilters := 0
	for _, r := range rules {
		switch {
		case r.Pattern.MatchesAll():
			skipped = append(skipped, r.ID+" (an empty pattern would count every event)")
			continue
		case len(plan) == maxMetricFiltersPerLogGroup:
			skipped = append(skipped, fmt.Sprintf("%s (CloudWatch Logs allows %d metric filters per log group)", r.ID, maxMetricFiltersPerLogGroup))
			continue
		case usesRegex(r.Pattern):
			if regexFilters == maxRegexFiltersPerLogGroup {
				skipped = append(skipped, fmt.Sprintf("%s (CloudWatch Logs allows %d filters with regular expressions per log group)", r.ID, maxRegexFiltersPerLogGroup))
				continue
			}
			regexFilters++
		}
		f := compatFilter{Rule: r, Threshold: 1, Period: defaultAlarmPeriod}
		if t := r.Threshold; t != nil {
			// The detector counts in tumbling windows aligned like alarm
			// periods, so the window is the alarm's period.
			f.Threshold, f.Period = t.Count, t.Window
			if len(t.GroupBy) > 0 {
				warnings = append(warnings, fmt.Sprintf("cloudWatchCompat: the alarm of %s counts all its matches together; "+
					"a metric filter cannot group them by %s as the detector does", r.ID, strings.Join(t.GroupBy, ", ")))
			}
		}
		if len(r.Exclude) > 0 {
			warnings = append(warnings, fmt.Sprintf("cloudWatchCompat: the metric filter of %s also counts the events its %d exclusions "+
				"suppress in the detector: a metric filter holds the pattern text alone", r.ID, len(r.Exclude)))
		}
		plan = append(plan, f)
	}
	if len(skipped) > 0 {
		warnings = append(warnings, "cloudWatchCompat: no metric filter for "+strings.Join(skipped, "; "))
	}
	return plan, warnings
}

func usesRegex(p *filterpattern.Pattern) bool {
	found := false
	filterpattern.Walk(p.Root(), func(n filterpattern.Node) {
		if c, ok := n.(*filterpattern.Condition); ok && c.Value != nil && c.Value.Kind == filterpattern.ValueRegex {
			found = true
		}
	})
	return found
}

// alarmDescription names the rule and the controls it stands for, which is
// what an auditor and the person paged look for first.
func alarmDescription(r *detect.Rule) string {
	var controls []string
	for _, key := range []string{"securityhub", "cis-1.2.0", "cis-1.4.0"} {
		for _, id := range r.Controls[key] {
			controls = append(controls, controlLabel(key)+id)
		}
	}
	d := "trailwatch " + r.ID + ": " + r.Title
	if len(controls) > 0 {
		d += " (" + strings.Join(controls, ", ") + ")"
	}
	d += ". The detector's alert e-mail for the same events says who did what, where and when."
	if r.Mode == detect.ModeShadow {
		d += " The rule is in shadow mode: this alarm notifies nobody."
	}
	return d
}

func controlLabel(standard string) string {
	switch standard {
	case "securityhub":
		return "Security Hub "
	case "cis-1.2.0":
		return "CIS 1.2.0 "
	default:
		return "CIS 1.4.0 "
	}
}

// addCloudWatchCompat adds the compatibility mode for the embedded rules, the
// ones the detector Lambda is built with. Rules that do not load fail the
// synth; the app checks them before it builds the stack.
func addCloudWatchCompat(stack awscdk.Stack, archive *logArchive, topic awssns.ITopic, key awskms.IKey) {
	if archive.Trail == nil {
		awscdk.Annotations_Of(stack).AddError(jsii.String(KeyCloudWatchCompat + " needs the trail this stack creates"))
		return
	}
	rules, err := loadCompatRules()
	if err != nil {
		awscdk.Annotations_Of(stack).AddError(jsii.String(err.Error()))
		return
	}
	c := newCloudWatchCompat(stack, compatProps{Archive: archive, Topic: topic, Key: key, Rules: rules})
	output(stack, "TrailLogGroupName", c.LogGroup.LogGroupName(),
		"CloudWatch Logs group of the trail's events, for Logs Insights (trailwatch query --engine insights)")
}

// loadCompatRules returns the embedded rules, the ones the detector Lambda is
// built with, for the metric filters.
func loadCompatRules() ([]*detect.Rule, error) {
	rs, err := detect.Default()
	if err != nil {
		return nil, fmt.Errorf("load the rules for the metric filters: %w", err)
	}
	return rs.Rules(), nil
}
