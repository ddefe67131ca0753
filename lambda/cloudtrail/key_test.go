package cloudtrail

import (
	"strings"
	"testing"
	"time"
)

func TestClassifyKey(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		key    string
		want   Key
		reason string // part of Reason; empty for KindLog
	}{
		// Log files.
		{key: "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
			want: Key{Kind: KindLog, Account: "111122223333", Region: "us-east-2", Date: day(2015, 8, 1)}},
		{key: "AWSLogs/218007301253/CloudTrail/us-east-1/2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1215Z_YMDRJwtmC82bUwAo.json.gz",
			want: Key{Kind: KindLog, Account: "218007301253", Region: "us-east-1", Date: day(2023, 7, 10)}},
		{key: "trails/prod/AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
			want: Key{Kind: KindLog, Prefix: "trails/prod", Account: "111111111111", Region: "eu-central-1", Date: day(2017, 12, 11)}},
		{key: "AWSLogs/o-exampleorgid/123456789012/CloudTrail/ap-southeast-2/2024/02/29/123456789012_CloudTrail_ap-southeast-2_20240229T2355Z_0123456789abcdef.json.gz",
			want: Key{Kind: KindLog, OrgID: "o-exampleorgid", Account: "123456789012", Region: "ap-southeast-2", Date: day(2024, 2, 29)}},
		{key: "org-trail/AWSLogs/o-a1b2c3d4e5/210987654321/CloudTrail/us-gov-west-1/2025/01/31/210987654321_CloudTrail_us-gov-west-1_20250131T0005Z_x9kHmzMa7cx6l9wM.json.gz",
			want: Key{Kind: KindLog, Prefix: "org-trail", OrgID: "o-a1b2c3d4e5", Account: "210987654321", Region: "us-gov-west-1", Date: day(2025, 1, 31)}},
		{key: "AWSLogs/123456789012/CloudTrail/cn-northwest-1/2024/05/01/123456789012_CloudTrail_cn-northwest-1_20240501T1200Z_abcdefABCDEF0123.json.gz",
			want: Key{Kind: KindLog, Account: "123456789012", Region: "cn-northwest-1", Date: day(2024, 5, 1)}},
		{key: "a/AWSLogs/b/AWSLogs/123456789012/CloudTrail/eu-isoe-west-1/2024/05/01/123456789012_CloudTrail_eu-isoe-west-1_20240501T1200Z_abc.json.gz",
			want: Key{Kind: KindLog, Prefix: "a/AWSLogs/b", Account: "123456789012", Region: "eu-isoe-west-1", Date: day(2024, 5, 1)}},
		// The folder's date and the file name's time are not compared: a mismatch does not make the file unreadable.
		{key: "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240502T0000Z_abc.json.gz",
			want: Key{Kind: KindLog, Account: "123456789012", Region: "us-east-1", Date: day(2024, 5, 1)}},

		// Digest and Insights files.
		{key: "AWSLogs/123456789123/CloudTrail-Digest/us-west-2/2020/09/11/123456789123_CloudTrail-Digest_us-west-2_leh-ct-test_us-west-2_20200911T193649Z.json.gz",
			want: Key{Kind: KindDigest, Account: "123456789123", Region: "us-west-2", Date: day(2020, 9, 11)}, reason: "digest"},
		{key: "logs/AWSLogs/o-exampleorgid/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/111122223333_CloudTrail-Digest_eu-west-1_org_us-east-1_20240501T120000Z.json.gz",
			want: Key{Kind: KindDigest, Prefix: "logs", OrgID: "o-exampleorgid", Account: "111122223333", Region: "eu-west-1", Date: day(2024, 5, 1)}, reason: "no events"},
		{key: "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/01/111122223333_CloudTrail-Insight_us-east-1_20240501T1215Z_GE4VKUMZOoqbaZsY.json.gz",
			want: Key{Kind: KindInsight, Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "Insights"},
		{key: "AWSLogs/111122223333/CloudTrail-Insight/",
			want: Key{Kind: KindInsight, Account: "111122223333"}, reason: "Insights"},

		// Other objects under AWSLogs/.
		{key: "AWSLogs/111122223333/CloudTrail-Aggregated/us-east-1/2024/05/01/111122223333_CloudTrail-Aggregated_us-east-1_20240501T1215Z_abc.json.gz",
			want: Key{Account: "111122223333"}, reason: "aggregated"},
		{key: "AWSLogs/111122223333/", want: Key{Account: "111122223333"}, reason: "test bucket access"},
		{key: "AWSLogs/111122223333", want: Key{Account: "111122223333"}, reason: "test bucket access"},
		{key: "prefix/AWSLogs/o-exampleorgid/111122223333/", want: Key{Prefix: "prefix", OrgID: "o-exampleorgid", Account: "111122223333"}, reason: "test bucket access"},
		{key: "AWSLogs/111122223333/elasticloadbalancing/us-east-1/2024/05/01/111122223333_elasticloadbalancing_us-east-1_app.my-lb.50dc6c495c0c9188_20240501T1200Z_10.0.0.1_abc.log.gz",
			want: Key{Account: "111122223333"}, reason: `folder "elasticloadbalancing"`},
		{key: "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01/111122223333_vpcflowlogs_us-east-1_fl-1234abcd_20240501T1200Z_hash.log.gz",
			want: Key{Account: "111122223333"}, reason: `folder "vpcflowlogs"`},
		{key: "AWSLogs/111122223333/Config/ConfigWritabilityCheckFile", want: Key{Account: "111122223333"}, reason: `folder "Config"`},
		{key: "AWSLogs/111122223333/cloudtrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1200Z_abc.json.gz",
			want: Key{Account: "111122223333"}, reason: `folder "cloudtrail"`},
		{key: "AWSLogs/11112222333/CloudTrail/us-east-1/2024/05/01/11112222333_CloudTrail_us-east-1_20240501T1200Z_abc.json.gz",
			reason: "no 12-digit account ID"},
		{key: "AWSLogs/o-exampleorgid/CloudTrail/us-east-1/2024/05/01/x.json.gz", want: Key{OrgID: "o-exampleorgid"}, reason: "after AWSLogs/o-exampleorgid/"},
		{key: "AWSLogs/", reason: "no 12-digit account ID"},

		// The CloudTrail folder with something that is not a log file.
		{key: "AWSLogs/111122223333/CloudTrail/", want: Key{Account: "111122223333"}, reason: "not of the form"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/", want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: `""`},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1200Z_abc.json",
			want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "does not end in .json.gz"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/notes.txt",
			want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "does not end in .json.gz"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/export.json.gz",
			want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "is not <account>_CloudTrail_"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/999988887777_CloudTrail_us-east-1_20240501T1200Z_abc.json.gz",
			want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "account"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1200Z_abc.json.gz",
			want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "region"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_2024-05-01_abc.json.gz",
			want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "YYYYMMDDTHHmmZ"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1200Z_a-b.json.gz",
			want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "letters and digits"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/30/111122223333_CloudTrail_us-east-1_20240230T1200Z_abc.json.gz",
			want: Key{Account: "111122223333", Region: "us-east-1"}, reason: "not a date"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/5/1/111122223333_CloudTrail_us-east-1_20240501T1200Z_abc.json.gz",
			want: Key{Account: "111122223333", Region: "us-east-1"}, reason: "not a date"},
		{key: "AWSLogs/111122223333/CloudTrail/US-EAST-1/2024/05/01/111122223333_CloudTrail_US-EAST-1_20240501T1200Z_abc.json.gz",
			want: Key{Account: "111122223333", Date: day(2024, 5, 1)}, reason: "is not a region"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/extra/111122223333_CloudTrail_us-east-1_20240501T1200Z_abc.json.gz",
			want: Key{Account: "111122223333", Region: "us-east-1", Date: day(2024, 5, 1)}, reason: "not of the form"},

		// Not CloudTrail at all.
		{key: "", reason: "no AWSLogs/"},
		{key: "access-logs/2024-05-01-12-00-00-0123456789ABCDEF", reason: "no AWSLogs/"},
		{key: "access-logs/111122223333/us-east-1/trail-bucket/2024/05/01/2024-05-01-12-00-00-0123456789ABCDEF", reason: "no AWSLogs/"},
		{key: "awslogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1200Z_abc.json.gz", reason: "no AWSLogs/"},
		{key: "111122223333_CloudTrail_us-east-1_20240501T1200Z_abc.json.gz", reason: "no AWSLogs/"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got := ClassifyKey(tt.key)
			reason := got.Reason
			got.Reason = ""
			if got != tt.want {
				t.Errorf("ClassifyKey\n got %+v\nwant %+v", got, tt.want)
			}
			if tt.want.Kind == KindLog {
				if reason != "" {
					t.Errorf("a log file has Reason %q", reason)
				}
				return
			}
			if tt.reason == "" || !strings.Contains(reason, tt.reason) {
				t.Errorf("Reason %q, want it to mention %q", reason, tt.reason)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindLog: "log", KindDigest: "digest", KindInsight: "insight", KindOther: "other", Kind(99): "other"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), k.String(), want)
		}
	}
}

// TestClassifySharedKeys classifies the file names of the real delivered
// files in the shared samples, placed where CloudTrail writes them.
func TestClassifySharedKeys(t *testing.T) {
	names := []string{
		"218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz",
		"111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
	}
	for _, name := range names {
		parts := strings.Split(name, "_")
		ts, _ := time.Parse("20060102T1504Z", parts[3])
		key := "AWSLogs/" + parts[0] + "/CloudTrail/" + parts[2] + "/" + ts.Format("2006/01/02") + "/" + name
		if k := ClassifyKey(key); k.Kind != KindLog || k.Account != parts[0] || k.Region != parts[2] {
			t.Errorf("ClassifyKey(%q) = %+v", key, k)
		}
	}
}
