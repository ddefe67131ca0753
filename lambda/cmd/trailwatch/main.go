// Command trailwatch runs the trailwatch detection rules over CloudTrail log
// files on disk or in a trail's S3 bucket, with the same packages the
// detector Lambda uses, explains why a rule matches an event, and replays the
// detector's failed invocations.
//
//	trailwatch scan [--rules DIR] [--format text|json] [--events-per-alert N] PATH...
//	trailwatch scan [flags] [--since DAY] [--until DAY] [--account ID] [--region NAME] s3://BUCKET[/PREFIX]...
//	trailwatch grep PATTERN PATH...
//	trailwatch explain [--rules DIR] [--first N] PATTERN|RULE-ID EVENT-FILE
//	trailwatch replay --queue URL [--dry-run] [--topic ARN]
//	trailwatch query --engine insights|athena [--rules DIR] [--table NAME] RULE-ID|PATTERN
//	trailwatch query --athena-table s3://BUCKET[/PREFIX] [--accounts ID,...]
//	trailwatch test [--rules DIR]
//	trailwatch version
//	trailwatch help [COMMAND]
//
// A PATH is a delivered CloudTrail file (.json or .json.gz, {"Records":[...]}),
// a JSON-lines file of single events, a directory (read recursively, skipping
// digest and Insights files), or "-" for standard input. Run "trailwatch help"
// for the flags and exit codes of each command.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
