// Package backupcodes is the Factorgate factor for backup codes: a set of
// single-use recovery codes the user writes down or prints, and types when
// no other factor is at hand (NIST SP 800-63B calls them look-up secrets).
//
// Enrollment draws count random codes and shows them once, in the display of
// BeginEnrollment. No state ever holds a code: the pending and credential
// states hold argon2id hashes of them, salted per set and per code (hash.go
// says why and what it costs), and beside each a two-byte keyed index
// (index.go says why it is safe). By default the codes are active once shown:
// FinishEnrollment with an empty proof returns the credential. With
// confirm_with_code the user must type one of the codes to finish, and that
// code is spent. A code offered at confirmation is always checked and, when
// it matches, spent, whichever the setting.
//
// Verification accepts any unused code of the set, typed with or without the
// dashes and spaces of the display and in either case. It compares the
// input's keyed index with every code's and runs argon2id only for a code
// whose index matches: none for a wrong code (but for a rare collision), one
// for a right one, whichever code of the set it is. A set stored before
// indexes is hashed in every slot without an index, as it always was, and
// gains the index of each code used. The new credential state records when
// the code was used; the host commits it with compare-and-swap, which makes
// each code single-use across hosts. A used code is ResultReplayed. When
// fewer than warn_below codes remain, the display says so.
//
// To replace a set (lost or nearly spent), the host runs a new enrollment
// that replaces the credential: the new state shares no hash or salt with
// the old, so every old code stops working once the host deletes it.
//
// Settings (JSON, all optional):
//
//	key                meaning                                       default
//	count              codes per set, 5-20                           10
//	format             "hex" (16 hex digits, 64 bits) or
//	                   "digits" (16 decimal digits, 53 bits)         "hex"
//	group              characters per dash-separated group in the
//	                   display, 2-8, or 0 for no dashes              4
//	confirm_with_code  true: finishing enrollment needs one code     false
//	enrollment_ttl     Go duration, 1m-24h                           "10m"
//	warn_below         warn when fewer codes remain, 0 (never) to
//	                   count-1                                       3
//
// The format, length and hash parameters in effect at enrollment are recorded
// in the state, so changing them later affects only new sets; the enrollment
// TTL, confirmation rule and warning threshold of the instance that handles
// the call apply. The state formats are described in state.go.
package backupcodes
