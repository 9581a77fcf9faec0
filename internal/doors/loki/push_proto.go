package loki

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"logtank/internal/logstore"
	"logtank/internal/ltscore"
)

// Field numbers of Loki's push.proto (package logproto), the messages as
// its clients send them:
//
//	PushRequest      { repeated StreamAdapter streams = 1; }
//	StreamAdapter    { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
//	EntryAdapter     { google.protobuf.Timestamp timestamp = 1; string line = 2;
//	                   repeated LabelPairAdapter structuredMetadata = 3; }
//	LabelPairAdapter { string name = 1; string value = 2; }
//	Timestamp        { int64 seconds = 1; int32 nanos = 2; }
//
// Fields of other numbers (hash, fields added later) are skipped, as
// protobuf decoders do.
const (
	fieldStreams   = 1
	fieldLabels    = 1
	fieldEntries   = 2
	fieldTimestamp = 1
	fieldLine      = 2
	fieldMetadata  = 3
	fieldPairName  = 1
	fieldPairValue = 2
	fieldSeconds   = 1
	fieldNanos     = 2
)

const (
	nanosPerSecond = 1_000_000_000
	// maxUnixSeconds keeps seconds*1e9 + nanos within an int64.
	maxUnixSeconds = math.MaxInt64/nanosPerSecond - 1
)

// decodeProto reads a PushRequest, snappy already undone.
func decodeProto(b []byte) ([]ltscore.Batch, error) {
	var out []ltscore.Batch
	total := 0
	err := eachField(b, "PushRequest", func(num protowire.Number, v value) error {
		if num != fieldStreams {
			return nil
		}
		msg, err := v.bytes("PushRequest.streams")
		if err != nil {
			return err
		}
		s, err := decodeStream(msg, len(out), &total)
		if err != nil {
			return fmt.Errorf("streams[%d]: %w", len(out), err)
		}
		if len(s.batch.Entries) > 0 {
			out = append(out, s.batch)
		}
		return nil
	})
	return out, err
}

func decodeStream(b []byte, i int, total *int) (stream, error) {
	s := newStream(i, total)
	labelsSeen := false
	err := eachField(b, "StreamAdapter", func(num protowire.Number, v value) error {
		switch num {
		case fieldLabels:
			text, err := v.bytes("StreamAdapter.labels")
			if err != nil {
				return err
			}
			if s.batch.Labels, err = parseLabels(string(text)); err != nil {
				return err
			}
			labelsSeen = true
		case fieldEntries:
			msg, err := v.bytes("StreamAdapter.entries")
			if err != nil {
				return err
			}
			e, err := decodeEntry(msg)
			if err != nil {
				return fmt.Errorf("entries[%d]: %w", len(s.batch.Entries), err)
			}
			return s.add(e)
		}
		return nil
	})
	if err == nil && !labelsSeen && len(s.batch.Entries) > 0 {
		err = errors.New("the stream has no labels; Loki clients send a label set like {app=\"web\"}")
	}
	return s, err
}

func decodeEntry(b []byte) (logstore.Entry, error) {
	var e logstore.Entry
	var seconds, nanos int64
	err := eachField(b, "EntryAdapter", func(num protowire.Number, v value) error {
		switch num {
		case fieldTimestamp:
			msg, err := v.bytes("EntryAdapter.timestamp")
			if err != nil {
				return err
			}
			// A message field met twice merges: each Timestamp field
			// keeps its last value.
			return eachField(msg, "Timestamp", func(num protowire.Number, v value) error {
				var err error
				switch num {
				case fieldSeconds:
					seconds, err = v.varint("Timestamp.seconds")
				case fieldNanos:
					nanos, err = v.varint("Timestamp.nanos")
					nanos = int64(int32(nanos))
				}
				return err
			})
		case fieldLine:
			line, err := v.bytes("EntryAdapter.line")
			e.Content = string(line)
			return err
		case fieldMetadata:
			msg, err := v.bytes("EntryAdapter.structuredMetadata")
			if err != nil {
				return err
			}
			var name, val []byte
			if err := eachField(msg, "LabelPairAdapter", func(num protowire.Number, v value) error {
				var err error
				switch num {
				case fieldPairName:
					name, err = v.bytes("LabelPairAdapter.name")
				case fieldPairValue:
					val, err = v.bytes("LabelPairAdapter.value")
				}
				return err
			}); err != nil {
				return err
			}
			e.Fields = setField(e.Fields, string(name), string(val))
		}
		return nil
	})
	if err != nil {
		return e, err
	}
	if seconds < 0 || seconds > maxUnixSeconds || nanos < 0 || nanos >= nanosPerSecond {
		return e, fmt.Errorf("timestamp %ds %dns is not a time after 1970 that nanoseconds can hold", seconds, nanos)
	}
	e.TimeNs = seconds*nanosPerSecond + nanos
	return e, nil
}

// value is one field's value as read off the wire, with its type.
type value struct {
	typ protowire.Type
	raw []byte // the value's bytes for BytesType, else unused
	n   uint64 // the value for VarintType
}

func (v value) bytes(name string) ([]byte, error) {
	if v.typ != protowire.BytesType {
		return nil, fmt.Errorf("%s has wire type %d, want length-delimited (2)", name, v.typ)
	}
	return v.raw, nil
}

func (v value) varint(name string) (int64, error) {
	if v.typ != protowire.VarintType {
		return 0, fmt.Errorf("%s has wire type %d, want varint (0)", name, v.typ)
	}
	return int64(v.n), nil
}

// eachField calls fn with every field of the protobuf message b (of type
// msg, for errors), in wire order, stopping at fn's first error or at the
// first field that cannot be read.
func eachField(b []byte, msg string, fn func(protowire.Number, value) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%s: the protobuf is truncated or malformed: %v", msg, protowire.ParseError(n))
		}
		b = b[n:]
		v := value{typ: typ}
		switch typ {
		case protowire.BytesType:
			v.raw, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			v.n, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%s field %d: the protobuf is truncated or malformed: %v", msg, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, v); err != nil {
			return err
		}
	}
	return nil
}
