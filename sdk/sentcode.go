package sdk

import (
	"context"
	"fmt"
	"io"
	"time"
)

// CodeDelivery is what a factor that sends one-time codes (email, a chat
// app, a voice call) provides; SentCodeFactor does the rest.
type CodeDelivery interface {
	// Destination reads where codes go from an enrollment request (a
	// parameter, or the user's address) and refuses one that cannot receive
	// codes with an error wrapping ErrInvalidParams, whose message the user
	// sees.
	Destination(req BeginEnrollmentRequest) (string, error)
	// Mask returns the destination as the user may see it ("a***@example.com").
	Mask(destination string) string
	// Send delivers code to destination. A failure that may pass (a gateway
	// down) wraps ErrTemporary. challengeID names the code, for receivers
	// that drop duplicates: a retried call may deliver a message twice.
	Send(ctx context.Context, destination, code, challengeID string) error
}

// SentCodeFactor is a whole factor for one-time codes sent to a destination:
// BeginEnrollment sends a code that confirms the destination, each Challenge
// sends a new code that supersedes the earlier ones, and Verify accepts the
// latest code once, before it expires and while it has attempts left
// (OneTimeCode, LatestCode). A factor supplies its description, its code
// policy and a CodeDelivery. States are StateCodec envelopes of the kinds
// "<name>-pending", "<name>-challenge" and "<name>-credential", version 1;
// each state is ready before a code leaves, so nothing fails after a send.
type SentCodeFactor struct {
	desc        Description
	policy      CodePolicy
	delivery    CodeDelivery
	rand        io.Reader
	pending     StateCodec[sentPending]
	challenges  StateCodec[sentChallenge]
	credentials StateCodec[sentCredential]
}

var (
	_ Enroller         = (*SentCodeFactor)(nil)
	_ Challenger       = (*SentCodeFactor)(nil)
	_ DestinationNamer = (*SentCodeFactor)(nil)
)

type sentPending struct {
	Destination string      `json:"destination"`
	Code        OneTimeCode `json:"code"`
}

type sentChallenge struct {
	Code OneTimeCode `json:"code"`
}

type sentCredential struct {
	Destination string     `json:"destination"`
	Latest      LatestCode `json:"latest"`
}

// NewSentCodeFactor returns the factor d describes, sending codes made under
// p through delivery. The description's proof kind is ProofSentCode and its
// enrollment lifetime, unless set, the codes' lifetime. Randomness comes from
// crypto/rand.
func NewSentCodeFactor(d Description, p CodePolicy, delivery CodeDelivery) *SentCodeFactor {
	d.ProofKind = ProofSentCode
	if d.EnrollmentTTL == 0 {
		d.EnrollmentTTL = p.TTL
	}
	return &SentCodeFactor{
		desc: d, policy: p, delivery: delivery,
		pending:     StateCodec[sentPending]{Kind: d.Name + "-pending", Version: 1, Validate: func(s *sentPending) error { return s.Code.Validate() }},
		challenges:  StateCodec[sentChallenge]{Kind: d.Name + "-challenge", Version: 1, Validate: func(s *sentChallenge) error { return s.Code.Validate() }},
		credentials: StateCodec[sentCredential]{Kind: d.Name + "-credential", Version: 1, Validate: func(s *sentCredential) error { return s.Latest.Validate() }},
	}
}

// WithRand returns a copy of f drawing codes from r, for deterministic tests.
func (f *SentCodeFactor) WithRand(r io.Reader) *SentCodeFactor {
	c := *f
	c.rand = r
	return &c
}

// Describe returns the description the factor was made with.
func (f *SentCodeFactor) Describe() Description { return f.desc }

// BeginEnrollment sends a code to the destination the request names.
func (f *SentCodeFactor) BeginEnrollment(ctx context.Context, req BeginEnrollmentRequest) (BeginEnrollmentResponse, error) {
	var resp BeginEnrollmentResponse
	dest, err := f.delivery.Destination(req)
	if err != nil {
		return resp, err
	}
	resp.Display, err = f.send(ctx, dest, req.Now, func(c OneTimeCode) (err error) {
		resp.PendingState, err = f.pending.Encode(sentPending{Destination: dest, Code: c})
		return err
	})
	if err != nil {
		return BeginEnrollmentResponse{}, err
	}
	return resp, nil
}

// FinishEnrollment confirms the destination with the code sent to it.
func (f *SentCodeFactor) FinishEnrollment(_ context.Context, req FinishEnrollmentRequest) (FinishEnrollmentResponse, error) {
	p, err := f.pending.Decode(req.PendingState)
	if err != nil {
		return FinishEnrollmentResponse{}, fmt.Errorf("%s: finish enrollment: %w", f.desc.Name, err)
	}
	out := p.Code.Check(req.Proof.Code, req.Now)
	resp := FinishEnrollmentResponse{Result: out.Result, Reason: out.Reason(p.Code.Digits, "start the enrollment again")}
	if out.Changed {
		resp.PendingState, err = f.pending.Encode(p)
	}
	if err == nil && out.Result == ResultOK {
		latest := LatestCode{ID: p.Code.ID, Used: true}
		resp.CredentialState, err = f.credentials.Encode(sentCredential{Destination: p.Destination, Latest: latest})
		resp.Display = Display{MaskedDestination: f.delivery.Mask(p.Destination)}
	}
	return resp, err
}

// Challenge sends a new code to the enrolled destination.
func (f *SentCodeFactor) Challenge(ctx context.Context, req ChallengeRequest) (ChallengeResponse, error) {
	cred, err := f.credentials.Decode(req.CredentialState)
	if err != nil {
		return ChallengeResponse{}, fmt.Errorf("%s: challenge: %w", f.desc.Name, err)
	}
	resp := ChallengeResponse{Result: ResultOK}
	resp.Display, err = f.send(ctx, cred.Destination, req.Now, func(c OneTimeCode) (err error) {
		cred.Latest.Sent(c)
		if resp.ChallengeState, err = f.challenges.Encode(sentChallenge{Code: c}); err == nil {
			resp.CredentialState, err = f.credentials.Encode(cred)
		}
		return err
	})
	if err != nil {
		return ChallengeResponse{}, err
	}
	return resp, nil
}

// Verify checks a code against the challenge that sent it.
func (f *SentCodeFactor) Verify(_ context.Context, req VerifyRequest) (VerifyResponse, error) {
	cred, err := f.credentials.Decode(req.CredentialState)
	if err != nil {
		return VerifyResponse{}, fmt.Errorf("%s: verify: %w", f.desc.Name, err)
	}
	ch, err := f.challenges.Decode(req.ChallengeState)
	if err != nil {
		return VerifyResponse{}, fmt.Errorf("%s: verify: %w", f.desc.Name, err)
	}
	out := cred.Latest.Check(&ch.Code, req.Proof.Code, req.Now)
	resp := VerifyResponse{Result: out.Result, Reason: out.Reason(ch.Code.Digits, "request a new code")}
	if out.Changed {
		resp.ChallengeState, err = f.challenges.Encode(ch)
	}
	if err == nil && out.Result == ResultOK {
		resp.CredentialState, err = f.credentials.Encode(cred)
	}
	return resp, err
}

// send draws a code, keeps its state with keep, and only then delivers it.
func (f *SentCodeFactor) send(ctx context.Context, dest string, now time.Time, keep func(OneTimeCode) error) (Display, error) {
	c, code, err := NewOneTimeCode(f.rand, f.policy, now)
	if err == nil {
		err = keep(c)
	}
	if err == nil {
		err = f.delivery.Send(ctx, dest, code, c.ID)
	}
	if err != nil {
		return Display{}, fmt.Errorf("%s: send code: %w", f.desc.Name, err)
	}
	masked := f.delivery.Mask(dest)
	return Display{
		MaskedDestination: masked,
		Message:           "We sent a code to " + masked,
		ExpiresAt:         c.Expires,
		Extra:             map[string]string{"challenge_id": c.ID},
	}, nil
}

// NameDestination names where a code would go, sending nothing: the enrolled
// destination, or for an enrollment the one CodeDelivery.Destination reads
// (refusing what it refuses), as DestinationName under the host's key.
func (f *SentCodeFactor) NameDestination(_ context.Context, req DestinationRequest) (DestinationResponse, error) {
	if len(req.CredentialState) > 0 {
		cred, err := f.credentials.Decode(req.CredentialState)
		if err != nil {
			return DestinationResponse{}, fmt.Errorf("%s: destination: %w", f.desc.Name, err)
		}
		return DestinationResponse{Destination: DestinationName(req.Key, cred.Destination)}, nil
	}
	dest, err := f.delivery.Destination(BeginEnrollmentRequest{User: req.User, Params: req.Params, Now: req.Now})
	if err != nil {
		return DestinationResponse{}, err
	}
	return DestinationResponse{Destination: DestinationName(req.Key, dest)}, nil
}
