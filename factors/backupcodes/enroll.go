package backupcodes

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// User-safe reasons and messages of enrollment.
const (
	reasonExpired = "the enrollment has expired; start again"
	reasonConfirm = "enter one of the backup codes to confirm that you saved them"
	messageSave   = "Save these backup codes somewhere safe: they are shown only now, and each works once."
	messageTypeIt = " Enter one of them to finish."
)

// BeginEnrollment draws a new set of codes and returns them, grouped for
// reading, in the display: the only time they are ever shown. The pending
// state holds their hashes and keyed indexes, not the codes.
func (f *Factor) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	if !validTime(req.Now) {
		return sdk.BeginEnrollmentResponse{}, errors.New("backupcodes: begin enrollment: the request carries no valid time")
	}
	s := f.settings
	codes, err := generateSet(f.rand, s.Format, codeLength, s.Count)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("backupcodes: begin enrollment: %w", err)
	}
	salt, err := sdk.RandomBytes(f.rand, saltLen)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("backupcodes: begin enrollment: salt: %w", err)
	}
	key, err := sdk.RandomBytes(f.rand, indexKeyLen)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("backupcodes: begin enrollment: index key: %w", err)
	}
	set := codeSet{Format: s.Format, Length: codeLength, KDF: f.kdf, Salt: salt, IndexKey: key}
	var hashes [][]byte
	if err := f.hashing.do(ctx, func() { hashes = set.KDF.hashSet(codes, salt) }); err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("backupcodes: begin enrollment: %w", err)
	}
	pending, err := encodePending(set, hashes, indexSet(key, codes), req.Now)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("backupcodes: begin enrollment: %w", err)
	}
	shown := make([]string, len(codes))
	for i, c := range codes {
		shown[i] = groupCode(c, s.Group)
	}
	message := messageSave
	if s.ConfirmWithCode {
		message += messageTypeIt
	}
	return sdk.BeginEnrollmentResponse{
		PendingState: pending,
		Display: sdk.Display{
			Codes:     shown,
			Remaining: len(codes),
			Message:   message,
			ExpiresAt: req.Now.Add(time.Duration(s.EnrollmentTTL)),
			Extra: map[string]string{
				"format":            string(s.Format),
				"count":             strconv.Itoa(len(codes)),
				"confirm_with_code": strconv.FormatBool(s.ConfirmWithCode),
			},
		},
	}, nil
}

// FinishEnrollment activates the set. A pending state older than the
// enrollment TTL is ResultExpired. Without confirm_with_code an empty proof
// confirms; with it, the proof must be one of the codes. A code given either
// way is checked: a wrong one is ResultInvalid, and a right one is recorded
// as used in the credential state, so the code typed to confirm cannot also
// be used to log in.
func (f *Factor) FinishEnrollment(ctx context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	st, err := decodePending(req.PendingState)
	if err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("backupcodes: finish enrollment: %w", err)
	}
	if !validTime(req.Now) {
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultInvalid, Reason: reasonClock}, nil
	}
	if !req.Now.Before(st.Created.Add(time.Duration(f.settings.EnrollmentTTL))) {
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultExpired, Reason: reasonExpired}, nil
	}
	indexes := st.slotIndexes()
	codes := make([]slot, len(st.Hashes))
	for i, h := range st.Hashes {
		codes[i] = slot{Hash: h, Index: indexes[i]}
	}
	set := st.codeSet
	if strings.TrimSpace(req.Proof.Code) == "" {
		if f.settings.ConfirmWithCode {
			return sdk.FinishEnrollmentResponse{Result: sdk.ResultInvalid, Reason: reasonConfirm}, nil
		}
	} else {
		code, index, found, err := set.find(ctx, f.hashing, req.Proof.Code, st.Hashes, indexes)
		switch {
		case errors.Is(err, errMalformed):
			return sdk.FinishEnrollmentResponse{Result: sdk.ResultInvalid, Reason: set.malformedReason()}, nil
		case err != nil:
			return sdk.FinishEnrollmentResponse{}, fmt.Errorf("backupcodes: finish enrollment: %w", err)
		case !found:
			return sdk.FinishEnrollmentResponse{Result: sdk.ResultInvalid, Reason: reasonInvalid}, nil
		}
		if set, err = f.useSlot(set, codes, index, code, req.Now); err != nil {
			return sdk.FinishEnrollmentResponse{}, fmt.Errorf("backupcodes: finish enrollment: %w", err)
		}
	}
	credential, err := encodeCredential(set, codes)
	if err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("backupcodes: finish enrollment: %w", err)
	}
	left := unused(codes)
	return sdk.FinishEnrollmentResponse{
		Result:          sdk.ResultOK,
		CredentialState: credential,
		Display:         sdk.Display{Remaining: left, Message: f.warning(left)},
	}, nil
}
