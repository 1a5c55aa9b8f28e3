// Command factorgate-factor-backup-codes is the backup-codes factor plugin.
// The Factorgate host launches it; run by hand it says it is a plugin and
// exits.
package main

import (
	"github.com/factorgate/factorgate/factors/backupcodes"
	"github.com/factorgate/factorgate/sdk"
)

func main() { sdk.Serve(backupcodes.New()) }
