// Package seal encrypts factor state at rest.
//
// Everything a factor keeps in the database that would let an attacker with a
// copy of the database pass the factor (TOTP secrets, SMS challenge hashes,
// recovery material, ...) is sealed with AES-256-GCM by a [Sealer] before it is
// written, and opened again when it is read.
//
// # Blob format
//
// A sealed blob is
//
//	version (1 byte, currently 1)
//	key id length (1 byte, 1..32)
//	key id (ASCII, [A-Za-z0-9_-])
//	nonce (12 random bytes)
//	GCM ciphertext followed by the 16-byte tag
//
// The header (version, key id length and key id) is authenticated together
// with the caller's associated data, so a blob whose key id has been rewritten
// does not open. Callers bind a blob to the row it belongs to with [AAD], for
// example seal.AAD("credential", credentialID, userID): a blob copied into
// another user's row, or a challenge blob presented as a credential blob, then
// fails to open with [ErrOpen].
//
// # Keys and rotation
//
// A Sealer holds one active key, which every new seal uses, and any number of
// older keys, which still open what they sealed; keys are configured with
// FACTORGATE_SEAL_KEYS (see [ParseKeys]), active key first. To rotate, put a
// new key in front of the list, let a background job walk the sealed rows and
// [Sealer.Reseal] every blob for which [Sealer.NeedsReseal] reports true, and
// drop the old key once none of its blobs remain ([KeyID] tells which key a
// blob uses).
//
// A Sealer is safe for concurrent use. It keeps no raw key material after
// construction, and [Key] and [Sealer] print as redacted through fmt and
// log/slog.
package seal
