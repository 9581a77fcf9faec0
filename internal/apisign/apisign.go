// Package apisign owns the AK/SK request signatures of Huawei Cloud APIs:
// SDK-HMAC-SHA256 as the official SDKs build it, and the derived
// V11-HMAC-SHA256 of the LTS producer and consumer SDKs. It signs requests
// (for logtank's own client) and verifies them (for the server) with one
// canonicalisation, so the two can never disagree.
//
// It never looks up keys: the caller resolves an access key to its secret.
package apisign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

const (
	// AlgSHA256 is the signature algorithm of the official SDKs.
	AlgSHA256 = "SDK-HMAC-SHA256"
	// AlgV11 is the derived-key algorithm of the LTS producer and consumer SDKs.
	AlgV11 = "V11-HMAC-SHA256"
	// DateLayout is the layout of X-Sdk-Date.
	DateLayout = "20060102T150405Z"
	// HeaderDate carries the signing time.
	HeaderDate = "X-Sdk-Date"
	// HeaderContentSHA256 replaces the body hash when present.
	HeaderContentSHA256 = "X-Sdk-Content-Sha256"
	emptySHA256         = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Authorization is a parsed Authorization header.
type Authorization struct {
	Algorithm     string
	AccessKey     string
	SignedHeaders []string
	Signature     string
	// Scope is the V11 credential scope "<YYYYMMDD>/<region>/<service>".
	Scope string
}

// ErrMalformed reports an Authorization header that is not a signature this
// package understands.
var ErrMalformed = errors.New("malformed signature authorization header")

// ParseAuthorization parses "ALG Access=AK, SignedHeaders=a;b, Signature=hex"
// and the V11 form with "Credential=AK/scope".
func ParseAuthorization(h string) (Authorization, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || (alg != AlgSHA256 && alg != AlgV11) {
		return Authorization{}, ErrMalformed
	}
	a := Authorization{Algorithm: alg}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Authorization{}, ErrMalformed
		}
		switch k {
		case "Access":
			a.AccessKey = v
		case "Credential":
			a.AccessKey, a.Scope, _ = strings.Cut(v, "/")
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	if a.AccessKey == "" || len(a.SignedHeaders) == 0 || a.SignedHeaders[0] == "" || len(a.Signature) != 64 {
		return Authorization{}, ErrMalformed
	}
	if alg == AlgV11 && strings.Count(a.Scope, "/") != 2 {
		return Authorization{}, ErrMalformed
	}
	return a, nil
}

// CanonicalRequest builds the canonical request of r with the given body and
// signed header names (lower case, sorted).
func CanonicalRequest(r *http.Request, body []byte, signedHeaders []string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL.Path))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		var values []string
		if name == "host" {
			values = []string{r.Host}
		} else {
			values = append(values, r.Header.Values(name)...)
		}
		sort.Strings(values)
		for _, v := range values {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(strings.TrimSpace(v))
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash(r, body))
	return b.String()
}

// unsignedPayload is the X-Sdk-Content-Sha256 value with which a client
// leaves the body out of the signature (the SDKs use it for bodies that are
// neither JSON nor BSON).
const unsignedPayload = "UNSIGNED-PAYLOAD"

// payloadHash is the hash of the body the server holds. A client's
// X-Sdk-Content-Sha256 replaces it only as UNSIGNED-PAYLOAD: any other value
// is the hash itself, and trusting it would let a captured signature cover
// another body.
func payloadHash(r *http.Request, body []byte) string {
	if r.Header.Get(HeaderContentSHA256) == unsignedPayload {
		return unsignedPayload
	}
	if len(body) == 0 {
		return emptySHA256
	}
	return hexSHA256(body)
}

func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	u := strings.Join(segs, "/")
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, _ := url.ParseQuery(raw)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(parts, "&")
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacHex(key []byte, data string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return hex.EncodeToString(m.Sum(nil))
}

// StringToSign is the text the HMAC covers. date is the X-Sdk-Date value
// (or, for the producer SDK's V11 variant, its first eight digits).
func StringToSign(a Authorization, date, canonicalRequest string) string {
	h := hexSHA256([]byte(canonicalRequest))
	if a.Algorithm == AlgV11 {
		return AlgV11 + "\n" + date + "\n" + a.Scope + "\n" + h
	}
	return AlgSHA256 + "\n" + date + "\n" + h
}

// SigningKey is the HMAC key for a: the secret itself, or for V11 the hex
// HKDF-SHA256 derivation over the access key and credential scope.
func SigningKey(a Authorization, secret string) []byte {
	if a.Algorithm == AlgV11 {
		return []byte(hex.EncodeToString(hkdfSHA256([]byte(secret), []byte(a.AccessKey), []byte(a.Scope), 32)))
	}
	return []byte(secret)
}

// hkdfSHA256 is RFC 5869 HKDF (extract then expand).
func hkdfSHA256(ikm, salt, info []byte, n int) []byte {
	ext := hmac.New(sha256.New, salt)
	ext.Write(ikm)
	prk := ext.Sum(nil)
	var out, prev []byte
	for i := byte(1); len(out) < n; i++ {
		m := hmac.New(sha256.New, prk)
		m.Write(prev)
		m.Write(info)
		m.Write([]byte{i})
		prev = m.Sum(nil)
		out = append(out, prev...)
	}
	return out[:n]
}

// Verify checks the signature a on r and its body against secret. The
// caller has already checked the date's freshness.
func Verify(r *http.Request, body []byte, a Authorization, secret string) bool {
	// The canonical URI is built from the decoded path, where "%2F" and "/"
	// look alike while routes tell them apart: such a request could be
	// replayed against another route, so it is refused.
	if strings.Contains(strings.ToLower(r.URL.EscapedPath()), "%2f") {
		return false
	}
	date := r.Header.Get(HeaderDate)
	cr := CanonicalRequest(r, body, a.SignedHeaders)
	key := SigningKey(a, secret)
	want := []byte(a.Signature)
	if hmac.Equal([]byte(hmacHex(key, StringToSign(a, date, cr))), want) {
		return true
	}
	// The producer SDK puts only the day into the V11 string to sign. That
	// is accepted only when X-Sdk-Date is a signed header: otherwise the time
	// the server checks for freshness would not be covered by the signature.
	return a.Algorithm == AlgV11 && len(date) >= 8 && slices.Contains(a.SignedHeaders, "x-sdk-date") &&
		hmac.Equal([]byte(hmacHex(key, StringToSign(a, date[:8], cr))), want)
}

// Sign adds X-Sdk-Date and an SDK-HMAC-SHA256 Authorization header to r,
// signing every header already set except Content-Type, as the official SDK
// does.
func Sign(r *http.Request, body []byte, ak, sk string, now time.Time) {
	r.Header.Set(HeaderDate, now.UTC().Format(DateLayout))
	var names []string
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "content-type") || strings.Contains(lk, "_") || lk == "authorization" {
			continue
		}
		names = append(names, lk)
	}
	sort.Strings(names)
	a := Authorization{Algorithm: AlgSHA256, AccessKey: ak, SignedHeaders: names}
	sig := hmacHex([]byte(sk), StringToSign(a, r.Header.Get(HeaderDate), CanonicalRequest(r, body, names)))
	r.Header.Set("Authorization", AlgSHA256+" Access="+ak+", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
}
