package backupcodes

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"hash"
)

// Beside its argon2id hash, each code has a short keyed index, so that a
// verification runs argon2id only for a slot the typed code can be in:
//
//	index of slot i = first indexLen bytes of
//	                  HMAC-SHA256(index key, uint32(i) big endian | code)
//
// The index key is indexKeyLen random bytes per set, drawn at enrollment and
// kept in the set's state. Verify computes the typed code's index for every
// slot, compares each with the slot's in constant time, and runs argon2id
// only on a slot whose index matches. A wrong code matches a given slot's
// index with probability 2^-16, so against a 10-code set it costs no argon2id
// run 99.98% of the time (at worst, for 20 codes, 99.97%); a right code costs
// one (and a used one too, which is how it is found replayed).
//
// Why two bytes, and no more. A database dump shows nothing by itself: the
// host seals every state. Whoever also holds the seal key reads the index
// key as well (it is in the same state, so the index is no second secret,
// and argon2id stays the defence in depth for that case) and can compute the
// index of any guess with a fast hash. The index then discards all but one
// guess in 65,536 for a slot, but it cannot say that a guess is the code:
// with 2^64 hex or 2^53 decimal codes, some 2^48 or 2^37 of them share each
// slot's index, and each must still go through argon2id to be confirmed.
// Searching a slot's whole space thus still costs 2^48 or 2^37 argon2id runs
// (at 3 ms a run, about 27,000 or 13 core-years), on top of 2^64 or 2^53
// HMACs, where it cost 2^64 or 2^53 runs before. Every byte more would cut
// that by 256: at four bytes a decimal code would fall after 2^21 runs, under
// two core-hours, and at six after 32, argon2id skipped in all but name.
// The slot number in the index keeps a guess's index for one slot from
// saying anything about another.
//
// Sets stored before indexes have no index key, and their slots no index:
// every slot without an index is hashed on every verification, as it always
// was. The first code used after that draws the set's key and indexes its
// own slot (the others are unknown to the factor until they are typed), so
// such a set gets cheaper with each use, and a new set (a regeneration) is
// indexed from the start.
const (
	// indexKeyLen is the length of a set's index key.
	indexKeyLen = 32
	// indexLen is the length of a slot's index.
	indexLen = 2
)

// indexer computes the indexes of one set's slots.
type indexer struct{ mac hash.Hash }

// newIndexer returns the indexer of the set with key.
func newIndexer(key []byte) indexer { return indexer{mac: hmac.New(sha256.New, key)} }

// index returns the index of the normalised code in slot i.
func (x indexer) index(code string, i int) []byte {
	var pos [4]byte
	binary.BigEndian.PutUint32(pos[:], uint32(i))
	x.mac.Reset()
	x.mac.Write(pos[:])
	x.mac.Write([]byte(code))
	return x.mac.Sum(nil)[:indexLen]
}

// indexSet returns the index of each code in its slot.
func indexSet(key []byte, codes []string) [][]byte {
	x := newIndexer(key)
	indexes := make([][]byte, len(codes))
	for i, c := range codes {
		indexes[i] = x.index(c, i)
	}
	return indexes
}

// candidates reports, for each slot, whether the normalised code may be in
// it: the slot has no index (only its hash can tell), or the code's index for
// the slot matches. Every index is computed and compared in constant time,
// whichever match.
func (s codeSet) candidates(code string, indexes [][]byte) []bool {
	out := make([]bool, len(indexes))
	var x indexer
	if len(s.IndexKey) > 0 {
		x = newIndexer(s.IndexKey)
	}
	for i, want := range indexes {
		if len(want) == 0 || x.mac == nil {
			out[i] = true
			continue
		}
		out[i] = subtle.ConstantTimeCompare(x.index(code, i), want) == 1
	}
	return out
}
