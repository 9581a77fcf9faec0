package logquery

import (
	"fmt"
	"unicode/utf8"
)

// ErrorKind tells syntax errors apart, so that an API can give each its
// own code.
type ErrorKind uint8

const (
	// KindSyntax is any syntax error but a leading wildcard.
	KindSyntax ErrorKind = iota
	// KindLeadingWildcard is a token that starts with '*' or '?'.
	KindLeadingWildcard
)

// wildcardMsg is the message of a KindLeadingWildcard error: Msg starts
// with it, as LTS words it.
const wildcardMsg = "'*' and '?' not allowed as first character"

// Error is a syntax error in keywords: its kind, and a message naming the
// problem and its 1-based character position.
type Error struct {
	Kind ErrorKind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// syntaxError reports problem at byte offset pos of keywords.
func syntaxError(keywords string, pos int, problem string) *Error {
	return &Error{Kind: KindSyntax, Msg: fmt.Sprintf("%s at position %d", problem, column(keywords, pos))}
}

// wildcardError reports the wildcard token tok at byte offset pos.
func wildcardError(keywords string, pos int, tok string) *Error {
	return &Error{Kind: KindLeadingWildcard, Msg: fmt.Sprintf("%s: %q at position %d", wildcardMsg, tok, column(keywords, pos))}
}

// column turns a byte offset into a 1-based character position.
func column(s string, pos int) int {
	return utf8.RuneCountInString(s[:pos]) + 1
}
