package stack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The detector's own metrics, written as CloudWatch embedded metric format
// (EMF) lines in its log: namespace MetricsNamespace, one dimension
// MetricsDimension=MetricsService.
const (
	MetricsNamespace     = "Trailwatch"
	MetricsDimension     = "Service"
	MetricsService       = "trailwatch"
	MetricFilesProcessed = "FilesProcessed"  // one per log file scanned to the end
	MetricUnreadable     = "UnreadableFiles" // one per log file that could not be read or parsed
)

const alarmPeriodMinutes = 5

// newAlarms watches the detector itself and notifies the alert topic when it
// fails, is throttled, gives up on a file, cannot read one, or goes quiet.
// Each alarm also notifies when it returns to OK.
func newAlarms(scope constructs.Construct, cfg Config, d *detector, topic awssns.ITopic) {
	period := awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes))
	action := awscloudwatchactions.NewSnsAction(topic)
	alarm := func(id, description string, metric awscloudwatch.IMetric, periods int, op awscloudwatch.ComparisonOperator, missing awscloudwatch.TreatMissingData) {
		a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(float64(periods)),
			DatapointsToAlarm:  jsii.Number(float64(periods)),
			ComparisonOperator: op,
			TreatMissingData:   missing,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
	}
	atLeastOne := awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD

	alarm("DetectorErrorsAlarm",
		"trailwatch: the detector failed on a CloudTrail log file; Lambda retries it, then sends it to the failure queue",
		d.Function.MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
		1, atLeastOne, awscloudwatch.TreatMissingData_NOT_BREACHING)
	alarm("DetectorThrottlesAlarm",
		"trailwatch: the detector was throttled; raise reservedConcurrency if this repeats",
		d.Function.MetricThrottles(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}),
		1, atLeastOne, awscloudwatch.TreatMissingData_NOT_BREACHING)
	alarm("FailureQueueAlarm",
		"trailwatch: a CloudTrail log file was given up on after retries and waits in the failure queue; run trailwatch replay",
		d.FailureQueue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}),
		1, atLeastOne, awscloudwatch.TreatMissingData_NOT_BREACHING)
	alarm("UnreadableFilesAlarm",
		"trailwatch: a CloudTrail log file could not be read or parsed; its events were not checked",
		detectorMetric(MetricUnreadable, period),
		1, atLeastOne, awscloudwatch.TreatMissingData_NOT_BREACHING)
	// Silence must not look like health: no data at all is an alarm too. Every
	// one of the deadManMinutes/5 periods must be empty, so the alarm fires
	// deadManMinutes after the last file, not at the next period boundary.
	alarm("DeadMansSwitchAlarm",
		fmt.Sprintf("trailwatch: no CloudTrail log file was processed for %d minutes; the trail, its bucket notification "+
			"or the detector may be broken", cfg.DeadManMinutes),
		detectorMetric(MetricFilesProcessed, period), cfg.DeadManMinutes/alarmPeriodMinutes,
		awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD, awscloudwatch.TreatMissingData_BREACHING)
}

func detectorMetric(name string, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(MetricsNamespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{MetricsDimension: jsii.String(MetricsService)},
		Statistic:     jsii.String("Sum"),
		Period:        period,
	})
}
