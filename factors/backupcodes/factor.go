package backupcodes

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
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
}

// Option adjusts a Factor made by New.
type Option func(*Factor)

// WithRand sets the source of randomness for codes and salts. The default
// (and a nil reader) is crypto/rand; tests pass a deterministic reader. A
// factor called concurrently reads it concurrently.
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
	f := &Factor{settings: defaultSettings(), kdf: defaultKDF()}
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
		EnrollmentTTL: f.settings.enrollmentTTL,
		// Codes are active once shown, unless the operator wants one typed back.
		ConfirmsWithoutProof: !f.settings.confirmWithCode,
		ProofKind:            sdk.ProofTypedCode,
	}
}

// Configure returns a new Factor with settings applied over the defaults. The
// receiver is not changed. Unknown keys and out-of-range values are rejected
// with an error wrapping sdk.ErrInvalidSettings that names the setting.
func (f *Factor) Configure(_ context.Context, raw json.RawMessage) (sdk.Factor, error) {
	s, err := parseSettings(raw)
	if err != nil {
		return nil, err
	}
	return &Factor{settings: s, rand: f.rand, kdf: f.kdf}, nil
}

// settings are the operator's choices for one factor instance.
type settings struct {
	count           int
	format          format
	group           int
	confirmWithCode bool
	enrollmentTTL   time.Duration
	warnBelow       int
}

func defaultSettings() settings {
	return settings{
		count:         defaultCount,
		format:        formatHex,
		group:         defaultGroup,
		enrollmentTTL: defaultEnrollmentTTL,
		warnBelow:     defaultWarnBelow,
	}
}

// parseSettings reads the settings JSON object. Keys match exactly; absent
// keys keep their defaults; null is not a value.
func parseSettings(raw json.RawMessage) (settings, error) {
	s := defaultSettings()
	fields, err := sdk.SettingsObject(raw)
	if err != nil {
		return settings{}, fmt.Errorf("%w: backup-codes settings %v", sdk.ErrInvalidSettings, err)
	}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		value := fields[key]
		var err error
		switch key {
		case "count":
			s.count, err = sdk.SettingInt(value)
			if err == nil && (s.count < minCount || s.count > maxCount) {
				err = fmt.Errorf("must be between %d and %d, got %d", minCount, maxCount, s.count)
			}
		case "format":
			var text string
			text, err = sdk.SettingString(value)
			if err == nil {
				s.format, err = parseFormat(text)
			}
		case "group":
			s.group, err = sdk.SettingInt(value)
			if err == nil && s.group != 0 && (s.group < minGroup || s.group > maxGroup) {
				err = fmt.Errorf("must be 0 (no dashes) or between %d and %d, got %d", minGroup, maxGroup, s.group)
			}
		case "confirm_with_code":
			s.confirmWithCode, err = sdk.SettingBool(value)
		case "enrollment_ttl":
			var text string
			text, err = sdk.SettingString(value)
			if err == nil {
				s.enrollmentTTL, err = time.ParseDuration(text)
			}
			if err == nil && (s.enrollmentTTL < minEnrollmentTTL || s.enrollmentTTL > maxEnrollmentTTL) {
				err = fmt.Errorf("must be between %s and %s, got %s", minEnrollmentTTL, maxEnrollmentTTL, s.enrollmentTTL)
			}
		case "warn_below":
			s.warnBelow, err = sdk.SettingInt(value)
			if err == nil && s.warnBelow < 0 {
				err = fmt.Errorf("must not be negative, got %d", s.warnBelow)
			}
		default:
			return settings{}, fmt.Errorf("%w: unknown backup-codes setting %q", sdk.ErrInvalidSettings, key)
		}
		if err != nil {
			return settings{}, fmt.Errorf("%w: backup-codes setting %q: %v", sdk.ErrInvalidSettings, key, err)
		}
	}
	// Checked after every key is read, as count may come later in the object.
	// A threshold at or above count would warn on a set no one has used.
	if s.warnBelow >= s.count {
		return settings{}, fmt.Errorf("%w: backup-codes setting %q: must be below count (%d), got %d",
			sdk.ErrInvalidSettings, "warn_below", s.count, s.warnBelow)
	}
	return s, nil
}
