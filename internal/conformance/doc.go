// Package conformance holds the tests that start a real logtank server and
// drive it over HTTP with the official Huawei Cloud Go SDK, unchanged, as
// users do: AK/SK-signed and with IAM tokens. It has no code of its own.
package conformance
