package iam

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// TokenLifetime is how long an issued token is valid, as in Huawei IAM.
const TokenLifetime = 24 * time.Hour

// tokenPrefix marks the token format version, so a later format can be told apart.
const tokenPrefix = "lt1."

// tokenClaims is what a token asserts. It is signed, not encrypted: it holds
// no secret.
type tokenClaims struct {
	UserID    string `json:"u"`
	ProjectID string `json:"p,omitempty"`
	DomainID  string `json:"d"`
	Methods   string `json:"m"`
	IssuedMS  int64  `json:"i"`
	ExpiresMS int64  `json:"e"`
}

var errBadToken = errors.New("the token is malformed or its signature does not verify")

func signToken(key []byte, c tokenClaims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return tokenPrefix + p + "." + base64.RawURLEncoding.EncodeToString(tokenMAC(key, p))
}

// tokenDigest names a token in the revocation list without storing it.
func tokenDigest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func tokenMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tokenPrefix + payload))
	return m.Sum(nil)
}

func parseToken(key []byte, token string, now time.Time) (tokenClaims, error) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return tokenClaims{}, errBadToken
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return tokenClaims{}, errBadToken
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, tokenMAC(key, p)) {
		return tokenClaims{}, errBadToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return tokenClaims{}, errBadToken
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return tokenClaims{}, errBadToken
	}
	if now.UnixMilli() >= c.ExpiresMS {
		return tokenClaims{}, errors.New("the token has expired")
	}
	return c, nil
}
