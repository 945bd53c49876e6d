package redisstore

// WithCallPerHit makes Count send one script call per hit, in one
// pipeline, as it did before it batched hits: the benchmarks compare the
// two.
func WithCallPerHit() Option {
	return func(s *Store) { s.perHit = true }
}

// Batches exposes how Count groups the keys of a batch into script calls.
func (s *Store) Batches(keys []string) [][]int {
	cs := make([]counter, len(keys))
	for i, k := range keys {
		cs[i] = counter{key: k}
	}
	return s.batches(cs)
}

// CountScriptSHA is the SHA1 of the script Count calls.
var CountScriptSHA = countScript.Hash()
