package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/lambda/detect"
	"github.com/trailwatch/trailwatch/lambda/filterpattern"
	"github.com/trailwatch/trailwatch/lambda/query"
)

var queryCmd = &command{
	name:    "query",
	summary: "print a Logs Insights or Athena query for a rule or pattern",
	usage: "trailwatch query --engine insights|athena [--rules DIR] [--table NAME] [--limit N] RULE-ID|PATTERN\n" +
		"       trailwatch query --athena-table s3://BUCKET[/PREFIX] [--table NAME] [--accounts ID,...] [--regions R,...] [--since YYYY/MM/DD]",
	help: `Prints a query that selects, in CloudTrail at rest, the events a rule (by
id, e.g. cis-3.2) or a filter pattern (text starting with "{") matches:

  --engine insights  a CloudWatch Logs Insights query for the trail's log
                     group (the stack's TrailLogGroupName output with
                     -c cloudWatchCompat=true)
  --engine athena    Athena (Trino) SQL over the CloudTrail table that
                     --athena-table creates

The query keeps the pattern's meaning: != is false where the field is
missing, quoted values compare as text and unquoted numbers as numbers, "*"
matches left to right as CloudWatch does. A rule's active exclude entries
are left out of the result. What an engine cannot express that way is an
error that names the construct and its column; nothing is printed then.

  trailwatch query --engine insights cis-3.1
  trailwatch query --engine athena --table security.cloudtrail cis-3.3
  trailwatch query --engine athena '{ $.requestParameters.bucketName = "prod-*" }'

With --athena-table, prints instead the CREATE EXTERNAL TABLE statement for
the trail's log files under s3://BUCKET[/PREFIX]/AWSLogs/ (an organization
trail: s3://BUCKET[/PREFIX]/AWSLogs/o-ORGID/), partitioned by account,
Region and day with partition projection, so no partition is ever added by
hand. Query with AND day >= '2026/01/01' AND region = 'us-east-1' to read
only those days and Regions.

Flags:
  --engine insights|athena  the query language
  --rules DIR               look RULE-ID up in the rule files in DIR instead
                            of the embedded rules
  --table NAME              the Athena table (default cloudtrail_logs), also
                            the name --athena-table creates
  --limit N                 the rows a query returns (default 1000)
  --athena-table s3://BUCKET[/PREFIX]
                            print the CREATE EXTERNAL TABLE statement
  --accounts ID,...         the accounts of the account partition; without
                            it every query must say account = '<id>'
  --regions R,...           the Regions of the region partition (default:
                            every commercial Region)
  --since YYYY/MM/DD        the first day of the day partition (default
                            2013/11/01)

Exit status:
  0  the query was printed
  1  the engine cannot express the pattern
  2  usage error, an unknown rule or a pattern that does not parse
`,
	run: runQuery,
}

func runQuery(c *command, e *env, args []string) int {
	fs := newFlagSet("query")
	engine := fs.String("engine", "", "")
	rulesDir := fs.String("rules", "", "")
	table := fs.String("table", "", "")
	limit := fs.Int("limit", query.DefaultLimit, "")
	location := fs.String("athena-table", "", "")
	accounts := fs.String("accounts", "", "")
	regions := fs.String("regions", "", "")
	since := fs.String("since", "", "")
	positional, err := parseArgs(fs, args)
	if err != nil {
		return e.usageError(c, err)
	}
	if *location != "" {
		switch {
		case len(positional) > 0:
			err = fmt.Errorf("unexpected argument %q: --athena-table prints the table, not a query", positional[0])
		case *engine != "" || *rulesDir != "":
			err = errors.New("--athena-table takes no --engine or --rules")
		}
		if err != nil {
			return e.usageError(c, err)
		}
		return printTable(c, e, *location, query.TableOptions{
			Table: *table, Accounts: list(*accounts), Regions: list(*regions), Since: *since,
		})
	}
	switch {
	case *accounts != "" || *regions != "" || *since != "":
		err = errors.New("--accounts, --regions and --since go with --athena-table")
	case *engine != query.EngineInsights && *engine != query.EngineAthena:
		err = fmt.Errorf("--engine must be insights or athena, not %q", *engine)
	case *engine == query.EngineInsights && *table != "":
		err = errors.New("--table names an Athena table; Logs Insights queries the log group chosen when running it")
	case *limit < 1 || *limit > 10000:
		err = fmt.Errorf("--limit must be 1 to 10000, not %d", *limit)
	case len(positional) == 0:
		err = errors.New("no RULE-ID or PATTERN given")
	case len(positional) > 1:
		err = fmt.Errorf("unexpected argument %q: give one RULE-ID or PATTERN", positional[1])
	}
	if err != nil {
		return e.usageError(c, err)
	}
	pattern, opts, code := queryTarget(e, positional[0], *rulesDir)
	if code != exitOK {
		return code
	}
	opts.Table, opts.Limit = *table, *limit
	var q string
	if *engine == query.EngineInsights {
		q, err = query.Insights(pattern, opts)
	} else {
		q, err = query.Athena(pattern, opts)
	}
	if err != nil {
		var qe *query.Error
		if errors.As(err, &qe) {
			fmt.Fprintf(e.stderr, "trailwatch query: %v\n%s\n", qe, qe.Snippet())
			return exitFail
		}
		fmt.Fprintf(e.stderr, "trailwatch query: %v\n", err)
		return exitUsage
	}
	fmt.Fprint(e.stdout, q)
	return exitOK
}

// queryTarget resolves a RULE-ID or PATTERN argument into the pattern to
// translate and, for a rule, its title and active exclusions.
func queryTarget(e *env, arg, rulesDir string) (*filterpattern.Pattern, query.Options, int) {
	if strings.HasPrefix(strings.TrimSpace(arg), "{") {
		p, err := filterpattern.Parse(arg)
		if err != nil {
			var se *filterpattern.SyntaxError
			if errors.As(err, &se) {
				fmt.Fprintf(e.stderr, "trailwatch query: bad pattern: %v\n%s\n", se, se.Snippet())
			} else {
				fmt.Fprintf(e.stderr, "trailwatch query: bad pattern: %v\n", err)
			}
			return nil, query.Options{}, exitUsage
		}
		return p, query.Options{}, exitOK
	}
	rs, err := loadRules(rulesDir)
	if err != nil {
		e.errorf("%s", describeRulesError(rulesDir, err))
		return nil, query.Options{}, exitUsage
	}
	r := rs.Rule(arg)
	if r == nil {
		var ids []string
		for _, r := range rs.Rules() {
			ids = append(ids, r.ID)
		}
		fmt.Fprintf(e.stderr, "trailwatch query: no rule %q in %s; the rules are: %s\n",
			arg, rulesWhere(rulesDir), strings.Join(ids, ", "))
		return nil, query.Options{}, exitUsage
	}
	return r.Pattern, ruleQueryOptions(r, time.Now()), exitOK
}

// ruleQueryOptions titles the query after the rule and leaves out the
// matches its exclude entries active at now suppress.
func ruleQueryOptions(r *detect.Rule, now time.Time) query.Options {
	o := query.Options{Title: r.ID + " " + r.Title}
	for _, x := range r.Exclude {
		if !x.Active(now) {
			continue
		}
		why := x.Reason
		if !x.Until.IsZero() {
			why += ", until " + x.Until.Format(time.DateOnly)
		}
		o.Exclude = append(o.Exclude, query.Exclusion{Pattern: x.Pattern, Why: why})
	}
	if t := r.Threshold; t != nil {
		o.Title += fmt.Sprintf(" (alerts at %d matches per %s", t.Count, windowText(t.Window))
		if len(t.GroupBy) > 0 {
			o.Title += " per " + strings.Join(t.GroupBy, ", ")
		}
		o.Title += "; this lists every match)"
	}
	return o
}

// windowText writes a threshold window as the rule files do: 10m, 1h.
func windowText(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

func printTable(c *command, e *env, location string, o query.TableOptions) int {
	loc, err := query.ParseLocation(location)
	if err == nil {
		var ddl string
		if ddl, err = query.TableDDL(loc, o); err == nil {
			fmt.Fprint(e.stdout, ddl)
			return exitOK
		}
	}
	return e.usageError(c, err)
}

// list splits a comma-separated flag value.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
