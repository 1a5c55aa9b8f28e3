package factortest

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// CommandProver is a Prover in any language: a command that reads what the
// factor showed as JSON on stdin and prints a valid proof on stdout. It runs
// with /bin/sh -c, in the caller's environment, once per proof.
//
// Its input is one JSON object:
//
//	{"step": "enroll" | "verify" | "wrong",
//	 "now": "<RFC 3339 time the proof must be valid at>",
//	 "display": <what BeginEnrollment (enroll) or Challenge (verify) showed>,
//	 "enrollment": {"begin": <display>, "finish": <display>},   (verify only)
//	 "messages": [<each message a local gateway received>, ...]}
//
// where a display is factor.proto's Display in protobuf's JSON form with the
// .proto field names ("secret", "uri", "codes", "extra", "expires_at", ...;
// bytes in base64, empty fields left out), and each message is the body a
// gateway received, as JSON when it was JSON and as a string otherwise.
// "messages" is present only when Messages is set. For a factor whose
// proofs carry no code (a browser ceremony), the kit also asks for a wrong
// proof: step "wrong" with "proof": {"code": "...", "payload": "<base64>"},
// a valid proof the command made, to which it answers with a well-formed
// proof the factor must refuse.
//
// Its output is the proof: the code alone as text (surrounding space is
// dropped), or a JSON object {"code": "...", "payload": "<base64>"}. A command
// that exits non-zero fails the check with what it wrote to stderr.
type CommandProver struct {
	// Command is the shell command line.
	Command string
	// Messages, when set, returns the messages a gateway received so far.
	Messages func() []json.RawMessage
}

var _ Prover = CommandProver{}

// proverInput is the JSON a CommandProver reads.
type proverInput struct {
	Step       string            `json:"step"`
	Now        time.Time         `json:"now"`
	Display    json.RawMessage   `json:"display"`
	Enrollment *proverEnrollment `json:"enrollment,omitempty"`
	Messages   []json.RawMessage `json:"messages,omitempty"`
	Proof      *proverProof      `json:"proof,omitempty"`
}

// proverProof is a proof as a CommandProver reads and writes it.
type proverProof struct {
	Code    string `json:"code,omitempty"`
	Payload []byte `json:"payload,omitempty"`
}

var _ WrongProver = CommandProver{}

// WrongProof asks the command for a wrong proof made from valid.
func (p CommandProver) WrongProof(t testing.TB, valid sdk.Proof) sdk.Proof {
	t.Helper()
	return p.prove(t, proverInput{Step: "wrong", Proof: &proverProof{Code: valid.Code, Payload: valid.Payload}})
}

type proverEnrollment struct {
	Begin  json.RawMessage `json:"begin"`
	Finish json.RawMessage `json:"finish"`
}

// EnrollmentProof asks the command for the proof that confirms resp.
func (p CommandProver) EnrollmentProof(t testing.TB, resp sdk.BeginEnrollmentResponse, now time.Time) sdk.Proof {
	t.Helper()
	return p.prove(t, proverInput{Step: "enroll", Now: now, Display: displayJSON(t, resp.Display)})
}

// VerificationProof asks the command for a valid proof of a verification.
func (p CommandProver) VerificationProof(t testing.TB, enrolled Enrollment, challenge sdk.ChallengeResponse, now time.Time) sdk.Proof {
	t.Helper()
	return p.prove(t, proverInput{
		Step:    "verify",
		Now:     now,
		Display: displayJSON(t, challenge.Display),
		Enrollment: &proverEnrollment{
			Begin:  displayJSON(t, enrolled.Begin.Display),
			Finish: displayJSON(t, enrolled.Finish.Display),
		},
	})
}

func (p CommandProver) prove(t testing.TB, in proverInput) sdk.Proof {
	t.Helper()
	in.Now = in.Now.UTC()
	if p.Messages != nil {
		in.Messages = p.Messages()
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("prover input: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", p.Command)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("prover %q for %s: %v: %s", p.Command, in.Step, err, strings.TrimSpace(stderr.String()))
	}
	return parseProof(t, stdout.Bytes())
}

// parseProof reads a prover's output: a JSON object, or the code as text.
func parseProof(t testing.TB, out []byte) sdk.Proof {
	t.Helper()
	out = bytes.TrimSpace(out)
	if !bytes.HasPrefix(out, []byte("{")) {
		return sdk.Proof{Code: string(out)}
	}
	var proof struct {
		Code    string `json:"code"`
		Payload []byte `json:"payload"`
	}
	if err := json.Unmarshal(out, &proof); err != nil {
		t.Fatalf("prover output %q: not a proof object: %v", out, err)
	}
	return sdk.Proof{Code: proof.Code, Payload: proof.Payload}
}

// displayJSON is d in protobuf's JSON form with the .proto field names.
func displayJSON(t testing.TB, d sdk.Display) json.RawMessage {
	t.Helper()
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(displayToWire(d))
	if err != nil {
		t.Fatalf("display as JSON: %v", err)
	}
	return b
}

func displayToWire(d sdk.Display) *factorv1.Display {
	out := &factorv1.Display{
		Secret:            d.Secret,
		Uri:               d.URI,
		QrPng:             d.QRPNG,
		MaskedDestination: d.MaskedDestination,
		Codes:             d.Codes,
		Remaining:         int32(d.Remaining),
		OptionsJson:       d.OptionsJSON,
		Message:           d.Message,
		Extra:             d.Extra,
	}
	if !d.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamppb.New(d.ExpiresAt)
	}
	return out
}
