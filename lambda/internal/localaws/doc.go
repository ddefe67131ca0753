// Package localaws runs the detector function the way AWS would, on 127.0.0.1 and in-process:
// a Lambda Runtime API that drives the real bootstrap binary as a child process, an S3 server
// (gofakes3), an SNS server (goaws) whose topic delivers to an SQS queue that tests read back
// over the SQS query protocol, and a DynamoDB server (minidyn). Each server can inject faults
// (delays, errors) so that tests can exercise the function's failure paths without an AWS
// account or any network but loopback.
//
// goaws keeps its state in package globals: run at most one SNS server at a time (no t.Parallel).
package localaws
