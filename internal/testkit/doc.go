// Package testkit holds the small helpers the project's tests share: a clock
// that tests move by hand, a buffer safe for concurrent writers, a reporter
// that collects a validator's messages, and markers that keep tests apart on
// a shared server. It is imported by test code only.
package testkit
