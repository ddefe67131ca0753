package detector

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

func TestLoadConfig(t *testing.T) {
	const arn = "arn:aws:sns:us-east-1:111122223333:trailwatch-alerts"
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"defaults", map[string]string{"ALERT_TOPIC_ARN": arn},
			Config{TopicARN: arn, EventsPerAlert: 20, LogLevel: slog.LevelInfo}},
		{"everything set", map[string]string{"ALERT_TOPIC_ARN": " " + arn + " ", "EVENTS_PER_ALERT": "50", "LOG_LEVEL": "DEBUG"},
			Config{TopicARN: arn, EventsPerAlert: 50, LogLevel: slog.LevelDebug}},
		{"empty optional values", map[string]string{"ALERT_TOPIC_ARN": arn, "EVENTS_PER_ALERT": "", "LOG_LEVEL": ""},
			Config{TopicARN: arn, EventsPerAlert: 20, LogLevel: slog.LevelInfo}},
		{"GovCloud partition, warn", map[string]string{"ALERT_TOPIC_ARN": "arn:aws-us-gov:sns:us-gov-west-1:111122223333:a", "LOG_LEVEL": "warn"},
			Config{TopicARN: "arn:aws-us-gov:sns:us-gov-west-1:111122223333:a", EventsPerAlert: 20, LogLevel: slog.LevelWarn}},
		{"error level, one event", map[string]string{"ALERT_TOPIC_ARN": arn, "LOG_LEVEL": "error", "EVENTS_PER_ALERT": "1"},
			Config{TopicARN: arn, EventsPerAlert: 1, LogLevel: slog.LevelError}},
		{"state table", map[string]string{"ALERT_TOPIC_ARN": arn, "STATE_TABLE_NAME": " Trailwatch-State_1.x "},
			Config{TopicARN: arn, EventsPerAlert: 20, LogLevel: slog.LevelInfo, StateTable: "Trailwatch-State_1.x"}},
		{"rules directory", map[string]string{"ALERT_TOPIC_ARN": arn, "RULES_DIR": " /opt/rules "},
			Config{TopicARN: arn, EventsPerAlert: 20, LogLevel: slog.LevelInfo, RulesDir: "/opt/rules"}},
		{"blank state table", map[string]string{"ALERT_TOPIC_ARN": arn, "STATE_TABLE_NAME": " "},
			Config{TopicARN: arn, EventsPerAlert: 20, LogLevel: slog.LevelInfo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadConfig(lookupIn(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got != tt.want {
				t.Errorf("LoadConfig = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadConfig_errors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing set", map[string]string{}, []string{"ALERT_TOPIC_ARN is required"}},
		{"blank topic", map[string]string{"ALERT_TOPIC_ARN": "  "}, []string{"ALERT_TOPIC_ARN is required"}},
		{"queue ARN", map[string]string{"ALERT_TOPIC_ARN": "arn:aws:sqs:us-east-1:111122223333:q"}, []string{`ALERT_TOPIC_ARN: "arn:aws:sqs:us-east-1:111122223333:q" is not an SNS topic ARN`}},
		{"topic name only", map[string]string{"ALERT_TOPIC_ARN": "alerts"}, []string{"is not an SNS topic ARN"}},
		{"zero events", map[string]string{"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:1:a", "EVENTS_PER_ALERT": "0"}, []string{`EVENTS_PER_ALERT: "0" is not a whole number from 1 to 1000`}},
		{"too many events", map[string]string{"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:1:a", "EVENTS_PER_ALERT": "5000"}, []string{"EVENTS_PER_ALERT"}},
		{"table ARN", map[string]string{"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:1:a", "STATE_TABLE_NAME": "arn:aws:dynamodb:us-east-1:1:table/t"},
			[]string{`STATE_TABLE_NAME: "arn:aws:dynamodb:us-east-1:1:table/t" is not a DynamoDB table name`}},
		{"short table name", map[string]string{"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:1:a", "STATE_TABLE_NAME": "ab"}, []string{"STATE_TABLE_NAME"}},
		{"every problem at once", map[string]string{"EVENTS_PER_ALERT": "x", "LOG_LEVEL": "trace"},
			[]string{"ALERT_TOPIC_ARN is required", `EVENTS_PER_ALERT: "x"`, `LOG_LEVEL: "trace" is not one of debug, info, warn, error`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(lookupIn(tt.env))
			if err == nil {
				t.Fatal("LoadConfig succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadRules(t *testing.T) {
	embedded, err := LoadRules(Config{})
	if err != nil || len(embedded.Rules()) != 14 {
		t.Fatalf("embedded rules: %v, want the 14 CIS rules", err)
	}

	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("signin.yaml", signinRuleYAML)
	rs, err := LoadRules(Config{RulesDir: dir})
	if err != nil || len(rs.Rules()) != 1 || rs.Rules()[0].Threshold == nil {
		t.Fatalf("rules of %s: %v, want the one threshold rule", dir, err)
	}

	write("signin.yaml", strings.Replace(signinRuleYAML, "match: false", "match: true", 1))
	if _, err := LoadRules(Config{RulesDir: dir}); err == nil || !strings.Contains(err.Error(), "RULES_DIR "+dir) ||
		!strings.Contains(err.Error(), `test "success"`) {
		t.Errorf("a failing inline test: %v, want it reported with the directory", err)
	}
	if _, err := LoadRules(Config{RulesDir: filepath.Join(dir, "absent")}); err == nil {
		t.Error("a missing directory loaded")
	}
}
