package sms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Enrollment parameters.
const (
	paramPhone   = "phone"
	paramCountry = "country"
)

// BeginEnrollment checks the number in the "phone" parameter (with
// "country" for a national number), sends a code to it and returns the
// pending state. A number that is not a valid mobile number or is outside
// the allowed regions, or unknown parameters, is an error wrapping
// sdk.ErrInvalidParams whose message is user-safe; a failed send is an error
// wrapping sdk.ErrTemporary.
func (f *Factor) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	if checkTime(req.Now) != nil {
		return sdk.BeginEnrollmentResponse{}, errors.New("sms: begin enrollment: the request carries no valid time")
	}
	phone, err := f.enrollmentPhone(req.Params)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, err
	}
	c, code, err := f.newCode(req.Now)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("sms: begin enrollment: %w", err)
	}
	// The state is ready before the message leaves, so nothing can fail
	// after a code was sent.
	pending, err := encodePending(newPending(phone, req.Now, c))
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("sms: begin enrollment: %w", err)
	}
	if err := f.sendCode(ctx, phone, c, code, purposeEnroll); err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("sms: begin enrollment: %w", err)
	}
	return sdk.BeginEnrollmentResponse{PendingState: pending, Display: display(phone, c)}, nil
}

// FinishEnrollment confirms the number with the code sent to it. A wrong
// code is ResultInvalid with the pending state returned, its attempt
// counted; the last allowed wrong code and any try after it are
// ResultLockedByFactor, an expired code ResultExpired, and a code already
// used ResultReplayed. On ResultOK the credential state is returned, with
// the pending state marked used.
func (f *Factor) FinishEnrollment(_ context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	st, err := decodePending(req.PendingState)
	if err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("sms: finish enrollment: %w", err)
	}
	out := checkCode(&st.Code, req.Proof.Code, req.Now, renewEnrollment)
	resp := sdk.FinishEnrollmentResponse{Result: out.result, Reason: out.reason}
	if out.changed {
		if resp.PendingState, err = encodePending(st); err != nil {
			return sdk.FinishEnrollmentResponse{}, fmt.Errorf("sms: finish enrollment: %w", err)
		}
	}
	if out.result != sdk.ResultOK {
		return resp, nil
	}
	// The confirming code counts as the number's latest, used. A used code
	// no longer holds back the next send: the first challenge sends at once.
	latest := sdk.LatestCode{ID: st.Code.ID, Used: true}
	if resp.CredentialState, err = encodeCredential(newCredential(st.Phone, time.Time{}, latest)); err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("sms: finish enrollment: %w", err)
	}
	masked := maskPhone(st.Phone)
	resp.Display = sdk.Display{MaskedDestination: masked, Message: "Codes will be sent to " + masked}
	return resp, nil
}
