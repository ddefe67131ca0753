// Package detect turns rule files into a validated, compiled rule set and
// evaluates CloudTrail records against it.
//
// A rule file is YAML (see DESIGN.md "Rule files"): an id, a title, a severity,
// a description for responders, a CloudWatch Logs filter pattern, optional
// exclusions, an optional threshold, a mode and inline test events. [LoadFS]
// reads every rule file of a directory, reports every problem of every file at
// once as an [ErrorList] of "file:line:col: message" lines, and compiles all
// patterns, exclusions included, into one filter-pattern program so that each
// record is scanned once whatever the number of rules.
//
// [RuleSet.Scan] runs the rules over one delivered log file and groups the
// matches per rule, keeping copies of the first few records for the alert;
// [Matcher] evaluates single records; [RuleSet.RunTests] runs the inline tests
// through the same matcher; [ThresholdCounter] replays threshold rules over many
// files in memory, as the CLI needs.
package detect
