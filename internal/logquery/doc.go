// Package logquery owns the LTS keyword search syntax: tokenising log text
// at delimiter characters, parsing a `keywords` expression into a Query,
// matching a Query against one log line (content and labels), deciding
// conservatively whether a whole block of lines may hold a match (MayMatch,
// for bloom-filter skipping), and highlighting the matched words.
//
// It never does I/O and knows nothing of storage or HTTP; it never imports
// a wire package nor knows an API's JSON shapes or error codes: callers
// hand it strings and callbacks, and map the kind of its errors onto their
// own catalogue. A parsed Query is immutable and safe for concurrent use;
// Match does not allocate in the common cases.
//
// # Tokens
//
// Text is split into tokens at delimiter characters (DefaultDelimiters
// unless a stream configures its own; an empty set makes the whole text one
// token). A search word matches a whole token, never a substring, and a
// search word is tokenised with the same delimiters: `var/log` means `var
// AND log`. Case-insensitive tokenizers fold ASCII letters only (A-Z to
// a-z): folding never changes a token's length, so it needs no allocation,
// agrees with any filter that hashes ASCII-lower-cased tokens, and keeps
// highlight offsets exact. Other letters compare as they are.
//
// # Syntax
//
// Precedence from high to low: `:`, quotes, parentheses, AND/NOT, OR.
//
//	a b            a AND b (implicit)
//	a and b        also AND, &&   (&& and || need no spaces)
//	a or b         also OR, ||
//	not a          also NOT; `a not b` is a AND NOT b
//	( ... )        grouping
//	key:value      field search on the label key: the value's tokens must all be
//	               tokens of the label's value; content:x is the full-text x
//	key:*          the label is present; `not key:*` = absent
//	key:""         the label is present with an empty value
//	"..."          quoted text: reserved words, spaces, colons and wildcards in it
//	               are literal; it is then tokenised like any word, so "a b"
//	               means a AND b (use a phrase for adjacency); \" is a quote and
//	               \\ a backslash. A lone "" matches lines with empty content.
//	#"a b"         phrase: tokens consecutive and in order (also key:#"a b");
//	               * and ? inside are literal
//	a*b, a?c       wildcards in a word: * any run (also empty), ? one character;
//	               never as a token's first character (KindLeadingWildcard)
//	key>n, >=, <, <=, =n
//	               numeric comparison against a label whose value parses as a
//	               decimal number (a label that does not parse does not match);
//	               key=word with a non-numeric word is the same as key:word
//	key in [a b]   numeric range; [ ] inclusive, ( ) exclusive, bounds separated
//	               by spaces or a comma; `in` is lower-case only
//
// The words and, or, not (in any case) and in, and the characters
// ( ) [ ] : > < = " and the pairs && || are reserved: quote them to search
// for them. Numeric comparisons and ranges apply to labels only.
//
// Bounds on one query (each a syntax error beyond it): 10,240 bytes of
// keywords, 256 distinct full-text terms, 64 tokens in a phrase, 100
// levels of nesting, and a word with wildcards at most 256 bytes long with
// at most 16 of them (a run of '*' counts once).
//
// Syntax errors are *Error values of kind KindLeadingWildcard for a
// leading wildcard and KindSyntax for anything else; the message
// names the problem and its 1-based character position in the keywords.
package logquery
