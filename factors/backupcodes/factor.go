package backupcodes

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Compile-time checks of the parts of the contract the factor implements.
var (
	_ sdk.Factor     = (*Factor)(nil)
	_ sdk.Enroller   = (*Factor)(nil)
	_ sdk.Configurer = (*Factor)(nil)
)

// Description values.
const (
	name        = "backup-codes"
	displayName = "Backup codes"
	version     = "1.0.0"
)

// amrOTP is what a backup code proves, as an RFC 8176 value. The registry
// has no value for look-up secrets; "otp" is the one whose definition the
// codes meet, as each is a password good for one use (the RFC names HOTP and
// TOTP as examples, not as the only kind). The others do not fit: "kba" is
// knowledge about the person, "swk" and "hwk" are proof of possession of a
// key, and "pwd" would make a backup-code login look like a password-only
// one. Telling backup codes from an authenticator app is for the audit
// record, which names the factor.
const amrOTP = "otp"

// Bounds and defaults of the settings.
const (
	defaultCount = 10
	minCount     = 5
	maxCount     = 20

	defaultGroup = 0
	minGroup     = 2
	maxGroup     = 8

	defaultWarnBelow = 3

	defaultEnrollmentTTL = 10 * time.Minute
	minEnrollmentTTL     = time.Minute
	maxEnrollmentTTL     = 24 * time.Hour
)

// Factor is the backup-codes factor. Its zero value is not usable; call New.
// A Factor is immutable and safe for concurrent use.
type Factor struct {
	settings settings
	rand     io.Reader
	kdf      kdfParams
	// hashing is shared by the instances Configure derives, so the bound
	// holds for the process.
	hashing *hashGate
}

// Option adjusts a Factor made by New.
type Option func(*Factor)

// WithRand sets the source of randomness for codes, salts and index keys
// (Verify draws one for a set stored before indexes). The default (and a nil
// reader) is crypto/rand; tests pass a deterministic reader. A factor called
// concurrently reads it concurrently.
func WithRand(r io.Reader) Option {
	return func(f *Factor) { f.rand = r }
}

// WithHashMemory sets the argon2id memory, in KiB, of sets enrolled from now
// on (default 4 MiB; 1 MiB to 16 MiB). The parameters are stored with each set,
// so a change never breaks codes already issued. Tests that enroll many sets
// under the race detector use the smallest.
func WithHashMemory(kib uint32) Option {
	return func(f *Factor) { f.kdf.MemoryKiB = min(max(kib, minKDFMemoryKiB), maxKDFMemoryKiB) }
}

// New returns a backup-codes factor with the default settings.
func New(opts ...Option) *Factor {
	f := &Factor{settings: defaultSettings(), kdf: defaultKDF(), hashing: newHashGate(runtime.GOMAXPROCS(0))}
	for _, opt := range opts {
		opt(f)
	}
	return f
}

// Describe says what the factor is.
func (f *Factor) Describe() sdk.Description {
	return sdk.Description{
		Name:          name,
		DisplayName:   displayName,
		Version:       version,
		AMR:           []string{amrOTP},
		EnrollmentTTL: time.Duration(f.settings.EnrollmentTTL),
		// Codes are active once shown, unless the operator wants one typed back.
		ConfirmsWithoutProof: !f.settings.ConfirmWithCode,
		ProofKind:            sdk.ProofTypedCode,
	}
}

// Configure returns a new Factor with settings applied over the defaults. The
// receiver is not changed. Unknown keys and out-of-range values are rejected
// with an error wrapping sdk.ErrInvalidSettings that names the setting.
func (f *Factor) Configure(_ context.Context, raw json.RawMessage) (sdk.Factor, error) {
	s := defaultSettings()
	if err := sdk.DecodeSettings(raw, &s); err != nil {
		return nil, fmt.Errorf("backup-codes: %w", err)
	}
	return &Factor{settings: s, rand: f.rand, kdf: f.kdf, hashing: f.hashing}, nil
}

// settings are the operator's choices for one factor instance, read by
// sdk.DecodeSettings: keys match the json tags exactly, absent keys keep
// their defaults, null is not a value.
type settings struct {
	Count           int          `json:"count"`
	Format          format       `json:"format"`
	Group           int          `json:"group"`
	ConfirmWithCode bool         `json:"confirm_with_code"`
	EnrollmentTTL   sdk.Duration `json:"enrollment_ttl"`
	WarnBelow       int          `json:"warn_below"`
}

func defaultSettings() settings {
	return settings{
		Count:         defaultCount,
		Format:        formatHex,
		Group:         defaultGroup,
		EnrollmentTTL: sdk.Duration(defaultEnrollmentTTL),
		WarnBelow:     defaultWarnBelow,
	}
}

// Validate checks every setting's value, naming the first that is wrong.
func (s *settings) Validate() error {
	ttl := time.Duration(s.EnrollmentTTL)
	switch {
	case s.Count < minCount || s.Count > maxCount:
		return fmt.Errorf("backup-codes setting \"count\": must be between %d and %d, got %d", minCount, maxCount, s.Count)
	case !s.Format.valid():
		return fmt.Errorf("backup-codes setting \"format\": must be %q or %q, got %q", formatHex, formatDigits, s.Format)
	case s.Group != 0 && (s.Group < minGroup || s.Group > maxGroup):
		return fmt.Errorf("backup-codes setting \"group\": must be 0 (no dashes) or between %d and %d, got %d", minGroup, maxGroup, s.Group)
	case ttl < minEnrollmentTTL || ttl > maxEnrollmentTTL:
		return fmt.Errorf("backup-codes setting \"enrollment_ttl\": must be between %s and %s, got %s", minEnrollmentTTL, maxEnrollmentTTL, ttl)
	case s.WarnBelow < 0:
		return fmt.Errorf("backup-codes setting \"warn_below\": must not be negative, got %d", s.WarnBelow)
	case s.WarnBelow >= s.Count:
		// A threshold at or above count would warn on a set no one has used.
		return fmt.Errorf("backup-codes setting \"warn_below\": must be below count (%d), got %d", s.Count, s.WarnBelow)
	}
	return nil
}
