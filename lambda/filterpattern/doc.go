// Package filterpattern implements CloudWatch Logs JSON filter patterns.
package filterpattern
