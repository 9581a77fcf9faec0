// Package objstore owns object storage for logtank: buckets holding objects by
// key, behind the one Store interface, with two implementations: Dir, a local
// directory whose top-level folders are the buckets (the embedded default), and
// S3, any S3-compatible endpoint (Huawei OBS, MinIO, AWS S3) through minio-go.
//
// Every write is all-or-nothing for readers, and both implementations accept
// and refuse the same bucket names and keys, so a caller can switch from one to
// the other without changing a line.
//
// It must never create a bucket: a missing bucket is reported as ErrNoBucket
// and left for an operator to create, because a silently created bucket hides a
// typo in a configuration. It must never know anything about logs, streams or
// transfers: it stores bytes under keys, and callers decide what they mean.
package objstore
