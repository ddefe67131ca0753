package stack

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// contextOf returns a getter over a fixed context, as the CDK would pass it.
func contextOf(values map[string]any) ContextGetter {
	return func(key string) any { return values[key] }
}

func TestParseConfig(t *testing.T) {
	withDefaults := func(edit func(*Config)) Config {
		c := DefaultConfig()
		c.AlertEmails = []string{"secops@example.com"}
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		ctx  map[string]any
		want Config
	}{
		{
			name: "defaults",
			ctx:  map[string]any{KeyAlertEmails: "secops@example.com"},
			want: withDefaults(func(*Config) {}),
		},
		{
			name: "command-line strings",
			ctx: map[string]any{
				KeyAlertEmails:         "secops@example.com, oncall@example.org;audit@example.net",
				KeyRetentionDays:       "730",
				KeyArchiveAfterDays:    " 30 ",
				KeyObjectLockMode:      "compliance",
				KeyObjectLockDays:      "730",
				KeyDataEvents:          "S3-Write",
				KeyLogLevel:            "DEBUG",
				KeyReservedConcurrency: "0",
			},
			want: withDefaults(func(c *Config) {
				c.AlertEmails = []string{"secops@example.com", "oncall@example.org", "audit@example.net"}
				c.RetentionDays, c.ArchiveAfterDays, c.ObjectLockDays = 730, 30, 730
				c.ObjectLockMode, c.DataEvents, c.LogLevel = ObjectLockCompliance, DataEventsS3Write, "debug"
				c.ReservedConcurrency = 0
			}),
		},
		{
			name: "cdk.json values",
			ctx: map[string]any{
				KeyAlertEmails:         []any{"secops@example.com", "oncall@example.org"},
				KeyRetentionDays:       float64(500),
				KeyArchiveStorageClass: "glacier",
				KeyDeadManMinutes:      float64(120),
				KeyTrailKeyPrefix:      "audit/trail",
				KeyExistingTrailBucket: "",
			},
			want: withDefaults(func(c *Config) {
				c.AlertEmails = []string{"secops@example.com", "oncall@example.org"}
				c.RetentionDays, c.DeadManMinutes = 500, 120
				c.ArchiveStorageClass = StorageClassGlacier
				c.TrailKeyPrefix = "audit/trail/"
			}),
		},
		{
			name: "existing bucket",
			ctx: map[string]any{
				KeyAlertEmails:                "secops@example.com",
				KeyExistingTrailBucket:        "aws-controltower-logs-123456789012-eu-west-1",
				KeyExistingTrailKMSKeyARN:     "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
				KeyExistingTrailBucketTrigger: "EventBridge",
			},
			want: withDefaults(func(c *Config) {
				c.ExistingTrailBucket = "aws-controltower-logs-123456789012-eu-west-1"
				c.ExistingTrailKMSKeyARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
				c.ExistingTrailBucketTrigger = TriggerEventBridge
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig(contextOf(tt.ctx))
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseConfig =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseConfig_errors(t *testing.T) {
	base := func(extra map[string]any) map[string]any {
		ctx := map[string]any{KeyAlertEmails: "secops@example.com"}
		for k, v := range extra {
			ctx[k] = v
		}
		return ctx
	}
	tests := []struct {
		name string
		ctx  map[string]any
		want string // the whole message of the one expected problem
	}{
		{"no e-mail", map[string]any{}, `context "alertEmails": no address given`},
		{"bad e-mail", base(map[string]any{KeyAlertEmails: "secops@example.com,not-an-email"}),
			`context "alertEmails": "not-an-email" is not an e-mail address`},
		{"display name", base(map[string]any{KeyAlertEmails: []any{"Sec Ops <secops@example.com>"}}),
			`context "alertEmails": "Sec Ops <secops@example.com>" is not an e-mail address`},
		{"e-mail twice", base(map[string]any{KeyAlertEmails: "a@example.com,A@example.com"}),
			`context "alertEmails": "A@example.com" is listed twice`},
		{"e-mail list of numbers", base(map[string]any{KeyAlertEmails: []any{float64(1)}}),
			`context "alertEmails": list item 1 is a float64, want a string`},
		{"retention not a number", base(map[string]any{KeyRetentionDays: "a year"}),
			`context "retentionDays": "a year" is not a whole number`},
		{"retention fractional", base(map[string]any{KeyRetentionDays: 400.5}),
			`context "retentionDays": 400.5 is not a whole number`},
		{"retention below a year", base(map[string]any{KeyRetentionDays: "90", KeyArchiveAfterDays: "30", KeyObjectLockDays: "30"}),
			`context "retentionDays": 90 is outside 365..36500 (PCI DSS 10.7 keeps audit logs for at least a year)`},
		{"archive after expiry", base(map[string]any{KeyArchiveAfterDays: "400"}),
			`context "archiveAfterDays": 400 must be less than retentionDays (400)`},
		{"archive storage class bogus", base(map[string]any{KeyArchiveStorageClass: "DEEP_FREEZE"}),
			`context "archiveStorageClass": "DEEP_FREEZE" is not one of GLACIER_IR, GLACIER`},
		{"object lock mode bogus", base(map[string]any{KeyObjectLockMode: "LEGAL_HOLD"}),
			`context "objectLockMode": "LEGAL_HOLD" is not one of GOVERNANCE, COMPLIANCE`},
		{"object lock beyond retention", base(map[string]any{KeyObjectLockDays: float64(401)}),
			`context "objectLockDays": 401 must not exceed retentionDays (400)`},
		{"data events bogus", base(map[string]any{KeyDataEvents: "all"}),
			`context "dataEvents": "all" is not one of none, s3-write`},
		{"data events without own trail", base(map[string]any{KeyDataEvents: "s3-write", KeyExistingTrailBucket: "org-trail"}),
			`context "dataEvents": "s3-write" needs the trail this stack creates`},
		{"bucket with scheme", base(map[string]any{KeyExistingTrailBucket: "s3://org-trail"}),
			`context "existingTrailBucket": "s3://org-trail" is not an S3 bucket name`},
		{"key ARN malformed", base(map[string]any{KeyExistingTrailBucket: "org-trail", KeyExistingTrailKMSKeyARN: "alias/trail"}),
			`context "existingTrailKmsKeyArn": "alias/trail" is not a KMS key ARN`},
		{"key ARN without bucket", base(map[string]any{KeyExistingTrailKMSKeyARN: "arn:aws:kms:eu-west-1:123456789012:key/abc"}),
			`context "existingTrailKmsKeyArn": is set but existingTrailBucket is not`},
		{"trigger bogus", base(map[string]any{KeyExistingTrailBucket: "org-trail", KeyExistingTrailBucketTrigger: "sqs"}),
			`context "existingTrailBucketTrigger": "sqs" is not one of s3, eventbridge`},
		{"prefix with leading slash", base(map[string]any{KeyTrailKeyPrefix: "/logs"}),
			`context "trailKeyPrefix": "/logs" is not an S3 key prefix`},
		{"prefix including AWSLogs", base(map[string]any{KeyTrailKeyPrefix: "logs/AWSLogs"}),
			`context "trailKeyPrefix": "logs/AWSLogs/" must be the part before AWSLogs/`},
		{"dead man too short", base(map[string]any{KeyDeadManMinutes: "5"}),
			`context "deadManMinutes": 5 is outside 10..1440`},
		{"dead man off the period grid", base(map[string]any{KeyDeadManMinutes: "42"}),
			`context "deadManMinutes": 42 is not a multiple of 5, the alarm period`},
		{"memory too small", base(map[string]any{KeyLambdaMemoryMB: float64(64)}),
			`context "lambdaMemoryMb": 64 is outside 128..10240 (the Lambda limits)`},
		{"timeout too long", base(map[string]any{KeyLambdaTimeoutSeconds: "901"}),
			`context "lambdaTimeoutSeconds": 901 is outside 10..900 (the Lambda limits)`},
		{"negative concurrency", base(map[string]any{KeyReservedConcurrency: "-1"}),
			`context "reservedConcurrency": -1 is outside 0..1000`},
		{"events per alert zero", base(map[string]any{KeyEventsPerAlert: "0"}),
			`context "eventsPerAlert": 0 is outside 1..1000`},
		{"log level bogus", base(map[string]any{KeyLogLevel: "verbose"}),
			`context "logLevel": "verbose" is not one of debug, info, warn, error`},
		{"retention of wrong type", base(map[string]any{KeyRetentionDays: true}),
			`context "retentionDays": true is a bool, want a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(contextOf(tt.ctx))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseConfig error = %v, want a *ConfigError", err)
			}
			if len(ce.Problems) != 1 {
				t.Fatalf("ParseConfig found %d problems, want 1:\n%v", len(ce.Problems), err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("ParseConfig error =\n  %s\nwant it to start with\n  %s", err, tt.want)
			}
		})
	}
}

// TestParseConfig_reportsEveryProblem checks that one synth shows all mistakes.
func TestParseConfig_reportsEveryProblem(t *testing.T) {
	_, err := ParseConfig(contextOf(map[string]any{
		KeyAlertEmails:    "nobody",
		KeyObjectLockMode: "bogus",
		KeyDataEvents:     "everything",
	}))
	want := `context "alertEmails": "nobody" is not an e-mail address
context "dataEvents": "everything" is not one of none, s3-write
context "objectLockMode": "bogus" is not one of GOVERNANCE, COMPLIANCE`
	if err == nil || err.Error() != want {
		t.Errorf("ParseConfig error =\n%v\nwant\n%s", err, want)
	}
}

// TestCDKJSONDefaults keeps the defaults documented in cdk.json equal to the
// ones the code applies when a key is missing.
func TestCDKJSONDefaults(t *testing.T) {
	ctx := cdkJSONContext(t)
	for _, key := range []string{
		KeyAlertEmails, KeyRetentionDays, KeyArchiveAfterDays, KeyArchiveStorageClass, KeyObjectLockMode,
		KeyObjectLockDays, KeyDataEvents, KeyTrailKeyPrefix, KeyExistingTrailBucket, KeyExistingTrailKMSKeyARN,
		KeyExistingTrailBucketTrigger, KeyDeadManMinutes, KeyLambdaMemoryMB, KeyLambdaTimeoutSeconds,
		KeyReservedConcurrency, KeyEventsPerAlert, KeyLogLevel, KeyLambdaAssetDir, KeyCloudWatchCompat,
	} {
		if _, ok := ctx[key]; !ok {
			t.Errorf("cdk.json context has no %q", key)
		}
	}
	ctx[KeyAlertEmails] = []any{"secops@example.com"}
	got, err := ParseConfig(contextOf(ctx))
	if err != nil {
		t.Fatalf("ParseConfig(cdk.json): %v", err)
	}
	want := DefaultConfig()
	want.AlertEmails = []string{"secops@example.com"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cdk.json context gives\n%+v\nwant DefaultConfig()\n%+v", got, want)
	}
}

// cdkJSONContext returns the "context" object of the repository's cdk.json:
// its feature flags and defaults, which the CLI passes to the app.
func cdkJSONContext(t testing.TB) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "cdk.json"))
	if err != nil {
		t.Fatalf("read cdk.json: %v", err)
	}
	var doc struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse cdk.json: %v", err)
	}
	if doc.App != "go run ./infra" {
		t.Errorf(`cdk.json app = %q, want "go run ./infra"`, doc.App)
	}
	return doc.Context
}
