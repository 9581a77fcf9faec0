package logquery

import (
	"strings"
	"unicode/utf8"
)

// hasWildcard reports whether a search token is a wildcard pattern.
func hasWildcard(tok string) bool { return strings.ContainsAny(tok, "*?") }

// wildcardStopEvery is how many steps of a wildcard match pass between
// two looks at whether the query is still wanted.
const wildcardStopEvery = 1 << 14

// compactStars collapses runs of '*' in a pattern: they mean the same and
// each one would widen the backtracking below.
func compactStars(pat string) string {
	if !strings.Contains(pat, "**") {
		return pat
	}
	var b strings.Builder
	for i := 0; i < len(pat); i++ {
		if pat[i] == '*' && i > 0 && pat[i-1] == '*' {
			continue
		}
		b.WriteByte(pat[i])
	}
	return b.String()
}

// wildcardMatch reports whether the whole token s matches the normalised
// pattern pat, where '*' is any run of characters (also none) and '?' exactly
// one character (a UTF-8 sequence). fold lower-cases ASCII letters of s.
//
// It is the linear-space greedy matcher that backtracks only to the last
// '*': a later star always subsumes an earlier one, so O(len(pat)*len(s))
// worst case and no recursion.
//
// stop, when not nil, is consulted every wildcardStopEvery steps; when it
// says true the match gives up and reports false.
func wildcardMatch(pat, s string, fold bool, stop func() bool) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for steps := 1; px < len(pat) || sx < len(s); steps++ {
		if steps%wildcardStopEvery == 0 && stop != nil && stop() {
			return false
		}
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx += charLen(s, sx)
					continue
				}
			default:
				if sx < len(s) {
					b := s[sx]
					if fold && isUpper(b) {
						b += 'a' - 'A'
					}
					if b == c {
						px++
						sx++
						continue
					}
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			starSx += charLen(s, starSx)
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// charLen is the byte length of the character starting at s[i].
func charLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}
