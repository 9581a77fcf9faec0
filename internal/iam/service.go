package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"logtank/internal/catalog"
)

const (
	settingTokenKey       = "iam.token_key"
	settingOperatorDomain = "iam.operator_domain"
)

// Service is the identity service. It is safe for concurrent use.
type Service struct {
	db       *catalog.DB
	dir      *Directory
	tokenKey []byte
	region   string
	now      func() time.Time
	signins  signinThrottle
}

// New loads the directory and the token signing key from db (creating the
// key on first start). region is the name of default projects.
func New(ctx context.Context, db *catalog.DB, region string) (*Service, error) {
	key, err := db.InitSetting(ctx, settingTokenKey, randomHex(32))
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(key)
	if err != nil || len(raw) < 32 {
		return nil, fmt.Errorf("catalog setting %s is not a 32-byte hex key", settingTokenKey)
	}
	dir, err := newDirectory(ctx, db)
	if err != nil {
		return nil, err
	}
	return &Service{db: db, dir: dir, tokenKey: raw, region: region, now: time.Now}, nil
}

// Reload refreshes the in-memory directory (accounts, keys, revoked
// tokens) from the catalog. The service reloads after its own changes;
// this is for changes made elsewhere, by other nodes sharing the catalog.
func (s *Service) Reload(ctx context.Context) error { return s.dir.reload(ctx) }

// SetClock replaces the service's clock; tests use it to age tokens.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the OS random source does not fail on supported systems
	}
	return hex.EncodeToString(b)
}

// newID returns a 32-hex-digit id, the shape of Huawei project, domain and user ids.
func newID() string { return randomHex(16) }

// newAccessKey returns a 20-character upper-case access key id and a
// 40-character secret, the shapes of Huawei's keys.
func newAccessKey() (ak, sk string) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return randomString(20, alphabet), randomString(40, secretAlphabet)
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	var sb strings.Builder
	for _, c := range b {
		// 256 is not a multiple of len(alphabet); the bias is a fraction of
		// a bit per character and does not matter for identifiers of this length.
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}
