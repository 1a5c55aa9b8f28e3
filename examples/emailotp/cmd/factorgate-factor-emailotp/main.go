// Command factorgate-factor-emailotp is the email one-time code factor as a
// Factorgate plugin.
package main

import (
	"github.com/factorgate/factorgate/examples/emailotp"
	"github.com/factorgate/factorgate/sdk"
)

func main() { sdk.Serve(emailotp.New()) }
