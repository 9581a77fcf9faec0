package runtime

import (
	"bytes"
	"encoding/binary"
	"os"
	"sync"
	"time"
)

// maxOutputKept bounds what an instance keeps of its output: an invocation
// that prints more keeps only its tail.
const maxOutputKept = 1 << 20

// syncPrefix starts the markers the server writes into an instance's
// output pipe; a marker is the prefix, 8 bytes of sequence number and a NUL.
var syncPrefix = []byte("\x00logtank-sync:")

const syncLen = 14 + 8 + 1

// output collects an instance's stdout and stderr, which share one pipe so
// that their lines stay in order, and hands each invocation what was
// written since the previous one.
//
// The function's writes reach the pipe before its answer reaches the
// server, but the reader may not have drained them yet when the answer
// arrives. So before taking an invocation's log, sync writes a marker into
// the pipe (pipe writes this small are atomic) and waits until the reader
// reaches it: everything the function wrote before answering has then been
// read.
type output struct {
	w *os.File // the server's copy of the write end, for markers

	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte // the kept tail of the output
	base   int64  // offset of buf[0] in the whole output
	mark   int64  // where the next invocation's log starts
	seen   uint64 // last marker read
	next   uint64 // last marker written
	closed bool
}

// newOutput returns the output and the write end to hand to the process.
func newOutput() (*output, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	o := &output{w: w}
	o.cond = sync.NewCond(&o.mu)
	go o.read(r)
	return o, w, nil
}

func (o *output) read(r *os.File) {
	defer r.Close()
	chunk := make([]byte, 32<<10)
	var pending []byte
	for {
		n, err := r.Read(chunk)
		pending = append(pending, chunk[:n]...)
		pending = o.consume(pending)
		if err != nil {
			o.mu.Lock()
			o.append(pending)
			o.closed = true
			o.cond.Broadcast()
			o.mu.Unlock()
			return
		}
	}
}

// consume stores data up to the last complete marker or possible marker
// start, records the markers it passes, and returns what must wait for
// more bytes.
func (o *output) consume(data []byte) []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		i := bytes.Index(data, syncPrefix)
		if i < 0 {
			keep := partialPrefix(data)
			o.append(data[:len(data)-keep])
			return append([]byte(nil), data[len(data)-keep:]...)
		}
		if len(data)-i < syncLen {
			o.append(data[:i])
			return append([]byte(nil), data[i:]...)
		}
		o.append(data[:i])
		o.seen = binary.BigEndian.Uint64(data[i+len(syncPrefix):])
		o.cond.Broadcast()
		data = data[i+syncLen:]
	}
}

// partialPrefix is the length of the longest tail of data that could be
// the start of a marker.
func partialPrefix(data []byte) int {
	for k := min(len(syncPrefix)-1, len(data)); k > 0; k-- {
		if bytes.HasSuffix(data, syncPrefix[:k]) {
			return k
		}
	}
	return 0
}

func (o *output) append(b []byte) {
	o.buf = append(o.buf, b...)
	if over := len(o.buf) - maxOutputKept; over > 0 {
		o.buf = append(o.buf[:0], o.buf[over:]...)
		o.base += int64(over)
	}
}

// sync waits, at most wait, until everything written to the pipe before
// the call has been read.
func (o *output) sync(wait time.Duration) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.next++
	seq := o.next
	o.mu.Unlock()
	marker := make([]byte, 0, syncLen)
	marker = append(marker, syncPrefix...)
	marker = binary.BigEndian.AppendUint64(marker, seq)
	marker = append(marker, 0)
	if _, err := o.w.Write(marker); err != nil {
		return
	}
	timer := time.AfterFunc(wait, func() {
		o.mu.Lock()
		o.cond.Broadcast()
		o.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(wait)
	o.mu.Lock()
	for o.seen < seq && !o.closed && time.Now().Before(deadline) {
		o.cond.Wait()
	}
	o.mu.Unlock()
}

// take returns the output since the previous take.
func (o *output) take() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	end := o.base + int64(len(o.buf))
	from := max(o.mark, o.base)
	o.mark = end
	return append([]byte(nil), o.buf[from-o.base:]...)
}

// all returns the output kept so far, for a start-up failure's report.
func (o *output) all() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]byte(nil), o.buf...)
}

// close drops the server's write end: the reader ends once the process
// and its children have closed theirs.
func (o *output) close() error { return o.w.Close() }
