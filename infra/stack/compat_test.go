package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/trailwatch/trailwatch/lambda/detect"
	"gopkg.in/yaml.v3"
)

var compatContext = map[string]any{KeyAlertEmails: "secops@example.com", KeyCloudWatchCompat: true}

func synthCompat(t *testing.T) *synthesized { return synth(t, "compat", compatContext) }

func TestParseConfig_cloudWatchCompat(t *testing.T) {
	tests := []struct {
		name    string
		value   any
		extra   map[string]any
		want    bool
		wantErr string
	}{
		{name: "unset", value: nil, want: false},
		{name: "JSON true", value: true, want: true},
		{name: "JSON false", value: false, want: false},
		{name: "-c true", value: "true", want: true},
		{name: "-c TRUE with blanks", value: " TRUE ", want: true},
		{name: "-c false", value: "false", want: false},
		{name: "empty string", value: "", want: false},
		{name: "not a boolean", value: "yes", wantErr: `context "cloudWatchCompat": "yes" is not true or false`},
		{name: "number", value: 1.0, wantErr: `context "cloudWatchCompat": 1 is a float64, want true or false`},
		{name: "with an existing trail bucket", value: true, extra: map[string]any{KeyExistingTrailBucket: "org-trail-logs"},
			wantErr: `context "cloudWatchCompat": needs the trail this stack creates, but existingTrailBucket is set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := map[string]any{KeyAlertEmails: "secops@example.com"}
			if tt.value != nil {
				ctx[KeyCloudWatchCompat] = tt.value
			}
			for k, v := range tt.extra {
				ctx[k] = v
			}
			cfg, err := ParseConfig(contextOf(ctx))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseConfig error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if cfg.CloudWatchCompat != tt.want {
				t.Errorf("CloudWatchCompat = %v, want %v", cfg.CloudWatchCompat, tt.want)
			}
		})
	}
}

// shippedPatterns reads the pattern of every rule file as the YAML has it,
// without going through package detect.
func shippedPatterns(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "rules", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("rule files: %v %v", files, err)
	}
	out := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			ID      string `yaml:"id"`
			Pattern string `yaml:"pattern"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[doc.ID] = doc.Pattern
	}
	return out
}

// TestCompat_metricFilters checks one metric filter per rule file, on the
// trail's log group, whose pattern is the rule's text byte for byte.
func TestCompat_metricFilters(t *testing.T) {
	s := synthCompat(t)
	want := shippedPatterns(t)
	if len(want) != 14 {
		t.Fatalf("%d rule files, want the 14 CIS rules", len(want))
	}
	s.count(t, "AWS::Logs::MetricFilter", len(want))
	logGroup := s.logicalID(t, "AWS::Logs::LogGroup", "TrailLogGroup")
	got := map[string]string{}
	for id, res := range s.resources("AWS::Logs::MetricFilter") {
		props := res["Properties"].(map[string]any)
		transforms := props["MetricTransformations"].([]any)
		if len(transforms) != 1 {
			t.Errorf("%s: %d metric transformations, want 1", id, len(transforms))
			continue
		}
		mt := transforms[0].(map[string]any)
		name, _ := mt["MetricName"].(string)
		if mt["MetricNamespace"] != CompatNamespace || mt["MetricValue"] != "1" {
			t.Errorf("%s: transformation %v, want namespace %s and value \"1\"", id, mt, CompatNamespace)
		}
		if lg := jsonText(props["LogGroupName"]); lg != jsonText(ref(logGroup)) {
			t.Errorf("%s: LogGroupName %s, want the trail's log group %s", id, lg, logGroup)
		}
		got[name], _ = props["FilterPattern"].(string)
	}
	for rule, pattern := range want {
		if got[rule] != pattern {
			t.Errorf("metric %s: FilterPattern\n  %q\nwant the rule file's text\n  %q", rule, got[rule], pattern)
		}
	}
}

// TestCompat_alarms checks the alarm of every rule: the shape CIS and
// Security Hub CloudWatch.1-14 prescribe, notifying the alert topic.
func TestCompat_alarms(t *testing.T) {
	s := synthCompat(t)
	topic := s.logicalID(t, "AWS::SNS::Topic", "AlertTopic")
	rules := shippedPatterns(t)
	seen := map[string]bool{}
	for id, res := range s.resources("AWS::CloudWatch::Alarm") {
		props := res["Properties"].(map[string]any)
		if props["Namespace"] != CompatNamespace {
			continue
		}
		metric, _ := props["MetricName"].(string)
		seen[metric] = true
		want := map[string]any{
			"AlarmName":          testStackName + "-" + metric,
			"Statistic":          "Sum",
			"Period":             300.0,
			"Threshold":          1.0,
			"EvaluationPeriods":  1.0,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"TreatMissingData":   "notBreaching",
			"AlarmActions":       []any{ref(topic)},
		}
		for k, v := range want {
			if jsonText(props[k]) != jsonText(v) {
				t.Errorf("alarm %s (%s): %s = %s, want %s", id, metric, k, jsonText(props[k]), jsonText(v))
			}
		}
		if d, _ := props["AlarmDescription"].(string); !strings.Contains(d, metric) || !strings.Contains(d, "Security Hub CloudWatch.") {
			t.Errorf("alarm %s: description %q names neither the rule nor its Security Hub control", id, d)
		}
	}
	for rule := range rules {
		if !seen[rule] {
			t.Errorf("no alarm on metric %s", rule)
		}
	}
	if len(seen) != len(rules) {
		t.Errorf("%d compatibility alarms, want %d", len(seen), len(rules))
	}
}

// TestCompat_trailDelivery checks the log group, the delivery role and the
// trail's settings.
func TestCompat_trailDelivery(t *testing.T) {
	s := synthCompat(t)
	key := s.logicalID(t, "AWS::KMS::Key", "OperationsKey")
	logGroup := s.logicalID(t, "AWS::Logs::LogGroup", "TrailLogGroup")
	role := s.logicalID(t, "AWS::IAM::Role", "TrailLogsRole")
	policy := s.logicalID(t, "AWS::IAM::ManagedPolicy", "TrailLogsPolicy")

	s.hasProps(t, "trail log group encrypted with the operations key, kept a year", "AWS::Logs::LogGroup", map[string]any{
		"KmsKeyId":        getAtt(key, "Arn"),
		"RetentionInDays": 365,
	})
	expect(t, "trail log group retained", func() {
		s.Template.HasResource(jsii.String("AWS::Logs::LogGroup"), map[string]any{
			"Properties":     objectLike(map[string]any{"KmsKeyId": getAtt(key, "Arn"), "RetentionInDays": 365}),
			"DeletionPolicy": "Retain",
		})
	})
	s.hasProps(t, "delivery role trusted by CloudTrail only", "AWS::IAM::Role", map[string]any{
		"AssumeRolePolicyDocument": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Action": "sts:AssumeRole", "Effect": "Allow",
				"Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
			}},
		},
	})
	streams := map[string]any{"Fn::Join": []any{"", []any{
		"arn:", ref("AWS::Partition"), ":logs:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":log-group:",
		ref(logGroup), ":log-stream:", ref("AWS::AccountId"), "_CloudTrail_*",
	}}}
	s.hasProps(t, "delivery policy: create and write CloudTrail's streams of this log group only", "AWS::IAM::ManagedPolicy", map[string]any{
		"Roles": []any{ref(role)},
		"PolicyDocument": map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Sid": "DeliverTrailEvents", "Effect": "Allow",
				"Action":   []any{"logs:CreateLogStream", "logs:PutLogEvents"},
				"Resource": streams,
			}},
		},
	})
	s.hasProps(t, "trail delivers to the log group through the role", "AWS::CloudTrail::Trail", map[string]any{
		"CloudWatchLogsLogGroupArn": getAtt(logGroup, "Arn"),
		"CloudWatchLogsRoleArn":     getAtt(role, "Arn"),
		"IsMultiRegionTrail":        true,
	})
	expect(t, "trail created after the delivery policy", func() {
		s.Template.HasResource(jsii.String("AWS::CloudTrail::Trail"), map[string]any{
			"DependsOn": arrayWith(policy),
		})
	})
	expect(t, "log group name output", func() {
		s.Template.HasOutput(jsii.String("TrailLogGroupName"), map[string]any{"Value": ref(logGroup)})
	})

	// Without the mode none of it exists.
	d := synthDefault(t)
	d.count(t, "AWS::Logs::MetricFilter", 0)
	d.hasProps(t, "default trail does not deliver to CloudWatch Logs", "AWS::CloudTrail::Trail", map[string]any{
		"CloudWatchLogsLogGroupArn": absent(),
		"CloudWatchLogsRoleArn":     absent(),
	})
}

// TestCompat_nag runs the nag packs over the compatibility mode; every
// finding not suppressed with a reason fails, and the shipped rules need no
// synth warning.
func TestCompat_nag(t *testing.T) {
	s := synthCompat(t)
	for _, pack := range []string{"AwsSolutions-.*", `PCI\.DSS\.321-.*`, "CdkNagValidationFailure.*"} {
		re := like(pack)
		for _, m := range append(*s.Annotations.FindError(jsii.String("*"), re), *s.Annotations.FindWarning(jsii.String("*"), re)...) {
			t.Errorf("%s %s: %v", m.Level, *m.Id, m.Entry.Data)
		}
	}
	for _, m := range *s.Annotations.FindWarning(jsii.String("*"), like("cloudWatchCompat")) {
		t.Errorf("shipped rules gave a compatibility warning: %v", m.Entry.Data)
	}
}

// TestCompat_cloudWatchLogsCheckPasses shows that in compatibility mode the
// trail passes PCI DSS CloudTrailCloudWatchLogsEnabled on its own: the pack
// runs with every suppression ignored, and that one finding is absent while
// other suppressed findings do appear.
func TestCompat_cloudWatchLogsCheckPasses(t *testing.T) {
	ann := synthIgnoringSuppressions(t, compatContext)
	pciFindings := func(rule string) int {
		return len(*ann.FindError(jsii.String("*"), like(`PCI\.DSS\.321-`+rule)))
	}
	if n := pciFindings("S3BucketReplicationEnabled"); n == 0 {
		t.Fatal("suppressions were not ignored: no S3BucketReplicationEnabled finding")
	}
	if n := pciFindings("CloudTrailCloudWatchLogsEnabled"); n != 0 {
		t.Errorf("%d CloudTrailCloudWatchLogsEnabled findings in compatibility mode, want none", n)
	}
	// The control: without the mode the same check finds the trail.
	def := synthIgnoringSuppressions(t, defaultContext)
	if n := len(*def.FindError(jsii.String("*"), like(`PCI\.DSS\.321-CloudTrailCloudWatchLogsEnabled`))); n != 1 {
		t.Errorf("%d CloudTrailCloudWatchLogsEnabled findings without the mode, want 1", n)
	}
}

// synthIgnoringSuppressions synthesizes the stack with the PCI DSS pack
// reporting suppressed findings too.
func synthIgnoringSuppressions(t *testing.T, ctx map[string]any) assertions.Annotations {
	t.Helper()
	if testing.Short() {
		t.Skip("a further synthesis; skipped in -short")
	}
	synthCompat(t) // skips without node, and sets up jsii
	full := cdkJSONContext(t)
	for k, v := range ctx {
		full[k] = v
	}
	full[KeyLambdaAssetDir] = lambdaAsset(t)
	cfg, err := ParseConfig(contextOf(full))
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &full, Outdir: jsii.String(mkdirTemp(t, "trailwatch-cdk-out-"))})
	st := New(app, testStackName, cfg, nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewPCIDSS321Checks(&cdknag.NagPackProps{
		Reports:                    jsii.Bool(false),
		SuppressionIgnoreCondition: cdknag.NewSuppressionIgnoreAlways(jsii.String("ignored to test the finding")),
	}), nil)
	return assertions.Annotations_FromStack(st)
}

func compatRuleSet(t *testing.T, files map[string]string) []*detect.Rule {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	rs, err := detect.LoadFS(fsys)
	if err != nil {
		t.Fatalf("LoadFS: %v", err)
	}
	return rs.Rules()
}

func testRule(id, pattern, extra string) string {
	return fmt.Sprintf("id: %s\ntitle: %s\nseverity: low\ndescription: test rule\npattern: '%s'\n%s", id, id, pattern, extra)
}

func TestPlanMetricFilters(t *testing.T) {
	files := map[string]string{
		"plain.yaml":  testRule("t-plain", `{ $.eventName = "StopLogging" }`, ""),
		"burst.yaml":  testRule("t-burst", `{ $.errorCode = "AccessDenied*" }`, "threshold: {count: 5, window: 10m, groupBy: [userIdentity.arn]}\n"),
		"count.yaml":  testRule("t-count", `{ $.eventName = "GetObject" }`, "threshold: {count: 3, window: 1h}\n"),
		"shadow.yaml": testRule("t-shadow", `{ $.eventName = "ConsoleLogin" }`, "mode: shadow\n"),
		"excl.yaml": testRule("t-excl", `{ $.eventName = "PutBucketPolicy" }`, `exclude:
  - pattern: '{ $.userIdentity.arn = "arn:aws:iam::123456789012:role/deploy" }'
    reason: the deployment pipeline
`),
	}
	for i := 1; i <= 6; i++ {
		files[fmt.Sprintf("re%d.yaml", i)] = testRule(fmt.Sprintf("t-re%d", i), fmt.Sprintf(`{ $.eventName = %%Put%d%% }`, i), "")
	}
	plan, warnings := planMetricFilters(compatRuleSet(t, files))
	byID := map[string]compatFilter{}
	for _, f := range plan {
		byID[f.Rule.ID] = f
	}
	tests := []struct {
		id        string
		planned   bool
		threshold int
		period    string
	}{
		{"t-plain", true, 1, "5m0s"},
		{"t-burst", true, 5, "10m0s"},
		{"t-count", true, 3, "1h0m0s"},
		{"t-shadow", true, 1, "5m0s"},
		{"t-excl", true, 1, "5m0s"},
	}
	for _, tt := range tests {
		f, ok := byID[tt.id]
		if !ok {
			t.Errorf("%s: no metric filter planned", tt.id)
			continue
		}
		if f.Threshold != tt.threshold || f.Period.String() != tt.period {
			t.Errorf("%s: threshold %d period %s, want %d %s", tt.id, f.Threshold, f.Period, tt.threshold, tt.period)
		}
	}
	regex := 0
	for id := range byID {
		if strings.HasPrefix(id, "t-re") {
			regex++
		}
	}
	if regex != maxRegexFiltersPerLogGroup {
		t.Errorf("%d regex filters planned, want the quota of %d", regex, maxRegexFiltersPerLogGroup)
	}
	wantWarnings := []string{
		"the alarm of t-burst counts all its matches together; a metric filter cannot group them by userIdentity.arn",
		"the metric filter of t-excl also counts the events its 1 exclusions suppress",
		"no metric filter for t-re6 (CloudWatch Logs allows 5 filters with regular expressions per log group)",
	}
	all := strings.Join(warnings, "\n")
	for _, w := range wantWarnings {
		if !strings.Contains(all, w) {
			t.Errorf("warnings do not say %q:\n%s", w, all)
		}
	}
	if len(warnings) != len(wantWarnings) {
		t.Errorf("%d warnings, want %d:\n%s", len(warnings), len(wantWarnings), all)
	}
}

// TestCompat_skippedRuleWarning synthesizes the compatibility mode alone for
// rules past the regex quota and checks the synth warning names them, and
// that a shadow rule's alarm notifies nobody.
func TestCompat_skippedRuleWarning(t *testing.T) {
	synthCompat(t) // skips without node, and sets up jsii
	files := map[string]string{"shadow.yaml": testRule("t-shadow", `{ $.eventName = "ConsoleLogin" }`, "mode: shadow\n")}
	for i := 1; i <= 7; i++ {
		files[fmt.Sprintf("re%d.yaml", i)] = testRule(fmt.Sprintf("t-re%d", i), fmt.Sprintf(`{ $.eventName = %%Put%d%% }`, i), "")
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(mkdirTemp(t, "trailwatch-cdk-out-"))})
	st := awscdk.NewStack(app, jsii.String("Compat"), nil)
	trail := awscloudtrail.NewCfnTrail(st, jsii.String("Trail"), &awscloudtrail.CfnTrailProps{
		IsLogging: jsii.Bool(true), S3BucketName: jsii.String("logs"),
	})
	key := awskms.NewKey(st, jsii.String("Key"), nil)
	topic := awssns.NewTopic(st, jsii.String("Topic"), nil)
	newCloudWatchCompat(st, compatProps{Archive: &logArchive{Trail: trail}, Topic: topic, Key: key, Rules: compatRuleSet(t, files)})

	warnings := *assertions.Annotations_FromStack(st).FindWarning(jsii.String("*"), like("cloudWatchCompat"))
	var texts []string
	for _, w := range warnings {
		texts = append(texts, fmt.Sprint(w.Entry.Data))
	}
	all := strings.Join(texts, "\n")
	for _, id := range []string{"t-re6", "t-re7"} {
		if !strings.Contains(all, id) {
			t.Errorf("synth warnings do not name skipped rule %s:\n%s", id, all)
		}
	}
	tmpl := assertions.Template_FromStack(st, nil)
	expect(t, "6 metric filters: 5 with regular expressions and the shadow rule", func() {
		tmpl.ResourceCountIs(jsii.String("AWS::Logs::MetricFilter"), jsii.Number(6))
	})
	for id, r := range *tmpl.FindResources(jsii.String("AWS::CloudWatch::Alarm"), nil) {
		props := (*r)["Properties"].(map[string]any)
		_, notifies := props["AlarmActions"]
		if shadow := props["MetricName"] == "t-shadow"; notifies == shadow {
			t.Errorf("alarm %s on %v: AlarmActions present = %v", id, props["MetricName"], notifies)
		}
	}
}
