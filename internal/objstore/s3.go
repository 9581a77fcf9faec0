package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says how to reach an S3-compatible endpoint.
type S3Config struct {
	// Endpoint is "host[:port]", or a URL "https://host[:port]" or
	// "http://host[:port]" whose scheme must agree with Insecure.
	Endpoint string
	// AccessKey and SecretKey sign every request (AWS signature V4).
	AccessKey, SecretKey string
	// Region is the endpoint's region; empty asks the endpoint for each
	// bucket's location.
	Region string
	// PathStyle addresses buckets as endpoint/bucket (MinIO, versitygw, IP
	// endpoints) instead of bucket.endpoint (virtual-hosted style, as OBS and
	// AWS prefer).
	PathStyle bool
	// Insecure speaks plain HTTP instead of HTTPS.
	Insecure bool
}

// S3 is a Store on any S3-compatible endpoint (Huawei OBS, MinIO, AWS S3).
//
// Put relies on minio-go's PutObject: a single PUT up to 16 MiB (and for known
// sizes beyond, a multipart upload), neither of which the endpoint makes
// visible before it has the whole object, so readers never see a part.
type S3 struct {
	client *minio.Client
}

var _ Store = (*S3)(nil)

// NewS3 checks the configuration and builds a client. It sends no request:
// a wrong endpoint or credentials show up on the first call.
func NewS3(cfg S3Config) (*S3, error) {
	host := cfg.Endpoint
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil {
			return nil, fmt.Errorf("objstore: s3 endpoint %q: %w", cfg.Endpoint, err)
		}
		switch {
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, fmt.Errorf("objstore: s3 endpoint %q: scheme must be http or https", cfg.Endpoint)
		case (u.Scheme == "http") != cfg.Insecure:
			return nil, fmt.Errorf("objstore: s3 endpoint %q: scheme %s disagrees with insecure=%t", cfg.Endpoint, u.Scheme, cfg.Insecure)
		case u.Path != "" && u.Path != "/" || u.RawQuery != "":
			return nil, fmt.Errorf("objstore: s3 endpoint %q: must have no path or query", cfg.Endpoint)
		}
		host = u.Host
	}
	if host == "" {
		return nil, errors.New("objstore: s3 endpoint is empty")
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("objstore: s3 access key and secret key are required")
	}
	lookup := minio.BucketLookupDNS
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       !cfg.Insecure,
		Region:       cfg.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("objstore: s3 endpoint %q: %w", cfg.Endpoint, err)
	}
	return &S3{client: client}, nil
}

// BucketExists sends HEAD on the bucket.
func (s *S3) BucketExists(ctx context.Context, bucket string) (bool, error) {
	if err := ValidateBucket(bucket); err != nil {
		return false, err
	}
	ok, err := s.client.BucketExists(ctx, bucket)
	if err != nil {
		err = s3Error("bucket exists", bucket, "", err)
		if errors.Is(err, ErrNoBucket) {
			return false, nil
		}
	}
	return ok, err
}

// Put uploads with PutObject (see S3 for why it is atomic for readers).
func (s *S3) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	if err := validate(bucket, key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, bucket, key, r, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
	})
	if err != nil {
		return s3Error("put", bucket, key, err)
	}
	return nil
}

// Get sends the GET at once (minio-go otherwise defers it to the first read)
// so that a missing object or bucket is reported here.
func (s *S3) Get(ctx context.Context, bucket, key string) (io.ReadCloser, error) {
	if err := validate(bucket, key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat()
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		return nil, s3Error("get", bucket, key, err)
	}
	return obj, nil
}

// GetRange sends one GET with a Range header. A range that starts at or
// past the object's end, which S3 refuses as InvalidRange, gives no bytes,
// as the contract says.
func (s *S3) GetRange(ctx context.Context, bucket, key string, off, n int64) (io.ReadCloser, error) {
	if err := checkRange(bucket, key, off, n); err != nil {
		return nil, err
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, off+n-1); err != nil {
		return nil, fmt.Errorf("objstore: s3 get range %s/%s: %w", bucket, key, err)
	}
	body, _, h, err := minio.Core{Client: s.client}.GetObject(ctx, bucket, key, opts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.InvalidRange {
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, s3Error("get range", bucket, key, err)
	}
	// An endpoint that ignores Range sends the whole object: from offset 0
	// its first n bytes are the range, from elsewhere they are not.
	if h.Get("Content-Range") == "" && off > 0 {
		body.Close()
		return nil, fmt.Errorf("objstore: s3 get range %s/%s: the endpoint sent the whole object, not the range", bucket, key)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(body, n), body}, nil
}

// List pages through ListObjectsV2 without a delimiter.
func (s *S3) List(ctx context.Context, bucket, prefix string) ([]string, error) {
	if err := ValidateBucket(bucket); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's lister goroutine on an early return
	keys := []string{}
	for obj := range s.client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, s3Error("list", bucket, prefix, obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	// S3 lists in UTF-8 byte order already; sorting keeps the contract even
	// for an endpoint that does not.
	sort.Strings(keys)
	return keys, nil
}

// Delete sends DELETE, which S3 answers with success for an absent object.
func (s *S3) Delete(ctx context.Context, bucket, key string) error {
	if err := validate(bucket, key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return s3Error("delete", bucket, key, err)
	}
	return nil
}

// s3Error maps an endpoint's answer onto the package's sentinels, keeping the
// endpoint's own message in the chain.
func s3Error(op, bucket, key string, err error) error {
	resp := minio.ToErrorResponse(err)
	var kind error
	switch {
	case resp.Code == minio.NoSuchBucket:
		kind = ErrNoBucket
	case resp.Code == minio.NoSuchKey:
		kind = ErrNotFound
	case resp.Code == minio.AccessDenied || resp.Code == "InvalidAccessKeyId" ||
		resp.Code == "SignatureDoesNotMatch" || resp.StatusCode == http.StatusForbidden:
		kind = ErrAccessDenied
	default:
		return fmt.Errorf("objstore: s3 %s %s/%s: %w", op, bucket, key, err)
	}
	return fmt.Errorf("%w: s3 %s %s/%s: %w", kind, op, bucket, key, err)
}
