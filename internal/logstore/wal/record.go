package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The layout of docs/format/wal.md: a file header, then records of a
// length, a CRC-32C of the payload, and the payload.
const (
	fileHeaderSize   = 8
	recordHeaderSize = 8
	fileMagic        = "LTWAL\x00"
	formatVersion    = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFileHeader appends the 8-byte header every WAL file starts with.
func appendFileHeader(dst []byte) []byte {
	return append(append(dst, fileMagic...), formatVersion, 0)
}

// errNoHeader: the file is too short to hold a header, or does not start
// with the magic (a crash right after it was created).
var errNoHeader = errors.New("no complete file header")

// readFileHeader checks a file header.
func readFileHeader(hdr []byte) error {
	if len(hdr) < fileHeaderSize || string(hdr[:6]) != fileMagic {
		return errNoHeader
	}
	if hdr[6] != formatVersion {
		return fmt.Errorf("format version %d, this server reads %d", hdr[6], formatVersion)
	}
	return nil
}

// appendRecord appends payload framed as one record.
func appendRecord(dst, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, castagnoli))
	return append(dst, payload...)
}

// CorruptError is a record that cannot be read: where it starts and why.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: %s: record at offset %d: %s", e.File, e.Offset, e.Reason)
}

// recordReader reads the records of one file after its header.
type recordReader struct {
	r       io.Reader
	file    string
	off     int64 // where the next record starts
	hdr     [recordHeaderSize]byte
	payload []byte
}

// next returns the next record's payload, valid until the following call.
// It returns io.EOF at a clean end, and a *CorruptError for a record that
// is torn, out of range or fails its checksum.
func (rr *recordReader) next() ([]byte, error) {
	n, err := io.ReadFull(rr.r, rr.hdr[:])
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return nil, rr.corrupt(fmt.Sprintf("header cut after %d of %d bytes", n, recordHeaderSize))
	case err != nil:
		return nil, err
	}
	size := binary.LittleEndian.Uint32(rr.hdr[0:4])
	sum := binary.LittleEndian.Uint32(rr.hdr[4:8])
	if size == 0 || size > MaxRecord {
		return nil, rr.corrupt(fmt.Sprintf("length %d out of range 1..%d", size, MaxRecord))
	}
	if cap(rr.payload) < int(size) {
		rr.payload = make([]byte, size)
	}
	rr.payload = rr.payload[:size]
	if n, err := io.ReadFull(rr.r, rr.payload); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, rr.corrupt(fmt.Sprintf("payload cut after %d of %d bytes", n, size))
		}
		return nil, err
	}
	if got := crc32.Checksum(rr.payload, castagnoli); got != sum {
		return nil, rr.corrupt(fmt.Sprintf("checksum %08x, want %08x", got, sum))
	}
	rr.off += recordHeaderSize + int64(size)
	return rr.payload, nil
}

func (rr *recordReader) corrupt(reason string) error {
	return &CorruptError{File: rr.file, Offset: rr.off, Reason: reason}
}
