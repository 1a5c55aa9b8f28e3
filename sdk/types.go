package sdk

import "time"

// Result is the outcome of checking a proof. A wrong code is a Result, not an error.
type Result int

// The results a factor can report. The values match the wire enum.
const (
	ResultUnspecified Result = iota
	// ResultOK: the proof is valid; any state returned must be committed.
	ResultOK
	// ResultInvalid: the proof is wrong or malformed.
	ResultInvalid
	// ResultExpired: the enrollment, challenge or code is past its lifetime.
	ResultExpired
	// ResultReplayed: the proof was valid once and has been used already.
	ResultReplayed
	// ResultLockedByFactor: the factor refuses further attempts on this state
	// (a code whose attempts are spent); a new challenge is needed.
	ResultLockedByFactor
	// ResultThrottled: too soon after the previous request; see RetryAfter.
	ResultThrottled
)

var resultNames = [...]string{"unspecified", "ok", "invalid", "expired", "replayed", "locked_by_factor", "throttled"}

// String returns the result's lowercase name ("ok", "invalid", ...).
func (r Result) String() string {
	if r < 0 || int(r) >= len(resultNames) {
		return "unknown"
	}
	return resultNames[r]
}

// User is who a call is about.
type User struct {
	ID    string
	Name  string
	Phone string
	Email string
}

// Proof is what the user presents: a typed code, or a structured payload such
// as a WebAuthn assertion in JSON.
type Proof struct {
	Code    string
	Payload []byte
}

// Display is what the host may show the user. Every field is optional and none
// may hold a secret the user should not see.
type Display struct {
	// Secret is a shared secret to type into an app (base32 for TOTP).
	Secret string
	// URI is a provisioning URI such as otpauth://totp/...
	URI string
	// QRPNG is a QR code of URI as a PNG image.
	QRPNG []byte
	// MaskedDestination is where a code was sent, masked ("+61 4** *** 789").
	MaskedDestination string
	// Codes are one-time codes shown once (backup codes).
	Codes []string
	// Remaining is how many one-time codes remain unused, when counted.
	Remaining int
	// OptionsJSON holds options for a client-side ceremony (WebAuthn).
	OptionsJSON []byte
	// Message is a short message for the user.
	Message string
	// ExpiresAt is when the enrollment, challenge or code stops being accepted.
	ExpiresAt time.Time
	// Extra holds factor-specific values a front end may show.
	Extra map[string]string
}

// BeginEnrollmentRequest starts an enrollment.
type BeginEnrollmentRequest struct {
	User User
	// Params are enrollment parameters from the user ("phone" for SMS).
	Params map[string]string
	Now    time.Time
	// Credentials are the user's active credentials, for a factor with
	// Description.MultipleCredentials (to exclude an authenticator that is
	// registered already).
	Credentials []Credential
}

// BeginEnrollmentResponse carries the pending state the host keeps until the
// user confirms, and what to show the user.
type BeginEnrollmentResponse struct {
	PendingState []byte
	Display      Display
}

// FinishEnrollmentRequest confirms an enrollment with the user's proof.
type FinishEnrollmentRequest struct {
	User         User
	PendingState []byte
	Proof        Proof
	Now          time.Time
}

// FinishEnrollmentResponse is the outcome of confirming an enrollment.
type FinishEnrollmentResponse struct {
	Result Result
	// CredentialState is the enrolled credential's state when Result is ResultOK.
	CredentialState []byte
	// PendingState, when non-nil, replaces the pending state (an attempt counted).
	PendingState []byte
	Display      Display
	// Reason is a short, user-safe explanation of a result other than ResultOK.
	Reason     string
	RetryAfter time.Duration
	// CredentialKey is the new credential's public key, required with
	// ResultOK from a factor with Description.MultipleCredentials.
	CredentialKey string
	// AMR, when set, replaces the description's AMR values for this
	// enrollment's proof ("user" only when the user was verified).
	AMR []string
	// UserVerified says the proof carried user verification.
	UserVerified bool
}

// ChallengeRequest starts a verification for a factor that needs one.
type ChallengeRequest struct {
	// User is empty (no ID) for a discoverable challenge: the user is not
	// known yet (passwordless sign-in).
	User            User
	CredentialState []byte
	Params          map[string]string
	Now             time.Time
	// Credentials are the user's active credentials, for a factor with
	// Description.MultipleCredentials; CredentialState is then nil.
	Credentials []Credential
}

// ChallengeResponse carries the challenge state the host keeps until Verify.
type ChallengeResponse struct {
	// Result is ResultOK, or ResultThrottled with RetryAfter.
	Result         Result
	ChallengeState []byte
	// CredentialState, when non-nil, replaces the credential state (the time of
	// the last send, for example).
	CredentialState []byte
	Display         Display
	Reason          string
	RetryAfter      time.Duration
}

// VerifyRequest checks a proof against an enrolled credential.
type VerifyRequest struct {
	User            User
	CredentialState []byte
	// ChallengeState is the state from Challenge; nil for factors without one.
	ChallengeState []byte
	Proof          Proof
	Now            time.Time
	// Credentials are the active credentials the proof may use, for a
	// factor with Description.MultipleCredentials; CredentialState is then
	// nil.
	Credentials []Credential
}

// VerifyResponse is the outcome of a verification.
type VerifyResponse struct {
	Result Result
	// CredentialState, when non-nil, replaces the credential state (the last
	// accepted time step, a used backup code).
	CredentialState []byte
	// ChallengeState, when non-nil, replaces the challenge state (an attempt counted).
	ChallengeState []byte
	Display        Display
	Reason         string
	RetryAfter     time.Duration
	// CredentialKey names the credential the proof used, for a factor with
	// Description.MultipleCredentials; CredentialState then replaces that
	// credential's state.
	CredentialKey string
	// AMR, when set, replaces the description's AMR values for this
	// verification ("user" only when the user was verified).
	AMR []string
	// UserVerified says the proof carried user verification (a PIN or
	// biometric on the authenticator), so it is two factors on its own.
	UserVerified bool
}
