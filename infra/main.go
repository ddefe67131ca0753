// Command infra is the trailwatch CDK app: `cdk synth` runs it (see cdk.json).
// It reads the context, checks the Lambda build, and synthesizes the stack
// with the cdk-nag checks applied.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/trailwatch/trailwatch/infra/stack"
)

// stackName is the CloudFormation stack name; the trail is named after it.
const stackName = "Trailwatch"

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "trailwatch: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := stack.ParseConfig(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	if err := stack.CheckBootstrap(cfg.LambdaAssetDir); err != nil {
		return err
	}
	stack.New(app, stackName, cfg, nil)
	stack.AddNagChecks(app, true)
	app.Synth(nil)
	return nil
}
