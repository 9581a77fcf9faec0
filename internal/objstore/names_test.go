package objstore

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateBucket(t *testing.T) {
	for _, ok := range []string{"abc", "my-bucket.logs", "0bucket9", strings.Repeat("a", 63)} {
		if err := ValidateBucket(ok); err != nil {
			t.Errorf("ValidateBucket(%q): %v", ok, err)
		}
	}
	for _, bad := range badBuckets {
		err := ValidateBucket(bad)
		if !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), "bucket") {
			t.Errorf("ValidateBucket(%q) = %v, want an ErrInvalidName naming the bucket", bad, err)
		}
	}
}

func TestValidateKey(t *testing.T) {
	for _, ok := range []string{"a", "a/b/c.log", "LogTanks/cn-north-4/2026/01/02/g/s/x.log", ".hidden", "a/..b/c", "ключ", strings.Repeat("k", maxKeyLen)} {
		if err := ValidateKey(ok); err != nil {
			t.Errorf("ValidateKey(%q): %v", ok, err)
		}
	}
	for _, bad := range badKeys {
		err := ValidateKey(bad)
		if !errors.Is(err, ErrInvalidName) || !strings.Contains(err.Error(), "key") {
			t.Errorf("ValidateKey(%q) = %v, want an ErrInvalidName naming the key", bad, err)
		}
	}
}
