package objstore

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tempPrefix starts the names of Dir's in-flight temporary files. Keys may not
// have a segment starting with it, so a temporary file can never be mistaken
// for an object, on any implementation.
const tempPrefix = ".objstore-tmp-"

// maxKeyLen is S3's limit on a key, in bytes.
const maxKeyLen = 1024

// ValidateBucket checks the S3 bucket naming rules: 3 to 63 characters of
// lower-case letters, digits, '.' and '-', starting and ending with a letter or
// a digit, with no two adjacent dots. The error wraps ErrInvalidName.
func ValidateBucket(bucket string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: bucket %q: %s", ErrInvalidName, bucket, why)
	}
	if len(bucket) < 3 || len(bucket) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for i := 0; i < len(bucket); i++ {
		c := bucket[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("may contain only lower-case letters, digits, '.' and '-'")
		}
	}
	if !isAlnum(bucket[0]) || !isAlnum(bucket[len(bucket)-1]) {
		return bad("must start and end with a lower-case letter or a digit")
	}
	if strings.Contains(bucket, "..") {
		return bad("must not contain two adjacent dots")
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ValidateKey checks a key: valid UTF-8 of 1 to 1024 bytes, made of
// '/'-separated segments that are not empty, "." or "..", with no NUL byte
// and no segment starting with the reserved temporary-file prefix. These rules
// keep a Dir key inside its bucket folder, and hold for S3 too so that both
// implementations accept the same keys. The error wraps ErrInvalidName.
func ValidateKey(key string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: key %q: %s", ErrInvalidName, key, why)
	}
	switch {
	case key == "":
		return bad("must not be empty")
	case len(key) > maxKeyLen:
		return bad(fmt.Sprintf("must be at most %d bytes", maxKeyLen))
	case !utf8.ValidString(key):
		return bad("must be valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		return bad("must not contain a NUL byte")
	case strings.HasPrefix(key, "/"):
		return bad("must be relative (no leading '/')")
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return bad("must not contain an empty segment ('//' or a trailing '/')")
		case seg == "." || seg == "..":
			return bad("must not contain a '.' or '..' segment")
		case strings.HasPrefix(seg, tempPrefix):
			return bad(fmt.Sprintf("segments must not start with the reserved %q", tempPrefix))
		}
	}
	return nil
}

func validate(bucket, key string) error {
	if err := ValidateBucket(bucket); err != nil {
		return err
	}
	return ValidateKey(key)
}

// checkRange validates a ranged read's names and range.
func checkRange(bucket, key string, off, n int64) error {
	if err := validate(bucket, key); err != nil {
		return err
	}
	if off < 0 || n <= 0 {
		return fmt.Errorf("objstore: get range %s/%s: range of %d bytes at %d", bucket, key, n, off)
	}
	return nil
}
