// Package alarms owns LTS alarm rules (keywords and SQL), their
// scheduler, the alarms they raise (active and history) and the delivery
// of their notifications: notification templates, topics (webhook
// endpoints, logtank's stand-in for SMN topics) and alarm action rules
// (named sets of topics with a template).
//
// A rule is evaluated once per period of its frequency, over its search
// window, through the LTS core (ltscore.Core.Search counts a keywords
// rule's lines, ltscore.Core.SQL runs an SQL rule): never a search of its
// own. Each evaluation is recorded in the catalog in one transaction with
// the period it moves the rule to and the notifications it decided (an
// outbox), so a restart neither evaluates a period twice nor skips one,
// and a notification decided is sent even if the server stops before.
// Notifications are sent by a separate loop with retries and back-off; an
// endpoint that fails or hangs delays only its own notifications.
//
// Time comes from an injected clock, so tests move it instead of waiting.
// The package never imports net/http: wire shapes are the lts package's,
// and HTTP delivery is a Poster the server hands in.
package alarms
