package alert

import (
	"net/url"
	"strings"
)

// ConsoleURL returns the link that opens the event in the CloudTrail console
// of the event's region, or "" when region or eventID is missing or not
// well-formed. China and GovCloud regions have their own console hosts; the
// isolated partitions have no public console and get no link.
func ConsoleURL(region, eventID string) string {
	if !validRegion(region) || eventID == "" || len(eventID) > maxShort {
		return ""
	}
	var host string
	switch {
	case strings.HasPrefix(region, "cn-"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		host = "console.amazonaws-us-gov.com"
	case strings.HasPrefix(region, "us-iso"), strings.HasPrefix(region, "eu-isoe-"):
		return ""
	default:
		host = region + ".console.aws.amazon.com"
	}
	return "https://" + host + "/cloudtrail/home?region=" + region + "#/events/" + url.PathEscape(eventID)
}

// validRegion accepts region names such as "us-east-1" or "ap-southeast-2".
func validRegion(r string) bool {
	if len(r) < 4 || len(r) > 32 || r[0] == '-' || r[len(r)-1] == '-' || !strings.Contains(r, "-") {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
