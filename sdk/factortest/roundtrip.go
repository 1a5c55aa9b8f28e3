package factortest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// exchange is one call as one side saw it: what went to the factor and what
// came back. The caller's side and the factor's side of the same call must
// agree.
type exchange struct {
	method string
	user   sdk.User
	params map[string]string
	proof  sdk.Proof
	now    time.Time
	in     []stateField

	failed     bool
	result     sdk.Result
	reason     string
	retryAfter time.Duration
	out        []stateField
	display    sdk.Display
}

// stateField is one state of a call. An optional state is absent when nil,
// and its absence must survive the wire; for the others nil and empty are
// the same.
type stateField struct {
	name     string
	value    []byte
	optional bool
}

func beginExchange(req sdk.BeginEnrollmentRequest, resp sdk.BeginEnrollmentResponse, err error) exchange {
	return exchange{
		method: "BeginEnrollment", user: req.User, params: req.Params, now: req.Now,
		failed:  err != nil,
		out:     []stateField{{name: "pending_state", value: resp.PendingState}},
		display: resp.Display,
	}
}

func finishExchange(req sdk.FinishEnrollmentRequest, resp sdk.FinishEnrollmentResponse, err error) exchange {
	return exchange{
		method: "FinishEnrollment", user: req.User, proof: req.Proof, now: req.Now,
		in:     []stateField{{name: "pending_state", value: req.PendingState}},
		failed: err != nil, result: resp.Result, reason: resp.Reason, retryAfter: resp.RetryAfter,
		out: []stateField{
			{name: "credential_state", value: resp.CredentialState},
			{name: "pending_state", value: resp.PendingState, optional: true},
		},
		display: resp.Display,
	}
}

func challengeExchange(req sdk.ChallengeRequest, resp sdk.ChallengeResponse, err error) exchange {
	return exchange{
		method: "Challenge", user: req.User, params: req.Params, now: req.Now,
		in:     []stateField{{name: "credential_state", value: req.CredentialState}},
		failed: err != nil, result: resp.Result, reason: resp.Reason, retryAfter: resp.RetryAfter,
		out: []stateField{
			{name: "challenge_state", value: resp.ChallengeState},
			{name: "credential_state", value: resp.CredentialState, optional: true},
		},
		display: resp.Display,
	}
}

func verifyExchange(req sdk.VerifyRequest, resp sdk.VerifyResponse, err error) exchange {
	return exchange{
		method: "Verify", user: req.User, proof: req.Proof, now: req.Now,
		in: []stateField{
			{name: "credential_state", value: req.CredentialState},
			{name: "challenge_state", value: req.ChallengeState},
		},
		failed: err != nil, result: resp.Result, reason: resp.Reason, retryAfter: resp.RetryAfter,
		out: []stateField{
			{name: "credential_state", value: resp.CredentialState, optional: true},
			{name: "challenge_state", value: resp.ChallengeState, optional: true},
		},
		display: resp.Display,
	}
}

// log is a list of exchanges that may be switched on and off.
type log struct {
	mu        sync.Mutex
	on        bool
	exchanges []exchange
}

func (l *log) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on, l.exchanges = true, nil
}

func (l *log) stop() []exchange {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.exchanges
	l.on, l.exchanges = false, nil
	return out
}

func (l *log) add(e exchange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on {
		l.exchanges = append(l.exchanges, e)
	}
}

// recorder records the calls on the far side of the wire.
type recorder interface {
	start()
	stop() []exchange
}

// recordingClient records the calls as the caller makes them.
type recordingClient struct {
	sdk.Client
	mu  sync.Mutex
	all []exchange
}

func (c *recordingClient) add(e exchange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, e)
}

func (c *recordingClient) log() []exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all)
}

func (c *recordingClient) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	resp, err := c.Client.BeginEnrollment(ctx, req)
	c.add(beginExchange(req, resp, err))
	return resp, err
}

func (c *recordingClient) FinishEnrollment(ctx context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	resp, err := c.Client.FinishEnrollment(ctx, req)
	c.add(finishExchange(req, resp, err))
	return resp, err
}

func (c *recordingClient) Challenge(ctx context.Context, req sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	resp, err := c.Client.Challenge(ctx, req)
	c.add(challengeExchange(req, resp, err))
	return resp, err
}

func (c *recordingClient) Verify(ctx context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	resp, err := c.Client.Verify(ctx, req)
	c.add(verifyExchange(req, resp, err))
	return resp, err
}

// factorRecorder records the calls as the factor sees them, inside the
// plugin server: the exact values the factor received and returned.
type factorRecorder struct{ log }

type recFactor struct {
	f sdk.Factor
	r *factorRecorder
}

func (f *recFactor) Describe() sdk.Description { return f.f.Describe() }

func (f *recFactor) Verify(ctx context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	resp, err := f.f.Verify(ctx, req)
	f.r.add(verifyExchange(req, resp, err))
	return resp, err
}

type recEnroller struct {
	e sdk.Enroller
	r *factorRecorder
}

func (e recEnroller) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	resp, err := e.e.BeginEnrollment(ctx, req)
	e.r.add(beginExchange(req, resp, err))
	return resp, err
}

func (e recEnroller) FinishEnrollment(ctx context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	resp, err := e.e.FinishEnrollment(ctx, req)
	e.r.add(finishExchange(req, resp, err))
	return resp, err
}

type recChallenger struct {
	c sdk.Challenger
	r *factorRecorder
}

func (c recChallenger) Challenge(ctx context.Context, req sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	resp, err := c.c.Challenge(ctx, req)
	c.r.add(challengeExchange(req, resp, err))
	return resp, err
}

type recConfigurer struct {
	c sdk.Configurer
	r *factorRecorder
}

func (c recConfigurer) Configure(ctx context.Context, settings json.RawMessage) (sdk.Factor, error) {
	f, err := c.c.Configure(ctx, settings)
	if err != nil {
		return nil, err
	}
	return c.r.wrap(f), nil
}

// wireRecorder records the calls as they cross the wire on the host's side of
// a plugin process: the messages sent and received.
type wireRecorder struct {
	factorv1.FactorServiceClient
	log
}

func (w *wireRecorder) BeginEnrollment(ctx context.Context, in *factorv1.BeginEnrollmentRequest, opts ...grpc.CallOption) (*factorv1.BeginEnrollmentResponse, error) {
	out, err := w.FactorServiceClient.BeginEnrollment(ctx, in, opts...)
	w.add(exchange{
		method: "BeginEnrollment", user: userFromWire(in.GetUser()), params: in.GetParams(), now: timeFromWire(in.GetNow()),
		failed:  err != nil,
		out:     []stateField{{name: "pending_state", value: out.GetPendingState()}},
		display: displayFromWire(out.GetDisplay()),
	})
	return out, err
}

func (w *wireRecorder) FinishEnrollment(ctx context.Context, in *factorv1.FinishEnrollmentRequest, opts ...grpc.CallOption) (*factorv1.FinishEnrollmentResponse, error) {
	out, err := w.FactorServiceClient.FinishEnrollment(ctx, in, opts...)
	w.add(exchange{
		method: "FinishEnrollment", user: userFromWire(in.GetUser()), proof: proofFromWire(in.GetProof()), now: timeFromWire(in.GetNow()),
		in:     []stateField{{name: "pending_state", value: in.GetPendingState()}},
		failed: err != nil, result: sdk.Result(out.GetResult()), reason: out.GetReason(), retryAfter: durationFromWire(out.GetRetryAfter()),
		out: []stateField{
			{name: "credential_state", value: out.GetCredentialState()},
			{name: "pending_state", value: out.GetPendingState(), optional: true},
		},
		display: displayFromWire(out.GetDisplay()),
	})
	return out, err
}

func (w *wireRecorder) Challenge(ctx context.Context, in *factorv1.ChallengeRequest, opts ...grpc.CallOption) (*factorv1.ChallengeResponse, error) {
	out, err := w.FactorServiceClient.Challenge(ctx, in, opts...)
	w.add(exchange{
		method: "Challenge", user: userFromWire(in.GetUser()), params: in.GetParams(), now: timeFromWire(in.GetNow()),
		in:     []stateField{{name: "credential_state", value: in.GetCredentialState()}},
		failed: err != nil, result: sdk.Result(out.GetResult()), reason: out.GetReason(), retryAfter: durationFromWire(out.GetRetryAfter()),
		out: []stateField{
			{name: "challenge_state", value: out.GetChallengeState()},
			{name: "credential_state", value: out.GetCredentialState(), optional: true},
		},
		display: displayFromWire(out.GetDisplay()),
	})
	return out, err
}

func (w *wireRecorder) Verify(ctx context.Context, in *factorv1.VerifyRequest, opts ...grpc.CallOption) (*factorv1.VerifyResponse, error) {
	out, err := w.FactorServiceClient.Verify(ctx, in, opts...)
	w.add(exchange{
		method: "Verify", user: userFromWire(in.GetUser()), proof: proofFromWire(in.GetProof()), now: timeFromWire(in.GetNow()),
		in: []stateField{
			{name: "credential_state", value: in.GetCredentialState()},
			{name: "challenge_state", value: in.GetChallengeState()},
		},
		failed: err != nil, result: sdk.Result(out.GetResult()), reason: out.GetReason(), retryAfter: durationFromWire(out.GetRetryAfter()),
		out: []stateField{
			{name: "credential_state", value: out.GetCredentialState(), optional: true},
			{name: "challenge_state", value: out.GetChallengeState(), optional: true},
		},
		display: displayFromWire(out.GetDisplay()),
	})
	return out, err
}

func durationFromWire(d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.AsDuration()
}

func timeFromWire(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func userFromWire(u *factorv1.User) sdk.User {
	return sdk.User{ID: u.GetId(), Name: u.GetName(), Phone: u.GetPhone(), Email: u.GetEmail()}
}

func proofFromWire(p *factorv1.Proof) sdk.Proof {
	return sdk.Proof{Code: p.GetCode(), Payload: p.GetPayload()}
}

func displayFromWire(d *factorv1.Display) sdk.Display {
	out := sdk.Display{
		Secret:            d.GetSecret(),
		URI:               d.GetUri(),
		QRPNG:             d.GetQrPng(),
		MaskedDestination: d.GetMaskedDestination(),
		Codes:             d.GetCodes(),
		Remaining:         int(d.GetRemaining()),
		OptionsJSON:       d.GetOptionsJson(),
		Message:           d.GetMessage(),
		Extra:             d.GetExtra(),
	}
	out.ExpiresAt = timeFromWire(d.GetExpiresAt())
	return out
}

// compareExchanges reports every difference between the calls as the caller
// made them and as the far side (the factor, or the wire) saw them.
func compareExchanges(tb testing.TB, caller, far []exchange, side string) {
	tb.Helper()
	if len(caller) != len(far) {
		tb.Errorf("the caller made %d calls but the %s saw %d", len(caller), side, len(far))
	}
	for i := range min(len(caller), len(far)) {
		for _, d := range diffExchange(caller[i], far[i], side) {
			tb.Errorf("call %d (%s): %s", i+1, caller[i].method, d)
		}
	}
}

// diffExchange lists the differences between the caller's view c and the far
// side's view f of one call.
func diffExchange(c, f exchange, side string) []string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	if c.method != f.method {
		add("the %s saw %s", side, f.method)
		return diffs
	}
	if c.user != f.user {
		add("user: sent %+v, the %s received %+v", c.user, side, f.user)
	}
	if !maps.Equal(c.params, f.params) {
		add("params: sent %v, the %s received %v", c.params, side, f.params)
	}
	if c.proof.Code != f.proof.Code || !bytes.Equal(c.proof.Payload, f.proof.Payload) {
		add("proof: sent %s, the %s received %s", proofString(c.proof), side, proofString(f.proof))
	}
	if !c.now.Equal(f.now) {
		add("now: sent %v, the %s received %v", c.now, side, f.now)
	}
	for i := range min(len(c.in), len(f.in)) {
		sent, got := c.in[i], f.in[i]
		if !bytes.Equal(sent.value, got.value) {
			add("request %s: sent %s, the %s received %s", sent.name, bytesString(sent.value), side, bytesString(got.value))
		} else if sent.value == nil && got.value != nil {
			add("request %s: sent none, the %s received an empty state", sent.name, side)
		}
	}
	if c.failed != f.failed {
		add("the caller got an error: %v, but the %s returned an error: %v", c.failed, side, f.failed)
		return diffs
	}
	if c.failed {
		return diffs
	}
	if c.result != f.result || c.reason != f.reason || c.retryAfter != f.retryAfter {
		add("outcome: the %s returned %s retry after %v, the caller received %s retry after %v",
			side, resultString(f.result, f.reason), f.retryAfter, resultString(c.result, c.reason), c.retryAfter)
	}
	for i := range min(len(c.out), len(f.out)) {
		got, returned := c.out[i], f.out[i]
		switch {
		case !bytes.Equal(got.value, returned.value):
			add("response %s: the %s returned %s, the caller received %s", got.name, side, bytesString(returned.value), bytesString(got.value))
		case got.optional && (got.value == nil) != (returned.value == nil):
			add("response %s: the %s returned %s, the caller received %s (an absent optional state must stay absent, a present one present)",
				got.name, side, presence(returned.value), presence(got.value))
		}
	}
	for _, d := range diffDisplay(f.display, c.display) {
		add("display %s", d)
	}
	return diffs
}

// diffDisplay lists the fields of the display returned that did not arrive
// as they were.
func diffDisplay(returned, got sdk.Display) []string {
	var diffs []string
	field := func(name string, equal bool, r, g any) {
		if !equal {
			diffs = append(diffs, fmt.Sprintf("%s: returned %v, received %v", name, r, g))
		}
	}
	field("Secret", returned.Secret == got.Secret, returned.Secret, got.Secret)
	field("URI", returned.URI == got.URI, returned.URI, got.URI)
	field("QRPNG", bytes.Equal(returned.QRPNG, got.QRPNG), bytesString(returned.QRPNG), bytesString(got.QRPNG))
	field("MaskedDestination", returned.MaskedDestination == got.MaskedDestination, returned.MaskedDestination, got.MaskedDestination)
	field("Codes", slices.Equal(returned.Codes, got.Codes), returned.Codes, got.Codes)
	field("Remaining", returned.Remaining == got.Remaining, returned.Remaining, got.Remaining)
	field("OptionsJSON", bytes.Equal(returned.OptionsJSON, got.OptionsJSON), bytesString(returned.OptionsJSON), bytesString(got.OptionsJSON))
	field("Message", returned.Message == got.Message, returned.Message, got.Message)
	field("ExpiresAt", returned.ExpiresAt.Equal(got.ExpiresAt), returned.ExpiresAt, got.ExpiresAt)
	field("Extra", maps.Equal(returned.Extra, got.Extra), returned.Extra, got.Extra)
	return diffs
}

func presence(b []byte) string {
	if b == nil {
		return "none"
	}
	return fmt.Sprintf("a %d-byte state", len(b))
}

func bytesString(b []byte) string {
	switch {
	case b == nil:
		return "nil"
	case len(b) <= 24:
		return fmt.Sprintf("%d bytes %x", len(b), b)
	}
	return fmt.Sprintf("%d bytes %x...%x", len(b), b[:8], b[len(b)-8:])
}
