// Package lts owns the Log Tank Service API: its wire types, validation
// rules, quotas and error catalogue (LTS.xxxx), and the service logic that
// turns requests into calls on the catalog and the log engines. It never
// touches files itself and knows nothing of HTTP middleware.
package lts
