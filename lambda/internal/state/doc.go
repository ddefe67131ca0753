// Package state is the detector's memory across log files, kept in one DynamoDB table: the
// match counts of threshold rules per (rule, window, group), and which alerts have been sent.
// With it a log file delivered twice (S3 notifies at least once, Lambda retries failed
// invocations) is neither counted twice nor alerted twice, and invocations racing on one
// window send exactly one alert.
//
// # Items
//
// The table has a string partition key pk and a string sort key sk; expiresAt (epoch seconds)
// is its TTL attribute.
//
//	pk                                                sk                 holds
//	window#<rule>#<width s>#<start unix>#<group hash> window             the window's count; its alert claim
//	(the same)                                        file#<object hash> one log file's contribution and first events
//	alert#<rule>#<object hash>                        alert              the claim of one per-file alert
//
// Window items expire Retention after the end of their window, per-file claims Retention after
// they were written. Retention (15 days by default) outlasts the 14 days an SQS failure
// destination keeps a failed event, so `trailwatch replay` of any kept event is still
// de-duplicated. The hashes are SHA-256, cut to 128 bits: group values and S3 keys can be longer
// than a sort key may be; the values themselves are stored as attributes.
//
// # Counting
//
// [Store.Add] is idempotent per (object, rule, group, window). One TransactWriteItems puts the
// file's contribution item under attribute_not_exists(pk) and ADDs its count to the window item.
// Both writes happen or neither does: when the contribution exists, the transaction is cancelled
// and the count is left alone, so a second delivery of the file, a Lambda retry, or an SDK retry
// of a transaction whose first attempt did commit never counts twice, and no crash can fall
// between the two writes. The alternatives are worse: a conditional PutItem followed by a
// separate ADD loses the count when the function dies between them (the retry finds the
// contribution and skips the ADD), and an ADD guarded by a set of contributing objects on the
// window item makes every write cost as much as that ever-growing item.
//
// A contribution stores the file's first events, those an alert lists, only while the window's
// alert is unsent: an eventually consistent read of sentAt comes first, and since sentAt is never
// removed, a stale read can only make it store events it did not need.
//
// # Alerts
//
// An alert is claimed before it is published, with one conditional UpdateItem:
//
//	attribute_not_exists(sentAt) AND (attribute_not_exists(claimUntil) OR claimUntil < :now)
//
// plus #count >= :n for a window. Exactly one invocation wins. It publishes, then
// [Claim.Confirm] sets sentAt under the condition that the claim token is still its own. When the
// publish fails it calls [Claim.Release], so that the retry sends the alert. When it dies between
// the two, the claim lapses at claimUntil, the claiming invocation's own deadline plus a margin,
// when Lambda has certainly stopped it; the next retry or delivery then claims and sends.
//
// An invocation that finds a live claim of another waits up to ClaimWait for it to be confirmed
// (nothing to do) or released (claim it) and otherwise fails with [ErrClaimHeld], so that Lambda
// retries it later: an alert is never dropped on another invocation's promise.
//
// One duplicate remains possible, inherent to SNS, which has no idempotent Publish for standard
// topics: an invocation that dies after SNS accepted the message and before DynamoDB recorded it.
package state
