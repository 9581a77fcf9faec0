// Package iam owns identity: domains, projects, users and access keys as the
// server sees them (an in-memory directory loaded from the catalog), password
// hashing, project-scoped tokens, the authentication of every service
// request (X-Auth-Token or an AK/SK signature), the first-start accounts, and
// the IAM-compatible API that issues tokens and manages accounts. Every
// request and answer of that API is a type in wire.go, each saying which
// route reads or writes it; api.go holds the handlers.
//
// Tokens are HMAC-signed by a key kept in the catalog, so the server never
// trusts what a client claims; they are checked against the directory on
// every use, so deleting a user or project ends its tokens at once.
package iam
