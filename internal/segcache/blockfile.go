package segcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// A block file is a header of HeaderSize bytes followed by the block's
// bytes. The header says which block the bytes are, so that a file found
// at the next start can be trusted without asking the store:
//
//	0   magic "LTBK"
//	4   format version (uint16), 2 bytes zero
//	8   object: the first 16 bytes of the SHA-256 of "bucket/key"
//	24  block index (uint64)
//	32  block size the cache had (uint32): an index means nothing under another
//	36  length of the bytes that follow (uint32)
//	40  sequence number of the write (uint64): the order of adoption at start
//	48  CRC-32C of the bytes that follow (uint32), 8 bytes zero
//	60  CRC-32C of bytes 0 to 60 (uint32)
//
// Integers are little-endian. The file is named from the same fields,
// <object in hex>-<index>-<sequence>.blk, so that a header that does not
// match its name (a file copied or renamed by hand) is caught, and two
// copies of a block never share a name. It is written under its name
// plus ".tmp" and renamed when whole.
const HeaderSize = 64

const formatVersion = 1

var (
	magic      = [4]byte{'L', 'T', 'B', 'K'}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// objectSum names an object in block files: a hash, so that a header has
// one size, and wide enough that two names of a node's data set never
// share one.
func objectSum(name string) [16]byte {
	s := sha256.Sum256([]byte(name))
	return [16]byte(s[:16])
}

// header is a block file's header.
type header struct {
	object    [16]byte
	index     int64
	blockSize int64
	length    int64
	seq       uint64
	crc       uint32
}

func (h header) put(b []byte) {
	clear(b[:HeaderSize])
	copy(b[0:4], magic[:])
	binary.LittleEndian.PutUint16(b[4:6], formatVersion)
	copy(b[8:24], h.object[:])
	binary.LittleEndian.PutUint64(b[24:32], uint64(h.index))
	binary.LittleEndian.PutUint32(b[32:36], uint32(h.blockSize))
	binary.LittleEndian.PutUint32(b[36:40], uint32(h.length))
	binary.LittleEndian.PutUint64(b[40:48], h.seq)
	binary.LittleEndian.PutUint32(b[48:52], h.crc)
	binary.LittleEndian.PutUint32(b[60:64], crc32.Checksum(b[:60], castagnoli))
}

// errDamaged marks a block file whose bytes are not what its header or
// name promise.
var errDamaged = errors.New("damaged block file")

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errDamaged}, args...)...)
}

func parseHeader(b []byte) (header, error) {
	if len(b) < HeaderSize {
		return header{}, damaged("%d bytes, shorter than a header", len(b))
	}
	if [4]byte(b[0:4]) != magic {
		return header{}, damaged("not a block file")
	}
	if got, want := crc32.Checksum(b[:60], castagnoli), binary.LittleEndian.Uint32(b[60:64]); got != want {
		return header{}, damaged("header checksum %08x, want %08x", got, want)
	}
	if v := binary.LittleEndian.Uint16(b[4:6]); v != formatVersion {
		return header{}, damaged("format version %d, want %d", v, formatVersion)
	}
	return header{
		object:    [16]byte(b[8:24]),
		index:     int64(binary.LittleEndian.Uint64(b[24:32])),
		blockSize: int64(binary.LittleEndian.Uint32(b[32:36])),
		length:    int64(binary.LittleEndian.Uint32(b[36:40])),
		seq:       binary.LittleEndian.Uint64(b[40:48]),
		crc:       binary.LittleEndian.Uint32(b[48:52]),
	}, nil
}

// fileName is the name of the file of a block written with seq.
func fileName(object [16]byte, index int64, seq uint64) string {
	return hex.EncodeToString(object[:]) + "-" + strconv.FormatInt(index, 10) + "-" + strconv.FormatUint(seq, 10) + ".blk"
}

// checkName reports whether name is the file name h's block has.
func (h header) checkName(name string) error {
	if want := fileName(h.object, h.index, h.seq); name != want {
		return damaged("its header names block %s", strings.TrimSuffix(want, ".blk"))
	}
	return nil
}

// checkFile verifies a whole block file of size bytes (header and bytes)
// against the block it should hold, reading it in pieces.
func checkFile(r io.ReaderAt, size int64, id blockID, blockSize int64) error {
	buf := make([]byte, 64<<10)
	n, err := r.ReadAt(buf[:HeaderSize], 0)
	if err != nil && !(err == io.EOF && n < HeaderSize) {
		return err
	}
	h, err := parseHeader(buf[:n])
	if err != nil {
		return err
	}
	switch {
	case h.object != id.object || h.index != id.index:
		return damaged("its header names another block")
	case h.blockSize != blockSize:
		return damaged("written with blocks of %d bytes, not %d", h.blockSize, blockSize)
	case size != HeaderSize+h.length:
		return damaged("%d bytes, its header says %d", size, HeaderSize+h.length)
	}
	crc := uint32(0)
	for off := int64(HeaderSize); ; {
		// One byte past the end tells a file that grew since it was found.
		n, err := r.ReadAt(buf, off)
		off += int64(n)
		if off > size {
			return damaged("longer than the %d bytes its header says", size)
		}
		crc = crc32.Update(crc, castagnoli, buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if crc != h.crc {
		return damaged("data checksum %08x, want %08x", crc, h.crc)
	}
	return nil
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
