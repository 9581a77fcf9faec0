package cluster

// Lease name prefixes: a node is a member of the cluster while it holds
// "node:<name>", and a stream's owner holds "stream:<id>".
const (
	nodePrefix   = "node:"
	streamPrefix = "stream:"
)

// preferred returns the stream's preferred owner among the live nodes
// (empty when none is known): the node of highest weight for the stream,
// rendezvous hashing. Each node prefers about as many streams as the
// others, and a node that joins or leaves moves only the streams it wins
// or held, without any node coordinating with another.
func preferred(members []string, stream string) string {
	best, bestW := "", uint64(0)
	for _, m := range members {
		w := weight(m, stream)
		if best == "" || w > bestW || (w == bestW && m > best) {
			best, bestW = m, w
		}
	}
	return best
}

// weight is a 64-bit hash of a node's name and a stream's id. FNV-1a alone
// spreads names that differ only in their last bytes (node-1, node-2)
// poorly in its high bits, so a finaliser (splitmix64's) mixes every bit.
func weight(node, stream string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(node); i++ {
		h = (h ^ uint64(node[i])) * prime
	}
	// 0xff never occurs in UTF-8, so ("ab", "c") and ("a", "bc") differ.
	h = (h ^ 0xff) * prime
	for i := 0; i < len(stream); i++ {
		h = (h ^ uint64(stream[i])) * prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
