// Package rules holds the shipped detection rules, one YAML file per CIS AWS
// Foundations Benchmark v1.2.0 monitoring control (3.1 … 3.14).
//
// Each file carries the control's CloudWatch Logs filter pattern verbatim as
// Security Hub publishes it, so the same text can be pasted into a metric filter,
// plus a description for responders and inline test events. Package detect
// validates, compiles and tests them; see DESIGN.md "Rule files" for the format.
//
// No shipped rule has a threshold: CIS and Security Hub alarm on the first
// matching event (Sum >= 1 over 300 seconds), and one alert per rule per log file
// already collapses bursts. A threshold can be added to a local copy of a rule.
package rules

import "embed"

// FS holds the shipped rule files (*.yaml) at its root.
//
//go:embed *.yaml
var FS embed.FS
