package backupcodes

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Codes are stored as argon2id hashes, never as themselves.
//
// Why argon2id and not HMAC-SHA256 under a key kept outside the database:
// the host already seals every state with AES-256-GCM under such a key, so a
// second key would guard against the same loss (a database dump) and add a
// second secret to provision and rotate. What is left is the case where the
// seal key leaks with the dump. There a 64-bit (hex) or 53-bit (digits)
// random code is already out of reach of a fast hash; argon2id, memory-hard
// and salted per set and per code, is defence in depth that needs no key.
//
// Each code's salt is the set's random salt followed by the code's slot
// number, so a guess costs one argon2id run for one slot of one set: an
// attacker cannot test a guess against every code of a set, or every set, at
// once. A verification runs argon2id only for the slot a short keyed index
// points at (index.go): none for a wrong code, one for a right one. A set
// stored before indexes is hashed in every slot not yet indexed.
//
// Cost, measured on a 2-core AMD EPYC (go test -bench Verify): one run of
// the default parameters takes about 2.8 ms, so a right code costs about 3 ms
// and a wrong one microseconds, where a set without indexes costs 28 ms (10
// codes) to 57 ms (20) either way; 8 MiB would double the cost of a run. The
// parameters are stored in every state, so they can be raised for new sets
// without breaking old ones.
const (
	kdfArgon2id = "argon2id"

	defaultKDFTime      = 1
	defaultKDFMemoryKiB = 4 * 1024
	defaultKDFThreads   = 1
	defaultKDFKeyLen    = 32

	// Bounds on the parameters a state may carry: the upper ones keep a
	// state from making a verification take seconds or gigabytes.
	maxKDFTime      = 3
	minKDFMemoryKiB = 1024
	maxKDFMemoryKiB = 16 * 1024
	maxKDFThreads   = 4
	minKDFKeyLen    = 16
	maxKDFKeyLen    = 64

	// saltLen is the length of the per-set salt the factor draws.
	saltLen    = 16
	minSaltLen = 16
	maxSaltLen = 64
)

// kdfParams are the argon2id parameters a set was hashed with.
type kdfParams struct {
	Alg       string `json:"alg"`
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
	KeyLen    uint32 `json:"key_len"`
}

func defaultKDF() kdfParams {
	return kdfParams{
		Alg:       kdfArgon2id,
		Time:      defaultKDFTime,
		MemoryKiB: defaultKDFMemoryKiB,
		Threads:   defaultKDFThreads,
		KeyLen:    defaultKDFKeyLen,
	}
}

func (p kdfParams) validate() error {
	switch {
	case p.Alg != kdfArgon2id:
		return fmt.Errorf("unknown hash %q", p.Alg)
	case p.Time < 1 || p.Time > maxKDFTime:
		return fmt.Errorf("hash time %d out of range 1-%d", p.Time, maxKDFTime)
	case p.MemoryKiB < minKDFMemoryKiB || p.MemoryKiB > maxKDFMemoryKiB:
		return fmt.Errorf("hash memory %d KiB out of range %d-%d", p.MemoryKiB, minKDFMemoryKiB, maxKDFMemoryKiB)
	case p.Threads < 1 || p.Threads > maxKDFThreads:
		return fmt.Errorf("hash threads %d out of range 1-%d", p.Threads, maxKDFThreads)
	case p.KeyLen < minKDFKeyLen || p.KeyLen > maxKDFKeyLen:
		return fmt.Errorf("hash length %d out of range %d-%d", p.KeyLen, minKDFKeyLen, maxKDFKeyLen)
	}
	return nil
}

// hash returns the hash of the normalised code in slot index of the set
// with salt. The caller has validated p (argon2 panics on zero threads).
func (p kdfParams) hash(code string, salt []byte, index int) []byte {
	s := make([]byte, len(salt)+4)
	copy(s, salt)
	binary.BigEndian.PutUint32(s[len(salt):], uint32(index))
	return argon2.IDKey([]byte(code), s, p.Time, p.MemoryKiB, p.Threads, p.KeyLen)
}

// hashSet hashes each code in its slot.
func (p kdfParams) hashSet(codes []string, salt []byte) [][]byte {
	hashes := make([][]byte, len(codes))
	for i, c := range codes {
		hashes[i] = p.hash(c, salt, i)
	}
	return hashes
}

// hashGate bounds how many callers of a process hash at once. An argon2id
// run holds its memory (4 MiB by default) until it ends, and runs beyond the
// processors only take turns on them: without a bound, concurrent
// enrollments and verifications multiply the memory without finishing any
// sooner (the plugin process peaked at 38 MiB under 16 parallel
// verifications, 26-30 MiB with the bound: BenchmarkBackupCodesVerify).
type hashGate struct{ turns chan struct{} }

// newHashGate lets n callers hash at once (at least one).
func newHashGate(n int) *hashGate { return &hashGate{turns: make(chan struct{}, max(1, n))} }

// do waits for a turn and runs fn in it. A caller whose ctx ends while it
// waits gives up its place and gets ctx's error; fn then never runs.
func (g *hashGate) do(ctx context.Context, fn func()) error {
	select {
	case g.turns <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait to hash: %w", ctx.Err())
	}
	defer func() { <-g.turns }()
	fn()
	return nil
}

// matchIndex hashes code for every candidate slot and compares each result
// with the slot's hash in constant time, selecting the matching index without
// a branch. Every candidate is hashed and compared whether or not an earlier
// one matched, so the time taken does not tell which candidate matched (or
// whether any did); a slot that is not a candidate is not hashed.
func matchIndex(code string, hashes [][]byte, candidate []bool, hashAt func(code string, index int) []byte) (int, bool) {
	found, index := 0, 0
	for i, want := range hashes {
		if !candidate[i] {
			continue
		}
		eq := subtle.ConstantTimeCompare(hashAt(code, i), want)
		index = subtle.ConstantTimeSelect(eq, i, index)
		found |= eq
	}
	return index, found == 1
}
