package cluster

import (
	"context"
	"strings"
	"time"

	"logtank/internal/catalog"
)

// wholeEvery is how often a node reads the ingest heads and the leases
// whole rather than the rows that changed: a safety net, since the view
// built from changes is the same by construction (catalog.PollCluster).
const wholeEvery = time.Minute

// polled is the node's copy of the catalog's ingest heads and of the
// "node:" and "stream:" leases, kept up to date by reading, each poll, the
// rows that changed since the last one, so that a poll costs PostgreSQL
// the streams that moved rather than all of them. Only the poll round
// touches it (Node.pollMu).
type polled struct {
	// since is where the next read of changes starts (0, before the first
	// read, reads whole); lastWhole is when the last whole read was.
	since     int64
	lastWhole time.Time
	heads     map[string]catalog.IngestHead
	// nodes holds the membership leases by node name, streams the
	// streams' leases by stream id, as last written: expired ones stay
	// until a row or a whole read says otherwise, and are judged by the
	// database's clock of each poll, since a lease that expires changes
	// no row.
	nodes, streams map[string]catalog.LeaseRecord
}

// view is what one poll round knows of the cluster, from the catalog: the
// live nodes (by their membership lease) and each stream's lease, live if
// it has not expired by the database's clock at the poll.
type view struct {
	members []string
	leases  map[string]catalog.LeaseRecord
	nowMS   int64
}

// holder returns the node that holds the stream's lease, if it is live.
func (v view) holder(stream string) (string, bool) {
	l, ok := v.leases[stream]
	if !ok || l.ExpiryMS <= v.nowMS {
		return "", false
	}
	return l.Owner, true
}

// look polls the catalog, brings the node's copy up to date and returns
// the view. The caller holds n.pollMu.
func (n *Node) look(ctx context.Context) (view, error) {
	p := &n.polled
	since := p.since
	if time.Since(p.lastWhole) >= wholeEvery {
		since = 0
	}
	c, err := n.cfg.DB.PollCluster(ctx, since)
	if err != nil {
		return view{}, err
	}
	if c.Whole {
		p.lastWhole = time.Now()
		p.heads = make(map[string]catalog.IngestHead, len(c.Heads))
		p.nodes = map[string]catalog.LeaseRecord{}
		p.streams = make(map[string]catalog.LeaseRecord, len(p.streams))
	}
	for _, h := range c.Heads {
		p.heads[h.StreamID] = h
	}
	for _, id := range c.Gone {
		delete(p.heads, id)
	}
	for _, l := range c.Leases {
		m, key := p.nodes, strings.TrimPrefix(l.Name, nodePrefix)
		if strings.HasPrefix(l.Name, streamPrefix) {
			m, key = p.streams, strings.TrimPrefix(l.Name, streamPrefix)
		} else if !strings.HasPrefix(l.Name, nodePrefix) {
			continue
		}
		if l.ExpiryMS > c.NowMS {
			m[key] = l
		} else {
			delete(m, key)
		}
	}
	p.since = c.Next
	v := view{leases: p.streams, nowMS: c.NowMS}
	for _, l := range p.nodes {
		if l.ExpiryMS > c.NowMS {
			v.members = append(v.members, l.Owner)
		}
	}
	return v, nil
}
