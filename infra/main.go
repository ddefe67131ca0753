// Command infra is the trailwatch CDK app: `cdk synth` runs it (see cdk.json).
// It validates the context, the shipped rules and the Lambda build, then
// synthesizes the stack with the cdk-nag checks applied.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/trailwatch/trailwatch/infra/stack"
	"github.com/trailwatch/trailwatch/lambda/detect"
)

// stackName is the CloudFormation stack name; the trail is named after it.
const stackName = "Trailwatch"

func main() {
	err := run(awscdk.NewApp(nil), detect.Default)
	jsii.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "trailwatch: %v\n", err)
		os.Exit(1)
	}
}

// run builds the stack into app. loadRules returns the rule set the detector
// will embed; a rule that does not load or fails its inline tests stops the
// synth, so a bad rule never reaches an account.
func run(app awscdk.App, loadRules func() (*detect.RuleSet, error)) error {
	cfg, err := stack.ParseConfig(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	rules, err := loadRules()
	if err != nil {
		return fmt.Errorf("invalid rules:\n%w", err)
	}
	if err := rules.RunTests(); err != nil {
		return fmt.Errorf("rule tests failed:\n%w", err)
	}
	if err := stack.CheckBootstrap(cfg.LambdaAssetDir); err != nil {
		return err
	}
	stack.New(app, stackName, cfg, nil)
	stack.AddNagChecks(app, true)
	app.Synth(nil)
	return nil
}
