package transfer

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"logtank/internal/logstore"
)

// Window is a stretch of a stream's time that one object holds.
type Window struct {
	Start, End time.Time
}

// Names are what a key and a JSON object tell about a stream.
type Names struct {
	Region, ProjectID, GroupName, StreamName, StreamID string
	StreamTags                                         map[string]string
}

// Key returns the object key of a stream's window:
//
//	LogTanks/<region>/<YYYY>/<MM>/<DD>/<group>/<stream>/<file>   (default)
//	LogTanks/<region>/<custom directory, %Y %m %d %H %M expanded>/<file>
//
// and the file is [<prefix>_]<stream>_<start>_<end>_<stream id>.log[.gz]
// with the window's start and end as YYYYMMDDTHHMMSS.mmm in the transfer's
// zone. The key depends only on the window and the stream, so writing a
// window again replaces its object, and no two streams (of any group or
// project) nor two windows share a key.
func Key(s *Settings, loc *time.Location, n Names, w Window) string {
	start := w.Start.In(loc)
	var dir string
	if s.Dir != "" {
		dir = expandDir(strings.Trim(s.Dir, "/"), start)
	} else {
		dir = start.Format("2006/01/02") + "/" + n.GroupName + "/" + n.StreamName
	}
	const stamp = "20060102T150405.000"
	file := n.StreamName + "_" + start.Format(stamp) + "_" + w.End.In(loc).Format(stamp) + "_" + n.StreamID + ".log"
	if s.Prefix != "" {
		file = s.Prefix + "_" + file
	}
	if s.Compress == "gzip" {
		file += ".gz"
	}
	return "LogTanks/" + n.Region + "/" + dir + "/" + file
}

func expandDir(dir string, t time.Time) string {
	r := strings.NewReplacer("%Y", t.Format("2006"), "%m", t.Format("01"), "%d", t.Format("02"), "%H", t.Format("15"), "%M", t.Format("04"))
	return r.Replace(dir)
}

// encoder writes rows in a transfer's format.
type encoder struct {
	s     *Settings
	names Names
	bw    *bufio.Writer
	gz    *gzip.Writer
	buf   []byte
	rows  int
}

func newEncoder(w io.Writer, s *Settings, n Names) *encoder {
	e := &encoder{s: s, names: n}
	if s.Compress == "gzip" {
		e.gz = gzip.NewWriter(w)
		w = e.gz
	}
	e.bw = bufio.NewWriterSize(w, 256<<10)
	return e
}

// jsonKeys maps labels to the keys of the documented JSON layout.
var jsonKeys = map[string]string{"hostName": "host_name", "hostIP": "ip", "pathFile": "path"}

func (e *encoder) write(r logstore.Row) error {
	e.rows++
	content := strings.TrimSuffix(r.Content, "\n")
	if e.s.Format != "JSON" {
		e.buf = append(append(e.buf[:0], content...), '\n')
		_, err := e.bw.Write(e.buf)
		return err
	}
	obj := map[string]any{
		"line_no": r.Line,
		"message": r.Content,
		"time":    r.Line / int64(time.Millisecond),
	}
	for label, key := range jsonKeys {
		if v, ok := r.Labels.Get(label); ok {
			obj[key] = v
		}
	}
	for _, tag := range e.s.Tags {
		if v, ok := e.tag(tag, r); ok {
			obj[tag] = v
		}
	}
	for _, name := range e.s.StructFields {
		if _, taken := obj[name]; taken {
			continue // the documented keys come first
		}
		for _, f := range r.Fields {
			if f.Name != name {
				continue
			}
			switch {
			case f.Type == logstore.FieldLong:
				obj[name] = f.Long
			case f.Type == logstore.FieldFloat && !math.IsNaN(f.Float) && !math.IsInf(f.Float, 0):
				obj[name] = f.Float
			case f.Type == logstore.FieldFloat:
				// JSON has no number for these: their text.
				obj[name] = strconv.FormatFloat(f.Float, 'g', -1, 64)
			default:
				obj[name] = f.Str
			}
			break
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	e.buf = append(append(e.buf[:0], b...), '\n')
	_, err = e.bw.Write(e.buf)
	return err
}

func (e *encoder) tag(tag string, r logstore.Row) (any, bool) {
	switch tag {
	case "logStreamName":
		return e.names.StreamName, true
	case "logGroupName":
		return e.names.GroupName, true
	case "regionName":
		return e.names.Region, true
	case "projectId":
		return e.names.ProjectID, true
	case "streamTag":
		return e.names.StreamTags, len(e.names.StreamTags) > 0
	case "collectTime":
		if v, ok := r.Labels.Get(tag); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n, true
			}
			return v, true
		}
		return nil, false
	}
	v, ok := r.Labels.Get(tag)
	return v, ok
}

func (e *encoder) close() error {
	if err := e.bw.Flush(); err != nil {
		return err
	}
	if e.gz != nil {
		return e.gz.Close()
	}
	return nil
}
