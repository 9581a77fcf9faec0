package iam

import (
	"strings"
	"testing"
	"time"
)

func TestTokenRoundTripAndTampering(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	now := time.Now()
	c := tokenClaims{UserID: "u", ProjectID: "p", DomainID: "d", Methods: "password", IssuedMS: now.UnixMilli(), ExpiresMS: now.Add(TokenLifetime).UnixMilli()}
	tok := signToken(key, c)
	got, err := parseToken(key, tok, now)
	if err != nil || got != c {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := parseToken(key, tok, now.Add(TokenLifetime)); err == nil {
		t.Fatal("expired token accepted")
	}
	if _, err := parseToken([]byte(strings.Repeat("x", 32)), tok, now); err == nil {
		t.Fatal("token accepted under another key")
	}
	// A forged payload claiming another project must not verify.
	forged := signToken([]byte("attacker-key-attacker-key-000000"), tokenClaims{UserID: "u", ProjectID: "other", DomainID: "d", ExpiresMS: c.ExpiresMS})
	_, sig, _ := strings.Cut(strings.TrimPrefix(tok, tokenPrefix), ".")
	payload, _, _ := strings.Cut(strings.TrimPrefix(forged, tokenPrefix), ".")
	if _, err := parseToken(key, tokenPrefix+payload+"."+sig, now); err == nil {
		t.Fatal("payload swapped under a valid signature accepted")
	}
	for _, bad := range []string{"", "lt1.", "lt1.x", "lt1.x.y", "MIIxyz", tokenPrefix + "!!!." + sig} {
		if _, err := parseToken(key, bad, now); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !checkPassword(h, "correct horse") || checkPassword(h, "correct horse ") || checkPassword(h, "") {
		t.Fatal("password check is wrong")
	}
	h2, _ := hashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "pbkdf2-sha256$x$y$z", "md5$1$a$b", "pbkdf2-sha256$0$AA$AA"} {
		if checkPassword(bad, "x") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}
