package logsql

import (
	"fmt"
	"strings"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // bare identifier or keyword
	tQIdent         // "quoted identifier"
	tString         // 'string literal'
	tNumber
	tOp // punctuation and operators
)

type token struct {
	kind tokKind
	text string // identifier/literal value (unquoted) or operator text
	pos  int    // byte offset of the token start
	end  int    // byte offset just past the token
}

// upper returns the keyword form of a bare identifier.
func (t token) upper() string {
	if t.kind != tIdent {
		return ""
	}
	return strings.ToUpper(t.text)
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		return fmt.Sprintf("'%s'", t.text)
	case tQIdent:
		return fmt.Sprintf("%q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

func syntaxErr(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf("syntax error at position %d: ", pos) + fmt.Sprintf(format, args...)}
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '.'
}

// lex splits sql into tokens. Identifiers may contain dots (field1.a), so a
// qualified name is one token.
func lex(sql string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case isIdentStart(c):
			j := i + 1
			for j < len(sql) && isIdentPart(sql[j]) {
				j++
			}
			toks = append(toks, token{tIdent, sql[i:j], i, j})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := i
			for j < len(sql) && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.') {
				j++
			}
			if j < len(sql) && (sql[j] == 'e' || sql[j] == 'E') {
				k := j + 1
				if k < len(sql) && (sql[k] == '+' || sql[k] == '-') {
					k++
				}
				if k < len(sql) && sql[k] >= '0' && sql[k] <= '9' {
					for k < len(sql) && sql[k] >= '0' && sql[k] <= '9' {
						k++
					}
					j = k
				}
			}
			if j < len(sql) && isIdentStart(sql[j]) {
				return nil, syntaxErr(i, "malformed number %q", sql[i:j+1])
			}
			toks = append(toks, token{tNumber, sql[i:j], i, j})
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(sql) {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(sql[j])
				j++
			}
			if !closed {
				if c == '\'' {
					return nil, syntaxErr(i, "unterminated string literal")
				}
				return nil, syntaxErr(i, "unterminated quoted identifier")
			}
			k := tString
			if c == '"' {
				k = tQIdent
				if b.Len() == 0 {
					return nil, syntaxErr(i, "empty quoted identifier")
				}
			}
			toks = append(toks, token{k, b.String(), i, j})
			i = j
		default:
			op := ""
			if i+1 < len(sql) {
				switch sql[i : i+2] {
				case "<=", ">=", "<>", "!=", "||":
					op = sql[i : i+2]
				}
			}
			if op == "" {
				switch c {
				case '(', ')', ',', '+', '-', '*', '/', '%', '=', '<', '>', ';':
					op = sql[i : i+1]
				default:
					return nil, syntaxErr(i, "unexpected character %q", rune(c))
				}
			}
			toks = append(toks, token{tOp, op, i, i + len(op)})
			i += len(op)
		}
	}
	toks = append(toks, token{tEOF, "", len(sql), len(sql)})
	return toks, nil
}
