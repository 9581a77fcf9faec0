package main

import (
	"math/rand/v2"
	"strconv"
)

// The realistic generator replays sample logs the way they read: a batch is
// a run of consecutive lines of one file (a shipper tailing it), whose
// variable parts are drawn again, so that lines repeat their templates but
// not their values:
//
//   - IPv4 addresses come from a pool in which a few addresses are frequent
//     and most are rare (Zipf), as clients and scanners are;
//   - dates and times (runs of at most four digits joined by - / : , or .)
//     numbers of one or two digits (days, hours, small counts and codes)
//     and years (19xx, 20xx) are kept, so that times stay valid and in
//     their file's order;
//   - other numbers, and hex ids of eight digits or more, get random digits
//     of the same length (also inside words: blk_1234, job_0042); one value seen twice in a batch gets the same new
//     value both times (a request id that recurs in a burst of lines).
//
// This is close to what real logs look like to a compressor; the digits
// generator, whose every digit is random, is the adversarial case.

// realisticRun is how many consecutive lines of one file a run takes.
const realisticRun = 1000

// realistic makes n lines from files (each the lines of one sample file)
// into out, deterministically for a seed.
func realistic(files [][]string, n int, rng *rand.Rand) []string {
	ips := rand.NewZipf(rng, 1.1, 1, 99_999)
	out := make([]string, 0, n)
	sub := map[string]string{}
	var buf []byte
	for len(out) < n {
		f := files[rng.IntN(len(files))]
		at := rng.IntN(len(f))
		clear(sub)
		for i := 0; i < realisticRun && len(out) < n; i++ {
			buf = vary(buf[:0], f[(at+i)%len(f)], sub, rng, ips)
			out = append(out, string(buf))
		}
	}
	return out
}

// vary appends line to dst with its values drawn again (see above).
func vary(dst []byte, line string, sub map[string]string, rng *rand.Rand, ips *rand.Zipf) []byte {
	for i := 0; i < len(line); {
		if ip, ok := ipv4At(line, i); ok {
			dst = append(dst, pooledIP(ips.Uint64())...)
			i += ip
			continue
		}
		if isHexDigit(line[i]) && (i == 0 || !isAlnum(line[i-1])) {
			j := i
			for j < len(line) && isHexDigit(line[j]) {
				j++
			}
			if j < len(line) && isAlnum(line[j]) && !isHexDigit(line[j]) && !isDigits(line[i:j]) {
				// A word that merely starts with hex letters ("beef", "ad");
				// a number with a unit (125312k, 12ms) is a number.
				for j < len(line) && isAlnum(line[j]) {
					j++
				}
				dst = append(dst, line[i:j]...)
				i = j
				continue
			}
			tok := line[i:j]
			switch {
			case isDigits(tok) && (len(tok) <= 2 || isYear(tok) || inDateOrTime(line, i, j)):
				dst = append(dst, tok...)
			case isDigits(tok) || (len(tok) >= 8 && hasDigit(tok)):
				v, ok := sub[tok]
				if !ok {
					v = randomLike(tok, rng)
					sub[tok] = v
				}
				dst = append(dst, v...)
			default:
				dst = append(dst, tok...)
			}
			i = j
			continue
		}
		dst = append(dst, line[i])
		i++
	}
	return dst
}

// randomLike returns a value of tok's length and alphabet: digits for a
// number (a leading zero kept, no new one made), lower-case hex otherwise.
func randomLike(tok string, rng *rand.Rand) string {
	b := make([]byte, len(tok))
	digits := isDigits(tok)
	for k := range b {
		switch {
		case digits && k == 0 && tok[0] == '0':
			b[k] = '0'
		case digits && k == 0 && len(tok) > 1:
			b[k] = byte('1' + rng.IntN(9))
		case digits:
			b[k] = byte('0' + rng.IntN(10))
		default:
			b[k] = "0123456789abcdef"[rng.IntN(16)]
		}
	}
	return string(b)
}

// inDateOrTime tells whether the digits line[i:j] are a part of a date or
// a time: at most four digits, joined to another such run by one of
// - / : , . (12:34:56, 2015-10-18, 10/18/2015, 12:34:56,789).
func inDateOrTime(line string, i, j int) bool {
	if j-i > 4 {
		return false
	}
	joined := func(sep byte) bool {
		return sep == '-' || sep == '/' || sep == ':' || sep == ',' || sep == '.'
	}
	if i >= 2 && joined(line[i-1]) && isDigit(line[i-2]) {
		return true
	}
	return j+1 < len(line) && joined(line[j]) && isDigit(line[j+1])
}

// ipv4At returns the length of the dotted IPv4 address at line[i:], if any.
func ipv4At(line string, i int) (int, bool) {
	if i > 0 && (isAlnum(line[i-1]) || line[i-1] == '.') {
		return 0, false
	}
	j := i
	for part := range 4 {
		k := j
		for k < len(line) && k-j < 3 && isDigit(line[k]) {
			k++
		}
		if k == j || (k < len(line) && isDigit(line[k])) {
			return 0, false
		}
		if n, _ := strconv.Atoi(line[j:k]); n > 255 {
			return 0, false
		}
		j = k
		if part < 3 {
			if j >= len(line) || line[j] != '.' {
				return 0, false
			}
			j++
		}
	}
	if j < len(line) && (isAlnum(line[j]) || (line[j] == '.' && j+1 < len(line) && isDigit(line[j+1]))) {
		return 0, false
	}
	return j - i, true
}

// pooledIP turns the k-th address of the pool into a public-looking IPv4.
func pooledIP(k uint64) string {
	h := k*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	h ^= h >> 29
	b := make([]byte, 0, 15)
	b = strconv.AppendUint(b, 1+(h>>24)%223, 10)
	for _, sh := range []uint{16, 8, 0} {
		b = strconv.AppendUint(append(b, '.'), (h>>sh)&0xff, 10)
	}
	return string(b)
}

func isYear(s string) bool { return len(s) == 4 && (s[:2] == "19" || s[:2] == "20") }

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }
func isAlnum(c byte) bool    { return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}
