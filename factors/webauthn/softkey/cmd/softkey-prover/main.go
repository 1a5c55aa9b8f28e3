// Command softkey-prover plays a browser with a security key for
// `factorgate plugins check`: it reads the conformance kit's JSON on stdin
// (see factortest.CommandProver) and answers the WebAuthn options shown with
// a software authenticator, or, for the step "wrong", alters a valid answer
// into one the factor must refuse. Its keys come from a fixed seed and it
// reports a zero signature counter (as synced passkeys do), so every run
// answers for the credentials earlier runs created.
//
//	factorgate plugins check bin/plugins/factorgate-factor-webauthn --prover "softkey-prover -origin http://localhost:8080"
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/factorgate/factorgate/factors/webauthn/softkey"
)

type input struct {
	Step    string `json:"step"`
	Display struct {
		OptionsJSON []byte `json:"options_json"`
	} `json:"display"`
	Proof *struct {
		Payload []byte `json:"payload"`
	} `json:"proof"`
}

func main() {
	origin := flag.String("origin", "http://localhost:8080", "the origin the browser claims")
	seed := flag.String("seed", "factorgate plugins check", "the authenticator's seed")
	flag.Parse()
	if err := run(*origin, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "softkey-prover:", err)
		os.Exit(1)
	}
}

func run(origin, seed string) error {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		return fmt.Errorf("read the kit's input: %w", err)
	}
	a := &softkey.Authenticator{Seed: []byte(seed), ZeroCounter: true}
	c := softkey.Ceremony{Origin: origin}
	var payload []byte
	var err error
	switch in.Step {
	case "enroll":
		payload, err = a.Create(in.Display.OptionsJSON, c)
	case "verify":
		payload, err = a.Get(in.Display.OptionsJSON, c)
	case "wrong":
		if in.Proof == nil {
			return errors.New("step wrong without a proof")
		}
		payload, err = softkey.WithOtherChallenge(in.Proof.Payload)
	default:
		return fmt.Errorf("unknown step %q", in.Step)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string][]byte{"payload": payload})
}
