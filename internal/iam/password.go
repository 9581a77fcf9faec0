package iam

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// passwordIterations follows the current OWASP advice for PBKDF2-HMAC-SHA256.
// It is stored in each hash, so raising it later leaves old hashes valid.
const passwordIterations = 600_000

func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, passwordIterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", passwordIterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// hashSlots bounds how many password checks run at once: each costs about
// 100 ms of CPU, and token issuance is public.
var hashSlots = make(chan struct{}, 2)

// dummyHash is checked for unknown users, so that an unknown name takes as
// long to refuse as a wrong password and names cannot be told by timing.
var dummyHash = func() string {
	h, err := hashPassword("not a password of any user")
	if err != nil {
		panic(err)
	}
	return h
}()

func checkPassword(hash, password string) bool {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
