package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/lambda/cloudtrail"
	"github.com/trailwatch/trailwatch/lambda/internal/golden"
	"github.com/trailwatch/trailwatch/lambda/internal/localaws"
)

const archiveBucket = "trail-archive"

// archiveObject is one object of the test archive.
type archiveObject struct {
	key  string
	body []byte
}

// archiveFixture builds a trail's bucket as CloudTrail fills it: the trail
// prefix corp-trail/, account 111122223333 writing on its own for three days
// and account 444455556666 through an organization trail for two, in three
// regions; digest files for every region and day, an Insights file, and
// objects that are not CloudTrail's. The events are the demo files',
// re-dated and re-addressed to match their keys.
func archiveFixture(t *testing.T) []archiveObject {
	t.Helper()
	sources, err := filepath.Glob(filepath.Join(demoDir, "AWSLogs/111122223333/CloudTrail/*/2026/11/28/*.json.gz"))
	if err != nil || len(sources) != 5 {
		t.Fatalf("demo log files: %v %q", err, sources)
	}
	var objs []archiveObject
	add := func(key string, body []byte) { objs = append(objs, archiveObject{key: key, body: body}) }
	accounts := []struct{ id, prefix string }{
		{"111122223333", "corp-trail/AWSLogs/111122223333/"},
		{"444455556666", "corp-trail/AWSLogs/o-a1b2c3d4e5/444455556666/"},
	}
	for ai, acct := range accounts {
		for _, day := range []string{"27", "28", "29"} {
			if ai == 1 && day == "27" {
				continue // the organization trail starts a day later
			}
			for _, src := range sources {
				data := gunzipFile(t, src)
				data = bytes.ReplaceAll(data, []byte("111122223333"), []byte(acct.id))
				data = bytes.ReplaceAll(data, []byte("2026-11-28T"), []byte("2026-11-"+day+"T"))
				k := cloudtrail.ClassifyKey(filepath.ToSlash(src))
				name := strings.ReplaceAll(filepath.Base(src), "111122223333", acct.id)
				name = strings.ReplaceAll(name, "_20261128T", "_202611"+day+"T")
				add(fmt.Sprintf("%sCloudTrail/%s/2026/11/%s/%s", acct.prefix, k.Region, day, name), gzipBytes(t, data))
			}
			for _, region := range []string{"ap-southeast-2", "eu-west-1", "us-east-1"} {
				add(fmt.Sprintf("%sCloudTrail-Digest/%s/2026/11/%s/%s_CloudTrail-Digest_%s_management-events_us-east-1_202611%sT092021Z.json.gz",
					acct.prefix, region, day, acct.id, region, day),
					gzipBytes(t, fmt.Appendf(nil, `{"awsAccountId":%q,"digestStartTime":"2026-11-%sT08:20:21Z","logFiles":[]}`, acct.id, day)))
			}
		}
	}
	add("corp-trail/AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/11/28/111122223333_CloudTrail-Insight_us-east-1_20261128T0910Z_abcdefghijklmnop.json.gz",
		gzipBytes(t, []byte(`{"Records":[{"eventType":"AwsCloudTrailInsight","eventName":"StopLogging"}]}`)))
	add("corp-trail/README.txt", []byte("CloudTrail archive of the corp organization\n"))
	add("index.html", []byte("<html></html>\n"))
	slices.SortFunc(objs, func(a, b archiveObject) int { return strings.Compare(a.key, b.key) })
	return objs
}

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// archive is the fixture twice: in an S3 server and in a local directory.
type archive struct {
	s3   *localaws.S3
	dir  string // the local copy, keys as paths
	objs []archiveObject
}

// startArchive serves the fixture from an S3 server that the CLI reaches
// through the standard SDK configuration, as a user's shell would.
func startArchive(t *testing.T) *archive {
	t.Helper()
	a := &archive{s3: localaws.StartS3(t), dir: t.TempDir(), objs: archiveFixture(t)}
	a.s3.CreateBucket(t, archiveBucket)
	for _, o := range a.objs {
		a.s3.Put(t, archiveBucket, o.key, o.body)
		path := filepath.Join(a.dir, filepath.FromSlash(o.key))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, o.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3":         a.s3.URL,
		"AWS_REGION":                  "eu-west-1",
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(a.dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(a.dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return a
}

// local rewrites the S3 names in out as the local copy's paths.
func (a *archive) local(out string) string {
	return strings.ReplaceAll(out, "s3://"+archiveBucket+"/", a.dir+string(filepath.Separator))
}

// table returns the closing per-rule table of a scan's stderr.
func table(stderr string) string {
	_, rest, _ := strings.Cut(stderr, "\n  rule ")
	return rest
}

// An archive scan gives exactly what a local scan of the same files gives:
// the same alerts in the same order, the same JSON lines, thresholds crossed
// in the same files, the same table; digests, Insights and other objects
// are never read.
func TestScanArchive_sameAsLocal(t *testing.T) {
	chdirRoot(t)
	a := startArchive(t)
	logs := 0
	for _, o := range a.objs {
		if cloudtrail.ClassifyKey(o.key).Kind == cloudtrail.KindLog {
			logs++
		}
	}
	// The second rule set has a threshold that carol's sign-in failures reach
	// only in the organization account's file, after the first account's.
	for _, rules := range [][]string{nil, {"--rules", explainData + "/rules"}} {
		for _, format := range []string{"text", "json"} {
			for _, url := range []string{"s3://" + archiveBucket, "s3://" + archiveBucket + "/corp-trail/"} {
				t.Run(fmt.Sprint(rules, format, url), func(t *testing.T) {
					args := append(append([]string{"scan", "--format", format}, rules...), "--concurrency", "3")
					remote := runCLI("", append(args, url)...)
					local := runCLI("", append(args, filepath.Join(a.dir, "corp-trail"))...)
					if remote.code != 0 || local.code != 0 {
						t.Fatalf("exit %d (local %d):\n%s\n%s", remote.code, local.code, remote.stderr, local.stderr)
					}
					if remote.stdout == "" {
						t.Fatal("no output")
					}
					if got := a.local(remote.stdout); got != local.stdout {
						t.Errorf("archive scan differs from the local scan:\n%s", golden.Diff(local.stdout, got))
					}
					if table(remote.stderr) != table(local.stderr) || table(remote.stderr) == "" {
						t.Errorf("tables differ:\n%s\nlocal:\n%s", remote.stderr, local.stderr)
					}
					if want := fmt.Sprintf("trailwatch: %d files,", logs); !strings.HasPrefix(remote.stderr, want) {
						t.Errorf("summary %q, want it to start %q", remote.stderr, want)
					}
					if strings.ContainsAny(remote.stderr, "\r\x1b") {
						t.Errorf("progress drawn on a stderr that is not a terminal: %q", remote.stderr)
					}
					if rules == nil || format != "text" {
						return
					}
					crossed := "Subject: [HIGH] local-signin-failures Repeated console sign-in failures - 444455556666 us-east-1 (3 events)"
					if n := strings.Count(remote.stdout, crossed); n != 2 {
						t.Errorf("%d threshold alerts %q, want 2 (days 28 and 29):\n%s", n, crossed, remote.stdout)
					}
					if !strings.Contains(remote.stderr, "local-signin-failures") || !strings.Contains(remote.stderr, "threshold 3 in 5m per userIdentity.userName") {
						t.Errorf("table without the threshold rule:\n%s", remote.stderr)
					}
				})
			}
		}
	}
	for _, key := range a.s3.Gets() {
		if k := cloudtrail.ClassifyKey(key); k.Kind != cloudtrail.KindLog {
			t.Errorf("fetched %s, which is not a log file", key)
		}
	}
}

// Filters select by the key's account, region and day, and only the
// selected objects are fetched.
func TestScanArchive_filters(t *testing.T) {
	chdirRoot(t)
	a := startArchive(t)
	tests := []struct {
		name string
		args []string
		want func(k cloudtrail.Key) bool
	}{
		{"one day", []string{"--since", "2026-11-28", "--until", "2026-11-28"},
			func(k cloudtrail.Key) bool { return k.Date.Day() == 28 }},
		{"since", []string{"--since=2026-11-28"},
			func(k cloudtrail.Key) bool { return k.Date.Day() >= 28 }},
		{"until", []string{"--until", "2026-11-27"},
			func(k cloudtrail.Key) bool { return k.Date.Day() <= 27 }},
		{"organization account", []string{"--account", "444455556666"},
			func(k cloudtrail.Key) bool { return k.Account == "444455556666" }},
		{"regions and accounts as lists", []string{"--region", "eu-west-1,ap-southeast-2", "--account", "111122223333", "--account", "444455556666"},
			func(k cloudtrail.Key) bool { return k.Region != "us-east-1" }},
		{"everything at once", []string{"--account", "111122223333", "--region", "us-east-1", "--since", "2026-11-29", "--until", "2026-12-31"},
			func(k cloudtrail.Key) bool {
				return k.Account == "111122223333" && k.Region == "us-east-1" && k.Date.Day() == 29
			}},
		{"nothing in range", []string{"--since", "2025-01-01", "--until", "2025-12-31"},
			func(k cloudtrail.Key) bool { return false }},
	}
	for _, tt := range tests {
		for _, url := range []string{
			"s3://" + archiveBucket,
			"s3://" + archiveBucket + "/corp-trail/AWSLogs/",
			"s3://" + archiveBucket + "/corp-trail/AWSLogs/o-a1b2c3d4e5/",
			"s3://" + archiveBucket + "/corp-trail/AWSLogs/111122223333/CloudTrail/us-east-1/",
			"s3://" + archiveBucket + "/corp-trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/2", // ends inside a folder name: listed flat
		} {
			t.Run(tt.name+" "+url, func(t *testing.T) {
				before := len(a.s3.Gets())
				args := append(append([]string{"scan", "--format", "json"}, tt.args...), url)
				r := runCLI("", args...)
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				var want []string
				for _, o := range a.objs {
					k := cloudtrail.ClassifyKey(o.key)
					if k.Kind == cloudtrail.KindLog && tt.want(k) && strings.HasPrefix("s3://"+archiveBucket+"/"+o.key, url) {
						want = append(want, o.key)
					}
				}
				got := a.s3.Gets()[before:]
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("fetched %d objects:\n%s\nwant %d:\n%s", len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
				}
				for _, m := range decodeMatches(t, r.stdout) {
					key := strings.TrimPrefix(m.File, "s3://"+archiveBucket+"/")
					if !slices.Contains(want, key) {
						t.Errorf("match from %s, which the filters exclude", m.File)
					}
				}
				if wantSummary := fmt.Sprintf("trailwatch: %s,", plural(len(want), "file")); !strings.HasPrefix(r.stderr, wantSummary) {
					t.Errorf("summary %q does not start %q", r.stderr, wantSummary)
				}
			})
		}
	}
}

// Objects that cannot be fetched are named, the others still scanned, and
// the exit status says so; listing errors stop the scan.
func TestScanArchive_errors(t *testing.T) {
	chdirRoot(t)
	a := startArchive(t)
	a.s3.FailGets("us-east-1_20261129T0905Z_6HqwZGxomRXKdaoN.json.gz", http.StatusForbidden, "AccessDenied")
	r := runCLI("", "scan", "--format", "json", "--account", "111122223333", "s3://"+archiveBucket)
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, s := range []string{
		"trailwatch: s3://" + archiveBucket + "/corp-trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/29/111122223333_CloudTrail_us-east-1_20261129T0905Z_6HqwZGxomRXKdaoN.json.gz: GetObject: AccessDenied",
		"trailwatch: 14 files,", "1 with errors",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not contain %q:\n%s", s, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, `"file":"s3://`+archiveBucket+`/corp-trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/29/111122223333_CloudTrail_us-east-1_20261129T0910Z_`) {
		t.Errorf("the files after the failed one were not scanned:\n%s", r.stdout)
	}

	r = runCLI("", "scan", "s3://no-such-bucket-here")
	if r.code != 1 || !strings.Contains(r.stderr, "trailwatch: list s3://no-such-bucket-here/: ListObjectsV2: NoSuchBucket") {
		t.Errorf("missing bucket: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestScanArchive_usage(t *testing.T) {
	chdirRoot(t)
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"filters without a bucket", []string{"scan", "--since", "2026-11-01", demoDir}, "select objects of an s3:// URL"},
		{"bucket and local path", []string{"scan", "s3://trail-archive", demoDir}, "cannot be scanned in one run"},
		{"bad bucket", []string{"scan", "s3://Trail_Archive/x"}, `"Trail_Archive" is not an S3 bucket name`},
		{"no bucket", []string{"scan", "s3://"}, "is not an S3 bucket name"},
		{"bad date", []string{"scan", "--since", "28/11/2026", "s3://trail-archive"}, `"28/11/2026" is neither YYYY-MM-DD nor a number of days`},
		{"until before since", []string{"scan", "--since", "2026-11-28", "--until", "2026-11-01", "s3://trail-archive"}, "--until 2026-11-01 is before --since 2026-11-28"},
		{"bad account", []string{"scan", "--account", "1234", "s3://trail-archive"}, `--account "1234" is not a 12-digit AWS account ID`},
		{"bad region", []string{"scan", "--region", "mars", "s3://trail-archive"}, `--region "mars" is not an AWS region name`},
		{"bad concurrency", []string{"scan", "--concurrency", "0", "s3://trail-archive"}, "--concurrency must be from 1 to 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI("", tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.stderr) || r.stdout != "" {
				t.Errorf("exit %d, stderr %q, want 2 and %q", r.code, r.stderr, tt.stderr)
			}
		})
	}
}

func TestDateFlag_relative(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 29, 23, 59, 0, 0, time.FixedZone("x", -5*3600)) }
	d := dateFlag{now: now}
	if err := d.Set("30d"); err != nil {
		t.Fatal(err)
	}
	if got := d.String(); got != "2026-10-31" {
		t.Errorf("30d = %s, want 2026-10-31 (30 days before the UTC date 2026-11-30)", got)
	}
	for _, bad := range []string{"-1d", "d", "2026-13-01", "yesterday"} {
		if err := (&dateFlag{now: now}).Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

func TestLevelOf(t *testing.T) {
	tests := []struct {
		prefix string
		level  level
		ok     bool
	}{
		{"", levelAbove, true},
		{"corp-trail/", levelAbove, true},
		{"a/b/", levelAbove, true},
		{"AWSLogs/", levelAWSLogs, true},
		{"corp-trail/AWSLogs/o-a1b2c3d4e5/", levelOrg, true},
		{"AWSLogs/o-a1b2c3d4e5/444455556666/", levelAccount, true},
		{"AWSLogs/111122223333/", levelAccount, true},
		{"AWSLogs/111122223333/CloudTrail/", levelTrail, true},
		{"AWSLogs/111122223333/CloudTrail/us-gov-west-1/", levelRegion, true},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/", 0, false},
		{"AWSLogs/111122223333/CloudTrail-Digest/", 0, false},
		{"AWSLogs/1111/", 0, false},
		{"corp-trail", 0, false},
		{"AWSLogs/111122223333/CloudTrail/us-east-1", 0, false},
	}
	for _, tt := range tests {
		lv, ok := levelOf(tt.prefix)
		if lv != tt.level || ok != tt.ok {
			t.Errorf("levelOf(%q) = %v, %v; want %v, %v", tt.prefix, lv, ok, tt.level, tt.ok)
		}
	}
}
