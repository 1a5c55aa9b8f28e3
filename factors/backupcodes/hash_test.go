package backupcodes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

func TestHashDependsOnEveryInput(t *testing.T) {
	p := cheapKDF()
	salt := bytes.Repeat([]byte{7}, saltLen)
	base := p.hash("0a1b2c3d4e5f6789", salt, 3)
	if len(base) != int(p.KeyLen) {
		t.Fatalf("hash is %d bytes, want %d", len(base), p.KeyLen)
	}
	if !bytes.Equal(base, p.hash("0a1b2c3d4e5f6789", salt, 3)) {
		t.Fatal("the same inputs gave another hash")
	}
	otherSalt := bytes.Clone(salt)
	otherSalt[0] ^= 1
	more := p
	more.Time = 2
	tests := []struct {
		name string
		hash []byte
	}{
		{"other code", p.hash("0a1b2c3d4e5f6788", salt, 3)},
		{"other salt", p.hash("0a1b2c3d4e5f6789", otherSalt, 3)},
		{"other slot", p.hash("0a1b2c3d4e5f6789", salt, 4)},
		{"other parameters", more.hash("0a1b2c3d4e5f6789", salt, 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.hash, base) {
				t.Fatal("hash did not change")
			}
		})
	}
}

// matchIndex hashes every candidate slot, in order, whichever matches: no
// early exit whose timing would tell which candidate it was; and no other.
func TestMatchIndexHashesEveryCandidate(t *testing.T) {
	const n = 10
	hashes := make([][]byte, n)
	for i := range hashes {
		hashes[i] = []byte{byte(i), 0xff}
	}
	all := slices.Repeat([]bool{true}, n)
	only := func(slots ...int) []bool {
		c := make([]bool, n)
		for _, i := range slots {
			c[i] = true
		}
		return c
	}
	tests := []struct {
		name       string
		candidates []bool
		matchSlot  int // -1: none
		wantHashed []int
		wantFound  bool
	}{
		{"every slot, first matches", all, 0, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, true},
		{"every slot, middle matches", all, 4, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, true},
		{"every slot, last matches", all, n - 1, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, true},
		{"every slot, none matches", all, -1, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, false},
		{"one candidate, it matches", only(6), 6, []int{6}, true},
		{"one candidate, it does not match", only(6), -1, []int{6}, false},
		{"two candidates, the first matches", only(2, 7), 2, []int{2, 7}, true},
		{"two candidates, the second matches", only(2, 7), 7, []int{2, 7}, true},
		{"no candidate", only(), -1, nil, false},
		{"the matching slot is no candidate", only(1), 5, []int{1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls []int
			index, found := matchIndex("code", hashes, tc.candidates, func(code string, i int) []byte {
				calls = append(calls, i)
				if i == tc.matchSlot {
					return hashes[i]
				}
				return []byte{byte(i), 0x00}
			})
			if !slices.Equal(calls, tc.wantHashed) {
				t.Fatalf("hashed slots %v, want %v", calls, tc.wantHashed)
			}
			if found != tc.wantFound || (found && index != tc.matchSlot) {
				t.Fatalf("matchIndex = %d, %v; want slot %d found %v", index, found, tc.matchSlot, tc.wantFound)
			}
		})
	}
}

func TestDefaultKDF(t *testing.T) {
	p := defaultKDF()
	if err := p.validate(); err != nil {
		t.Fatalf("default parameters do not validate: %v", err)
	}
	if p.Alg != "argon2id" || p.Time != 1 || p.MemoryKiB != 4096 || p.Threads != 1 || p.KeyLen != 32 {
		t.Fatalf("defaultKDF() = %+v", p)
	}
}

func TestKDFValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *kdfParams)
		want string // in the error; empty: valid
	}{
		{"default", func(*kdfParams) {}, ""},
		{"cheapest", func(p *kdfParams) { p.MemoryKiB = minKDFMemoryKiB }, ""},
		{"dearest", func(p *kdfParams) {
			p.Time, p.MemoryKiB, p.Threads, p.KeyLen = maxKDFTime, maxKDFMemoryKiB, maxKDFThreads, maxKDFKeyLen
		}, ""},
		{"argon2i", func(p *kdfParams) { p.Alg = "argon2i" }, "unknown hash"},
		{"no algorithm", func(p *kdfParams) { p.Alg = "" }, "unknown hash"},
		{"time 0", func(p *kdfParams) { p.Time = 0 }, "time"},
		{"time too long", func(p *kdfParams) { p.Time = maxKDFTime + 1 }, "time"},
		{"memory too small", func(p *kdfParams) { p.MemoryKiB = minKDFMemoryKiB - 1 }, "memory"},
		{"memory too large", func(p *kdfParams) { p.MemoryKiB = maxKDFMemoryKiB + 1 }, "memory"},
		{"threads 0", func(p *kdfParams) { p.Threads = 0 }, "threads"},
		{"threads too many", func(p *kdfParams) { p.Threads = maxKDFThreads + 1 }, "threads"},
		{"key too short", func(p *kdfParams) { p.KeyLen = minKDFKeyLen - 1 }, "length"},
		{"key too long", func(p *kdfParams) { p.KeyLen = maxKDFKeyLen + 1 }, "length"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := defaultKDF()
			tc.edit(&p)
			err := p.validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("validate = %v, want an error about %s", err, tc.want)
			}
		})
	}
}

// Hashing takes a turn of the process's gate. With every turn taken, a call
// that must hash and whose context ends gives up without hashing and fails,
// while a wrong code, which hashes nothing, is answered at once. Turns given
// back let the calls through again.
func TestHashingTakesTurns(t *testing.T) {
	f := configure(t, `{"count":5}`)
	codes, state := enroll(t, f, noCode)
	confirming, err := f.Configure(context.Background(), json.RawMessage(`{"count":5,"confirm_with_code":true}`))
	if err != nil {
		t.Fatal(err)
	}
	pending := begin(t, confirming.(*Factor))
	now := testNow.Add(time.Hour)
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"verify a code of the set", func(ctx context.Context) error {
			_, err := f.Verify(ctx, sdk.VerifyRequest{CredentialState: state, Proof: sdk.Proof{Code: codes[0]}, Now: now})
			return err
		}},
		{"begin an enrollment", func(ctx context.Context) error {
			_, err := f.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u-1"}, Now: now})
			return err
		}},
		{"confirm an enrollment with a code", func(ctx context.Context) error {
			_, err := confirming.(*Factor).FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{
				PendingState: pending.PendingState, Proof: sdk.Proof{Code: pending.Display.Codes[0]}, Now: testNow.Add(time.Minute)})
			return err
		}},
	}

	for range cap(f.hashing.turns) {
		f.hashing.turns <- struct{}{}
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range calls {
		if err := tc.call(ended); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with every turn taken: %v, want the context's error", tc.name, err)
		}
	}
	resp, err := f.Verify(ended, sdk.VerifyRequest{CredentialState: state, Proof: sdk.Proof{Code: changeLast(codes[0])}, Now: now})
	if err != nil || resp.Result != sdk.ResultInvalid {
		t.Errorf("a wrong code with every turn taken: %v, %v; want invalid at once", resp.Result, err)
	}

	for range cap(f.hashing.turns) {
		<-f.hashing.turns
	}
	for _, tc := range calls {
		if err := tc.call(context.Background()); err != nil {
			t.Errorf("%s with turns free: %v", tc.name, err)
		}
	}
}
