// Command factorgate-factor-webauthn is the WebAuthn (security key and
// passkey) factor plugin. The Factorgate host launches it; run by hand it
// says it is a plugin and exits.
package main

import (
	"github.com/factorgate/factorgate/factors/webauthn"
	"github.com/factorgate/factorgate/sdk"
)

func main() { sdk.Serve(webauthn.New()) }
