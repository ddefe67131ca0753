// Package detector is the trailwatch detector function without its runtime: it reads the
// CloudTrail log files an S3 event names, evaluates the rules and publishes the alerts to SNS.
// The Lambda's main package (lambda/) wires it to the Lambda runtime; `trailwatch replay` reuses
// it to process objects again, one (bucket, key) at a time.
//
// Configuration comes from the environment (see Config); AWS endpoints, region and credentials
// follow the AWS SDK's own settings, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_SNS included.
package detector
