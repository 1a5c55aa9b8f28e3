package sdk

import "runtime/debug"

// pluginGCPercent is the GOGC of a plugin process whose environment does not
// set GOGC. A plugin's live heap is small (about 1.5 MB for TOTP, 4 MB for
// SMS with its phone-number tables), so under load the Go default of 100
// keeps about as much garbage again beside it. 50 halves that garbage: the
// TOTP plugin under `make bench-e2e` went from 19.0 to 17.3 MiB RSS, for
// more frequent collections of a small heap; CPU per verification stayed
// within the run-to-run noise.
//
// Plugins get no memory limit of their own: a soft limit below what a factor
// needs turns into back-to-back collections (the SMS plugin with a 12 MiB
// limit spent five times the CPU), and the backup-codes factor needs 4 MiB
// per concurrent argon2id run. GOMEMLIMIT in the environment still applies.
const pluginGCPercent = 50

// tuneGC sets the plugin's GC percent unless the operator chose one with
// GOGC. lookup is os.LookupEnv outside tests.
func tuneGC(lookup func(string) (string, bool)) {
	if _, ok := lookup("GOGC"); ok {
		return
	}
	debug.SetGCPercent(pluginGCPercent)
}
