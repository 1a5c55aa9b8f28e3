// Command factorgate-factor-totp is the TOTP factor plugin. The Factorgate
// host launches it; run by hand it says it is a plugin and exits.
package main

import (
	"github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/sdk"
)

func main() { sdk.Serve(totp.New()) }
