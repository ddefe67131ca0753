// Command bootstrap is the trailwatch detector, an AWS Lambda function (provided.al2023 runtime,
// built with -tags lambda.norpc). Invoked for each CloudTrail log file delivered to S3, it scans
// the file with the embedded CIS rules and publishes one SNS alert per rule that matched.
//
// This package is the composition root only: the work is done by internal/detector, configured
// from the environment (see detector.Config); AWS endpoints, region and credentials follow the
// AWS SDK's own settings, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SNS and AWS_ENDPOINT_URL_DYNAMODB
// included.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/trailwatch/trailwatch/lambda/internal/detector"
	"github.com/trailwatch/trailwatch/lambda/internal/emf"
)

func main() {
	h, err := newHandler(context.Background())
	if err != nil {
		failInit(err)
	}
	lambda.Start(h.Handle)
}

// newHandler builds everything an invocation needs, once per container.
func newHandler(ctx context.Context) (*detector.Handler, error) {
	start := time.Now()
	cfg, cfgErr := detector.LoadConfig(os.LookupEnv)
	log := detector.NewLogger(os.Stdout, cfg.LogLevel)
	slog.SetDefault(log)
	if cfgErr != nil {
		return nil, fmt.Errorf("configuration: %w", cfgErr)
	}
	limitMemory(log)

	rules, err := detector.LoadRules(cfg)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	rulesLoaded := time.Now()
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithAppID("trailwatch"))
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	log.Info("initialised", "rules", len(rules.Rules()), "rulesDir", cfg.RulesDir, "topicArn", cfg.TopicARN,
		"eventsPerAlert", cfg.EventsPerAlert, "stateTable", cfg.StateTable, "region", awsCfg.Region,
		"rules_ms", float64(rulesLoaded.Sub(start).Microseconds())/1000,
		"duration_ms", float64(time.Since(start).Microseconds())/1000)
	metrics := emf.New(os.Stdout, "Trailwatch", emf.Dimension{Name: "Service", Value: "trailwatch"})
	return detector.New(awsCfg, cfg, rules, log, metrics), nil
}

// limitMemory sets the Go soft memory limit to 80% of the function's memory unless GOMEMLIMIT
// says otherwise, so that the garbage collector works harder instead of the function running out
// of memory on a large log file.
func limitMemory(log *slog.Logger) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	mb, err := strconv.Atoi(os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 {
		return
	}
	limit := int64(mb) << 20 * 8 / 10
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit set", "bytes", limit)
}

// failInit reports an initialisation error the way a Lambda runtime does (POST
// /runtime/init/error, so that the invocation fails with the message), logs it and exits non-zero.
func failInit(err error) {
	slog.Error("init failed", "error", err.Error())
	if api := os.Getenv("AWS_LAMBDA_RUNTIME_API"); api != "" {
		body, _ := json.Marshal(map[string]any{"errorMessage": err.Error(), "errorType": "InitError", "stackTrace": []string{}})
		req, reqErr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
		if reqErr == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Lambda-Runtime-Function-Error-Type", "InitError")
			client := &http.Client{Timeout: 2 * time.Second}
			if resp, postErr := client.Do(req); postErr == nil {
				resp.Body.Close()
			} else {
				slog.Error("init error not reported to the runtime API", "error", postErr.Error())
			}
		}
	}
	os.Exit(1)
}
