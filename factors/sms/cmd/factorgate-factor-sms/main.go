// Command factorgate-factor-sms is the SMS OTP factor plugin. The Factorgate
// host launches it; run by hand it says it is a plugin and exits.
package main

import (
	"github.com/factorgate/factorgate/factors/sms"
	"github.com/factorgate/factorgate/sdk"
)

func main() { sdk.Serve(sms.New()) }
