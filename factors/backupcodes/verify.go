package backupcodes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// User-safe reasons for results other than ResultOK.
const (
	reasonMalformed = "enter a backup code: %s"
	reasonInvalid   = "the backup code is not correct"
	reasonReplayed  = "this backup code has already been used"
	reasonAllUsed   = "all backup codes have been used; generate a new set"
	reasonClock     = "the time of the request is not valid"
)

// Verify checks a typed code against an enrolled set. An unused code of the
// set is ResultOK, with the new credential state recording when it was used
// and the display counting the codes left (and warning when few are). A code
// of the set already used is ResultReplayed; anything else, and any code once
// every code is used, is ResultInvalid. State that cannot be read is an error
// wrapping sdk.ErrBadState.
//
// The factor holds no state between calls: two concurrent calls with the
// same code and state both answer ResultOK, and the host's compare-and-swap
// commits one of them.
func (f *Factor) Verify(ctx context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	st, err := decodeCredential(req.CredentialState)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("backupcodes: verify: %w", err)
	}
	if !validTime(req.Now) {
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: reasonClock}, nil
	}
	left := unused(st.Codes)
	if left == 0 {
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: reasonAllUsed}, nil
	}
	code, index, found, err := st.find(ctx, f.hashing, req.Proof.Code, st.hashes(), st.indexes())
	switch {
	case errors.Is(err, errMalformed):
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: st.malformedReason()}, nil
	case err != nil:
		return sdk.VerifyResponse{}, fmt.Errorf("backupcodes: verify: %w", err)
	case !found:
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: reasonInvalid}, nil
	case !st.Codes[index].UsedAt.IsZero():
		return sdk.VerifyResponse{
			Result:  sdk.ResultReplayed,
			Reason:  reasonReplayed,
			Display: sdk.Display{Remaining: left, Message: f.warning(left)},
		}, nil
	}
	set, err := f.useSlot(st.codeSet, st.Codes, index, code, req.Now)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("backupcodes: verify: %w", err)
	}
	next, err := encodeCredential(set, st.Codes)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("backupcodes: verify: %w", err)
	}
	left--
	return sdk.VerifyResponse{
		Result:          sdk.ResultOK,
		CredentialState: next,
		Display:         sdk.Display{Remaining: left, Message: f.warning(left)},
	}, nil
}

// find normalises what the user typed and returns it with the slot whose
// hash it matches, hashing only the slots its index points at and those
// without an index (index.go), in a turn of gate. Input that is not a code
// of the set's format is errMalformed, found before any hashing; the other
// error is ctx's, when it ends while the call waits for its turn.
func (s codeSet) find(ctx context.Context, gate *hashGate, typed string, hashes, indexes [][]byte) (code string, index int, found bool, err error) {
	code, err = normalizeCode(typed, s.Format, s.Length)
	if err != nil {
		return "", 0, false, err
	}
	candidates := s.candidates(code, indexes)
	hashAt := func(code string, i int) []byte { return s.KDF.hash(code, s.Salt, i) }
	match := func() { index, found = matchIndex(code, hashes, candidates, hashAt) }
	if !slices.Contains(candidates, true) {
		// Nothing to hash: a wrong code need not wait for a turn.
		match()
		return code, index, found, nil
	}
	if err := gate.do(ctx, match); err != nil {
		return "", 0, false, err
	}
	return code, index, found, nil
}

// useSlot records in codes that the normalised code of slot index was used
// at now, and returns the set with the index key its state must carry. A
// slot without an index gets the code's, under the set's key, drawn first
// if the set was stored before indexes: such a set is indexed one slot at a
// time, as its codes are typed, since the factor knows no other.
func (f *Factor) useSlot(set codeSet, codes []slot, index int, code string, now time.Time) (codeSet, error) {
	codes[index].UsedAt = now.UTC()
	if len(codes[index].Index) != 0 {
		return set, nil
	}
	if len(set.IndexKey) == 0 {
		key, err := sdk.RandomBytes(f.rand, indexKeyLen)
		if err != nil {
			return codeSet{}, fmt.Errorf("index key: %w", err)
		}
		set.IndexKey = key
	}
	codes[index].Index = newIndexer(set.IndexKey).index(code, index)
	return set, nil
}

// malformedReason tells the user what a code of the set looks like.
func (s codeSet) malformedReason() string {
	return fmt.Sprintf(reasonMalformed, s.Format.describe(s.Length))
}

// warning is the message for a set with left unused codes: empty while at
// least warn_below remain.
func (f *Factor) warning(left int) string {
	switch {
	case left >= f.settings.WarnBelow:
		return ""
	case left == 0:
		return "no backup codes left: generate a new set"
	case left == 1:
		return "1 backup code left: generate a new set"
	}
	return fmt.Sprintf("%d backup codes left: generate a new set", left)
}
