// Package alert is the alert model of trailwatch and its renderings: the
// trailwatch/alert/v1 JSON document for machines, a plain-text body and a
// subject line for people, and the SNS message that carries both.
//
// One Alert stands for one rule matched in one log file, or for a threshold
// rule's window that reached its count (see Threshold). Everything taken
// from a CloudTrail record is treated as hostile: it is cleaned of control
// characters, terminal escapes and invisible formatting, and cut to a sane
// length, when the Alert is built, so every rendering shows the same text.
package alert
