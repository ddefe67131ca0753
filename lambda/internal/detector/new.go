package detector

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/internal/emf"
	"github.com/trailwatch/trailwatch/lambda/internal/state"
)

// New returns a Handler that reads objects with an S3 client and publishes alerts to
// cfg.TopicARN with an SNS client, both made from awsCfg, keeping state in cfg.StateTable when
// it is set and warning when it is not. metrics may be nil.
func New(awsCfg aws.Config, cfg Config, rules *detect.RuleSet, log *slog.Logger, metrics *emf.Logger) *Handler {
	var store *state.Store
	if cfg.StateTable != "" {
		store = &state.Store{API: dynamodb.NewFromConfig(awsCfg), Table: cfg.StateTable}
	} else {
		log.Warn("STATE_TABLE_NAME is not set: thresholds count within one log file only, and a log file delivered twice is alerted twice")
	}
	return &Handler{
		Objects: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			// CloudTrail's objects may carry no checksum; that is not worth a line per file.
			o.DisableLogOutputChecksumValidationSkipped = true
		}),
		Alerts:         &SNSPublisher{API: sns.NewFromConfig(awsCfg), TopicARN: cfg.TopicARN},
		Rules:          rules,
		EventsPerAlert: cfg.EventsPerAlert,
		Log:            log,
		Metrics:        metrics,
		State:          store,
	}
}
