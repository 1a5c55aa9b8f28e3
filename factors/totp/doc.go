// Package totp is the Factorgate factor for authenticator apps: time-based
// one-time passwords as specified by RFC 6238 (HOTP, RFC 4226, over a counter
// of time steps).
//
// Enrollment draws a 160-bit secret and shows it as base32 text, as an
// otpauth:// provisioning URI and as a QR code of that URI. The user confirms
// by typing the current code; the time step that code belongs to is recorded
// in the credential state as the last accepted step.
//
// Verification accepts a code from the current time step or up to skew steps
// either side, but only for a step later than the last accepted one: a code
// is good once, and an older code is refused after a newer one was used. The
// factor reports which step it accepted in the new credential state; the host
// commits that state with compare-and-swap, which makes the code single-use
// across hosts.
//
// Settings (JSON, all optional):
//
//	key             meaning                              default
//	issuer          name shown in the app                "Factorgate"
//	algorithm       "SHA1", "SHA256" or "SHA512"         "SHA1"
//	digits          6 or 8                               6
//	period          seconds per step, 15-300             30
//	skew            steps accepted either side, 0-3      1
//	enrollment_ttl  Go duration, 1m-24h                  "10m"
//	qr_size         QR code width in pixels, 128-1024    256
//
// The algorithm, digits, period and skew in effect at enrollment are recorded
// in the credential state, so changing them later affects only new
// enrollments; the enrollment TTL of the instance that finishes an enrollment
// applies. The state formats are described in state.go.
package totp
