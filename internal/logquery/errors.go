package logquery

import (
	"fmt"
	"unicode/utf8"
)

// Error codes of syntax errors, as the LTS API reports them.
const (
	CodeWildcard = "LTS.0301" // a token starts with '*' or '?'
	CodeSyntax   = "LTS.0009" // any other syntax error
)

// wildcardMsg is the LTS message for CodeWildcard; Msg starts with it.
const wildcardMsg = "'*' and '?' not allowed as first character"

// Error is a syntax error in keywords: Code is CodeWildcard or CodeSyntax,
// Msg names the problem and its 1-based character position.
type Error struct{ Code, Msg string }

func (e *Error) Error() string { return e.Code + " " + e.Msg }

// syntaxError reports problem at byte offset pos of keywords.
func syntaxError(keywords string, pos int, problem string) *Error {
	return &Error{Code: CodeSyntax, Msg: fmt.Sprintf("%s at position %d", problem, column(keywords, pos))}
}

// wildcardError reports the wildcard token tok at byte offset pos.
func wildcardError(keywords string, pos int, tok string) *Error {
	return &Error{Code: CodeWildcard, Msg: fmt.Sprintf("%s: %q at position %d", wildcardMsg, tok, column(keywords, pos))}
}

// column turns a byte offset into a 1-based character position.
func column(s string, pos int) int {
	return utf8.RuneCountInString(s[:pos]) + 1
}
