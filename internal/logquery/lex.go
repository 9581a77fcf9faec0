package logquery

import "strings"

type itemKind uint8

const (
	itemEOF itemKind = iota
	itemWord
	itemQuoted // "..."
	itemPhrase // #"..."
	itemLParen
	itemRParen
	itemLBracket
	itemRBracket
	itemAnd // and, AND, &&
	itemOr  // or, OR, ||
	itemNot
	itemIn
	itemColon
	itemCmp // > >= < <= =
)

// item is one lexical element of a keywords expression.
type item struct {
	kind itemKind
	text string // the word, the unescaped quoted text, or the operator as written
	pos  int    // byte offset in the keywords
}

// describe names an item for an error message.
func (it item) describe() string {
	switch it.kind {
	case itemEOF:
		return "end of keywords"
	case itemQuoted:
		return "quoted text \"" + it.text + "\""
	case itemPhrase:
		return "phrase #\"" + it.text + "\""
	case itemWord:
		return "word \"" + it.text + "\""
	}
	return "'" + it.text + "'"
}

// isSpace reports the characters that separate items (they need not be
// token delimiters: a tokenizer without ' ' keeps "a b" one token).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// endsWord reports whether s[i] ends a bare word.
func endsWord(s string, i int) bool {
	switch c := s[i]; c {
	case '(', ')', '[', ']', ':', '"', '<', '>', '=':
		return true
	case '&', '|':
		return i+1 < len(s) && s[i+1] == c
	default:
		return isSpace(c)
	}
}

// lex splits keywords into items, ending with itemEOF.
func lex(s string) ([]item, *Error) {
	var items []item
	i := 0
	for i < len(s) {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		switch {
		case isSpace(c):
			i++
			continue
		case c == '(':
			items = append(items, item{itemLParen, "(", i})
		case c == ')':
			items = append(items, item{itemRParen, ")", i})
		case c == '[':
			items = append(items, item{itemLBracket, "[", i})
		case c == ']':
			items = append(items, item{itemRBracket, "]", i})
		case c == ':':
			items = append(items, item{itemColon, ":", i})
		case (c == '>' || c == '<') && next == '=':
			items = append(items, item{itemCmp, s[i : i+2], i})
			i++
		case c == '>' || c == '<' || c == '=':
			items = append(items, item{itemCmp, s[i : i+1], i})
		case c == '&' && next == '&':
			items = append(items, item{itemAnd, "&&", i})
			i++
		case c == '|' && next == '|':
			items = append(items, item{itemOr, "||", i})
			i++
		case c == '"', c == '#' && next == '"':
			kind, open := itemQuoted, i
			if c == '#' {
				kind, i = itemPhrase, i+1
			}
			text, end, ok := unquote(s, i)
			if !ok {
				return nil, syntaxError(s, open, "unterminated quote")
			}
			items = append(items, item{kind, text, open})
			i = end
			continue
		default:
			j := i + 1
			for j < len(s) && !endsWord(s, j) {
				j++
			}
			items = append(items, word(s[i:j], i))
			i = j
			continue
		}
		i++
	}
	return append(items, item{itemEOF, "", len(s)}), nil
}

// word classifies a bare word: operators other than `in` ignore case.
func word(w string, pos int) item {
	kind := itemWord
	switch {
	case strings.EqualFold(w, "and"):
		kind = itemAnd
	case strings.EqualFold(w, "or"):
		kind = itemOr
	case strings.EqualFold(w, "not"):
		kind = itemNot
	case w == "in":
		kind = itemIn
	}
	return item{kind, w, pos}
}

// unquote reads the quoted text whose opening quote is s[i]: \" is a quote
// and \\ a backslash; any other backslash stays as it is (Windows paths).
// It returns the text and the offset after the closing quote.
func unquote(s string, i int) (text string, end int, ok bool) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return b.String(), j + 1, true
		case c == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\'):
			j++
			b.WriteByte(s[j])
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}
