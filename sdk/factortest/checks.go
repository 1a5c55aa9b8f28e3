package factortest

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/factorgate/factorgate/sdk"
)

// check is one check of the kit.
type check struct {
	name string
	run  func(testing.TB, *harness)
	// rpcOnly checks need a wire.
	rpcOnly bool
	// needsProver checks need valid proofs; the others run on any binary.
	needsProver bool
}

// checks are run in this order in every mode.
var checks = []check{
	{name: "describe", run: checkDescribe},
	{name: "unreadable-state", run: checkUnreadableState},
	{name: "enroll", run: checkEnroll, needsProver: true},
	{name: "expired-enrollment", run: checkExpiredEnrollment, needsProver: true},
	{name: "verify", run: checkVerify, needsProver: true},
	{name: "code-attempts", run: checkCodeAttempts, needsProver: true},
	{name: "superseded-challenge", run: checkSupersededChallenge, needsProver: true},
	{name: "expired-code", run: checkExpiredCode, needsProver: true},
	{name: "state-roundtrip", run: checkStateRoundtrip, rpcOnly: true, needsProver: true},
	{name: "garbage-state", run: checkGarbageState, needsProver: true},
	{name: "concurrency", run: checkConcurrency, needsProver: true},
	{name: "destination", run: checkDestination, needsProver: true},
	{name: "credentials", run: checkCredentials, needsProver: true},
}

var (
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	// semverRE is Semantic Versioning 2.0.0, with an optional leading "v".
	semverRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
		`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
		`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
)

// amrValues is the IANA "Authentication Method Reference Values" registry
// (RFC 8176).
var amrValues = map[string]bool{
	"face": true, "fpt": true, "geo": true, "hwk": true, "iris": true, "kba": true,
	"mca": true, "mfa": true, "otp": true, "pin": true, "pop": true, "pwd": true,
	"rba": true, "retina": true, "sc": true, "sms": true, "swk": true, "tel": true,
	"user": true, "vbm": true, "wia": true,
}

var knownCapabilities = []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityChallenge, sdk.CapabilityConfigure, sdk.CapabilityDestination, sdk.CapabilityCredentialKey}

// checkDescribe checks the description and that the capabilities it lists
// are the steps the factor answers.
func checkDescribe(tb testing.TB, h *harness) {
	d := h.describe(tb)
	if !nameRE.MatchString(d.Name) {
		tb.Errorf("Name %q: want lowercase letters, digits and dashes, starting with a letter, at most 63 long (%s)", d.Name, nameRE)
	}
	if strings.TrimSpace(d.DisplayName) == "" {
		tb.Errorf("DisplayName is empty")
	}
	if !semverRE.MatchString(d.Version) {
		tb.Errorf("Version %q is not a semantic version (1.2.3, 1.2.3-rc.1)", d.Version)
	}
	if len(d.AMR) == 0 {
		tb.Errorf("AMR is empty: a factor proves at least one RFC 8176 method")
	}
	seen := map[string]bool{}
	for _, v := range d.AMR {
		if !amrValues[v] {
			tb.Errorf("AMR value %q is not in the RFC 8176 registry (%s)", v, strings.Join(slices.Sorted(maps.Keys(amrValues)), " "))
		}
		if seen[v] {
			tb.Errorf("AMR value %q is listed twice", v)
		}
		seen[v] = true
	}

	caps := map[sdk.Capability]int{}
	for _, c := range d.Capabilities {
		caps[c]++
		if !slices.Contains(knownCapabilities, c) {
			tb.Errorf("unknown capability %q", c)
		}
		if caps[c] == 2 {
			tb.Errorf("capability %q is listed twice", c)
		}
	}
	if h.wantCaps != nil && !sameCapabilities(d.Capabilities, h.wantCaps) {
		tb.Errorf("capabilities %v, but the factor implements %v", d.Capabilities, h.wantCaps)
	}
	checkProofKind(tb, d)
	if h.configured != nil {
		c := *h.configured
		if c.Name != d.Name || c.DisplayName != d.DisplayName || c.Version != d.Version || c.ProofKind != d.ProofKind ||
			!slices.Equal(c.AMR, d.AMR) || !sameCapabilities(c.Capabilities, d.Capabilities) || c.EnrollmentTTL != d.EnrollmentTTL {
			tb.Errorf("Describe answered %+v, but Configure answered %+v for the same instance", d, c)
		}
	}

	if d.Has(sdk.CapabilityEnroll) {
		if d.EnrollmentTTL <= 0 {
			tb.Errorf("EnrollmentTTL is %v: a factor that enrolls must let an enrollment live for a while", d.EnrollmentTTL)
		}
	} else {
		ctx, cancel := h.ctx(tb)
		defer cancel()
		_, err := h.client.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: h.cfg.user, Now: h.at(0)})
		if !errors.Is(err, sdk.ErrUnsupported) {
			tb.Errorf("BeginEnrollment without the enroll capability: err %v, want ErrUnsupported", err)
		}
		_, err = h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: h.cfg.user, Now: h.at(0)})
		if !errors.Is(err, sdk.ErrUnsupported) {
			tb.Errorf("FinishEnrollment without the enroll capability: err %v, want ErrUnsupported", err)
		}
	}
	if !d.Has(sdk.CapabilityChallenge) {
		ctx, cancel := h.ctx(tb)
		defer cancel()
		_, err := h.client.Challenge(ctx, sdk.ChallengeRequest{User: h.cfg.user, Now: h.at(0)})
		if !errors.Is(err, sdk.ErrUnsupported) {
			tb.Errorf("Challenge without the challenge capability: err %v, want ErrUnsupported", err)
		}
	}
}

// checkProofKind checks that the factor declares how it is proven, and has
// the capability that kind of proof needs.
func checkProofKind(tb testing.TB, d sdk.Description) {
	switch d.ProofKind {
	case sdk.ProofTypedCode:
	case sdk.ProofSentCode, sdk.ProofBrowserCeremony:
		if !d.Has(sdk.CapabilityChallenge) {
			tb.Errorf("ProofKind %q without the challenge capability: a code is sent and a ceremony's options are issued by Challenge", d.ProofKind)
		}
	case sdk.ProofUnspecified:
		tb.Errorf("ProofKind is not declared: say whether the user types a code they hold (%q), types a code the factor sent (%q) or runs a browser ceremony (%q), so the host's doors can offer the factor",
			sdk.ProofTypedCode, sdk.ProofSentCode, sdk.ProofBrowserCeremony)
	default:
		tb.Errorf("unknown ProofKind %q", d.ProofKind)
	}
}

func sameCapabilities(a, b []sdk.Capability) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// requireEnroll skips a check that needs an enrollment when the factor has none.
func requireEnroll(tb testing.TB, d sdk.Description) {
	tb.Helper()
	if !d.Has(sdk.CapabilityEnroll) {
		tb.Skipf("factor %q does not enroll: the kit has no credential to verify against", d.Name)
	}
}

// checkEnroll begins an enrollment and confirms it with a wrong, then a valid proof.
func checkEnroll(tb testing.TB, h *harness) {
	requireEnroll(tb, h.describe(tb))
	h.enroll(tb, h.cfg.user)
}

// checkExpiredEnrollment confirms an enrollment with a proof valid at a time
// past its lifetime.
func checkExpiredEnrollment(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	if h.cfg.expiryJump <= d.EnrollmentTTL {
		tb.Fatalf("WithExpiryJump(%v) must exceed the factor's EnrollmentTTL (%v)", h.cfg.expiryJump, d.EnrollmentTTL)
	}
	ctx, cancel := h.ctx(tb)
	defer cancel()
	t0 := h.at(0)
	late := t0.Add(h.cfg.expiryJump)
	begin, ok := h.begin(tb, h.cfg.user, t0)
	if !ok {
		return
	}
	proof := h.prover.EnrollmentProof(tb, begin, late)
	resp, err := h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: h.cfg.user, PendingState: begin.PendingState, Proof: proof, Now: late})
	switch {
	case err != nil:
		tb.Errorf("FinishEnrollment %v after BeginEnrollment: err %v, want ResultExpired (expiry is a result, not an error)", h.cfg.expiryJump, err)
	case resp.Result != sdk.ResultExpired:
		tb.Errorf("FinishEnrollment %v after BeginEnrollment (TTL %v): %s, want expired", h.cfg.expiryJump, d.EnrollmentTTL, resultString(resp.Result, resp.Reason))
	}
	if err == nil && len(resp.CredentialState) != 0 {
		tb.Errorf("FinishEnrollment of an expired enrollment returned a credential state")
	}
}

// checkVerify enrolls, then verifies with a wrong proof, a valid proof and the
// valid proof again.
func checkVerify(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	e, ok := h.enroll(tb, h.cfg.user)
	if !ok {
		tb.FailNow()
	}
	h.verify(tb, h.cfg.user, e, d.Has(sdk.CapabilityChallenge))
}

// checkStateRoundtrip runs enrollment and verification while recording each
// call on both sides of the wire, and compares them.
func checkStateRoundtrip(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	caller := &recordingClient{Client: h.client}
	hh := *h
	hh.client = caller
	h.recorder.start()
	recording := true
	defer func() {
		if recording { // the Prover ended the check early
			h.recorder.stop()
		}
	}()
	if e, ok := hh.enroll(tb, h.cfg.user); ok {
		hh.verify(tb, h.cfg.user, e, d.Has(sdk.CapabilityChallenge))
	}
	got := h.recorder.stop()
	recording = false
	side := "factor"
	if h.mode == "subprocess" {
		// The factor is in another process: what it put on the wire is as
		// close as the kit can see.
		side = "wire"
	}
	calls := caller.log()
	if len(calls) == 0 {
		tb.Fatalf("no calls were recorded")
	}
	compareExchanges(tb, calls, got, side)
	tb.Logf("compared %d calls between the caller and the %s", len(calls), side)
}

// checkConcurrency runs Concurrency users through enrollment, verification
// and replay at once against one instance.
func checkConcurrency(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	challenger := d.Has(sdk.CapabilityChallenge)
	var wg sync.WaitGroup
	for i := range Concurrency {
		wg.Go(func() {
			gtb := &goroutineTB{TB: tb, prefix: fmt.Sprintf("user %d: ", i)}
			user := h.cfg.user
			user.ID = fmt.Sprintf("%s-%d", user.ID, i)
			if e, ok := h.enroll(gtb, user); ok {
				h.verify(gtb, user, e, challenger)
			}
		})
	}
	wg.Wait()
}

// goroutineTB is the test as seen from one goroutine of the concurrency
// check: messages carry the goroutine's user, and Fatal ends only the
// goroutine.
type goroutineTB struct {
	testing.TB
	prefix string
}

func (g *goroutineTB) Error(args ...any) { g.TB.Helper(); g.TB.Error(g.prefix + fmt.Sprint(args...)) }
func (g *goroutineTB) Errorf(format string, args ...any) {
	g.TB.Helper()
	g.TB.Errorf(g.prefix+format, args...)
}
func (g *goroutineTB) Log(args ...any) { g.TB.Helper(); g.TB.Log(g.prefix + fmt.Sprint(args...)) }
func (g *goroutineTB) Logf(format string, args ...any) {
	g.TB.Helper()
	g.TB.Logf(g.prefix+format, args...)
}
func (g *goroutineTB) Fatal(args ...any) { g.TB.Helper(); g.Error(args...); g.FailNow() }
func (g *goroutineTB) Fatalf(format string, args ...any) {
	g.TB.Helper()
	g.Errorf(format, args...)
	g.FailNow()
}
func (g *goroutineTB) FailNow() { g.TB.Fail(); runtime.Goexit() }

func resultString(r sdk.Result, reason string) string {
	if reason == "" {
		return r.String()
	}
	return fmt.Sprintf("%s (%q)", r, reason)
}

func outcome(r sdk.Result, reason string, err error) string {
	if err != nil {
		return "err " + err.Error()
	}
	return resultString(r, reason)
}

func resultList(rs []sdk.Result) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, " or ")
}

func proofString(p sdk.Proof) string {
	if len(p.Payload) == 0 {
		return fmt.Sprintf("code %q", p.Code)
	}
	return fmt.Sprintf("code %q, %d-byte payload", p.Code, len(p.Payload))
}
