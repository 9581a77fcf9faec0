// Package ltscore is the LTS core: ingestion, search with the paging of
// seed 004, counts, histograms, context and SQL (plain, and "search |
// SQL") over the catalog's log streams and the log engine, the structuring
// rules, custom templates and index configurations of streams (rules.go,
// templates.go, index_config.go), with every rule of the service that is
// not about HTTP: validation, TTL and size checks, query limits, the error
// catalogue (LTS.xxxx) in errors.go.
//
// Every door calls it: the LTS HTTP handlers in package lts, shipper
// protocols, the console, background jobs such as alarms. Each operation
// takes a context (a query stops when it is done), the caller's project
// and plain request and result structs, and fails with an *apierr.Error of
// the catalogue or an *apierr.Internal whose cause belongs in a log.
//
//	t, err := core.Target(ctx, project, group, stream)
//	err = core.Ingest(ctx, t, ltscore.Batch{Labels: labels, Entries: entries, Field: "streams[0]"})
//	res, err := core.Search(ctx, ltscore.SearchRequest{Project: project, Group: group, Stream: stream,
//		StartMS: from, EndMS: to, TimeSet: true, Keywords: "error", Limit: 100, Count: true})
//	sql, err := core.SQL(ctx, ltscore.SQLRequest{Project: project, Stream: stream,
//		Window: w, Search: "error", SQL: "select count(*)", Field: "condition"})
//	ruleID, err := core.SetRule(ctx, project, group, stream, rule, ltscore.TemplateRef{})
//
// It never imports net/http nor reads a request or writes a response: wire
// shapes, lenient JSON decoding and status rendering belong to the doors.
package ltscore
