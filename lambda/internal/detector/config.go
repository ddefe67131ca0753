package detector

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/trailwatch/trailwatch/lambda/detect"
)

// Defaults and bounds of the settings read from the environment.
const (
	defaultEventsPerAlert = 20
	maxEventsPerAlert     = 1000
)

// Config is the function's configuration, read once per container from the environment.
type Config struct {
	// TopicARN is the SNS topic alerts are published to (ALERT_TOPIC_ARN, required).
	TopicARN string
	// EventsPerAlert caps the events listed in one alert; the alert still counts them all
	// (EVENTS_PER_ALERT).
	EventsPerAlert int
	// LogLevel is the lowest level logged (LOG_LEVEL: debug, info, warn or error).
	LogLevel slog.Level
	// StateTable is the DynamoDB table that keeps threshold counts and sent alerts across log
	// files (STATE_TABLE_NAME, optional). Without it thresholds count within one log file and a
	// file delivered twice is alerted twice.
	StateTable string
	// RulesDir is a directory of rule files loaded instead of the embedded CIS rules (RULES_DIR,
	// optional), for example from a Lambda layer under /opt. Its rules are validated and their
	// inline tests run at start-up; any problem fails initialisation.
	RulesDir string
}

// LoadConfig reads the configuration through lookup (os.LookupEnv in production) and reports
// every problem at once.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	cfg := Config{EventsPerAlert: defaultEventsPerAlert, LogLevel: slog.LevelInfo}
	var errs []error

	if v, _ := lookup("ALERT_TOPIC_ARN"); strings.TrimSpace(v) == "" {
		errs = append(errs, errors.New("ALERT_TOPIC_ARN is required: the ARN of the SNS topic that alerts are published to"))
	} else if err := validateTopicARN(strings.TrimSpace(v)); err != nil {
		errs = append(errs, fmt.Errorf("ALERT_TOPIC_ARN: %w", err))
	} else {
		cfg.TopicARN = strings.TrimSpace(v)
	}

	if v, ok := lookup("EVENTS_PER_ALERT"); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > maxEventsPerAlert {
			errs = append(errs, fmt.Errorf("EVENTS_PER_ALERT: %q is not a whole number from 1 to %d", v, maxEventsPerAlert))
		} else {
			cfg.EventsPerAlert = n
		}
	}

	if v, ok := lookup("STATE_TABLE_NAME"); ok && strings.TrimSpace(v) != "" {
		if name := strings.TrimSpace(v); tableNameRE.MatchString(name) {
			cfg.StateTable = name
		} else {
			errs = append(errs, fmt.Errorf("STATE_TABLE_NAME: %q is not a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)", v))
		}
	}

	if v, ok := lookup("RULES_DIR"); ok && strings.TrimSpace(v) != "" {
		cfg.RulesDir = strings.TrimSpace(v)
	}

	if v, ok := lookup("LOG_LEVEL"); ok && strings.TrimSpace(v) != "" {
		level, err := parseLevel(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
		} else {
			cfg.LogLevel = level
		}
	}
	return cfg, errors.Join(errs...)
}

// LoadRules returns the rules cfg names: those of RulesDir, checked by their inline tests, or the
// embedded CIS rules.
func LoadRules(cfg Config) (*detect.RuleSet, error) {
	if cfg.RulesDir == "" {
		return detect.Default()
	}
	rs, err := detect.LoadDir(cfg.RulesDir)
	if err != nil {
		return nil, fmt.Errorf("RULES_DIR %s: %w", cfg.RulesDir, err)
	}
	if err := rs.RunTests(); err != nil {
		return nil, fmt.Errorf("RULES_DIR %s: %w", cfg.RulesDir, err)
	}
	return rs, nil
}

// tableNameRE is DynamoDB's rule for table names.
var tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// validateTopicARN checks the shape arn:<partition>:sns:<region>:<account>:<name>.
func validateTopicARN(arn string) error {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "sns" ||
		parts[3] == "" || parts[4] == "" || parts[5] == "" {
		return fmt.Errorf("%q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)", arn)
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not one of debug, info, warn, error", s)
}
