package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/trailwatch/trailwatch/lambda/detect"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func requireNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not on PATH; the CDK (jsii) needs it")
		}
		t.Skip("node is not on PATH; the CDK (jsii) needs it")
	}
}

// appWith returns an app whose context is cdk.json's overlaid with ctx, as
// `cdk synth -c key=value` would run it.
func appWith(t *testing.T, ctx map[string]any) (awscdk.App, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range ctx {
		doc.Context[k] = v
	}
	outdir := t.TempDir()
	return awscdk.NewApp(&awscdk.AppProps{Context: &doc.Context, Outdir: jsii.String(outdir)}), outdir
}

const validRule = `id: cis-9.1
title: Trail stopped
severity: high
description: Someone stopped a trail.
pattern: '{ $.eventName = StopLogging }'
tests:
  - {name: StopLogging matches, match: %s, event: {eventName: StopLogging}}
  - {name: StartLogging does not, match: false, event: {eventName: StartLogging}}
`

func rulesFrom(files map[string]string) func() (*detect.RuleSet, error) {
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return func() (*detect.RuleSet, error) { return detect.LoadFS(fsys) }
}

// TestRun_rejects checks that synth stops, before building anything, with a
// message naming what is wrong.
func TestRun_rejects(t *testing.T) {
	requireNode(t)
	good := rulesFrom(map[string]string{"cis-9.1-trail-stopped.yaml": strings.Replace(validRule, "%s", "true", 1)})
	tests := []struct {
		name  string
		ctx   map[string]any
		rules func() (*detect.RuleSet, error)
		want  []string
	}{
		{
			name:  "bad context",
			ctx:   map[string]any{"alertEmails": "secops@example.com,not-an-email", "retentionDays": "a year"},
			rules: good,
			want: []string{
				"invalid configuration:",
				`context "alertEmails": "not-an-email" is not an e-mail address`,
				`context "retentionDays": "a year" is not a whole number`,
			},
		},
		{
			name: "rule that does not load",
			ctx:  map[string]any{"alertEmails": "secops@example.com"},
			rules: rulesFrom(map[string]string{
				"cis-9.2-broken.yaml": "id: cis-9.2\ntitle: Broken\nseverity: high\ndescription: d\npattern: '{ ($.eventName = '\n",
			}),
			want: []string{"invalid rules:", "cis-9.2-broken.yaml:5:"},
		},
		{
			name:  "rule whose test fails",
			ctx:   map[string]any{"alertEmails": "secops@example.com"},
			rules: rulesFrom(map[string]string{"cis-9.1-trail-stopped.yaml": strings.Replace(validRule, "%s", "false", 1)}),
			want:  []string{"rule tests failed:", "cis-9.1-trail-stopped.yaml:", "StopLogging matches"},
		},
		{
			name:  "no Lambda build",
			ctx:   map[string]any{"alertEmails": "secops@example.com", "lambdaAssetDir": filepath.Join(t.TempDir(), "dist", "lambda")},
			rules: good,
			want:  []string{"bootstrap not found: run make build first"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, outdir := appWith(t, tt.ctx)
			err := run(app, tt.rules)
			if err == nil {
				t.Fatal("run succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("run error does not mention %q:\n%v", w, err)
				}
			}
			if entries, _ := os.ReadDir(outdir); len(entries) != 0 {
				t.Errorf("run wrote %d files into the cloud assembly before failing", len(entries))
			}
		})
	}
}

// TestRun synthesizes the app as `cdk synth` does, with the shipped rules.
func TestRun(t *testing.T) {
	requireNode(t)
	pkg := "github.com/trailwatch/trailwatch/lambda"
	assetDir := t.TempDir()
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(assetDir, "bootstrap"), pkg)
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	app, outdir := appWith(t, map[string]any{"alertEmails": "secops@example.com", "lambdaAssetDir": assetDir})
	if err := run(app, detect.Default); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, f := range []string{stackName + ".template.json",
		// cdk-nag names its reports <pack>-<stage>-<stack>; the app is the unnamed stage.
		"AwsSolutions--" + stackName + "-NagReport.csv", "PCI.DSS.321--" + stackName + "-NagReport.csv",
	} {
		if _, err := os.Stat(filepath.Join(outdir, f)); err != nil {
			t.Errorf("cloud assembly: %v", err)
		}
	}
}
