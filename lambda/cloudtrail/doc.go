// Package cloudtrail reads the log files CloudTrail delivers to S3, one event
// at a time, classifies S3 object keys, and gives readable access to the
// fields of a single event.
//
// The package knows nothing of AWS SDKs or of detection rules. It has three
// parts:
//
//   - [Reader] streams the raw bytes of each event from a delivered file
//     (gzip or plain; {"Records":[...]}, JSON lines, a bare JSON array, or
//     EventBridge envelopes). Its memory use does not grow with the file size.
//   - [ClassifyKey] tells a CloudTrail log file from a digest, an Insights file
//     or any other object by its key alone.
//   - [ParseEvent] decodes one event for rendering, with accessors such as
//     [Event.Principal] that pick the best description of who acted.
package cloudtrail
