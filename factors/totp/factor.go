package totp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	name        = "totp"
	displayName = "Authenticator app"
	version     = "1.0.0"
)

// Bounds and defaults of the settings.
const (
	defaultIssuer = "Factorgate"
	maxIssuerLen  = 100

	defaultDigits = 6

	defaultPeriod = 30
	minPeriod     = 15
	maxPeriod     = 300

	defaultSkew = 1
	maxSkew     = 3

	defaultEnrollmentTTL = 10 * time.Minute
	minEnrollmentTTL     = time.Minute
	maxEnrollmentTTL     = 24 * time.Hour

	defaultQRSize = 256
	minQRSize     = 128
	maxQRSize     = 1024
)

// Factor is the TOTP factor. Its zero value is not usable; call New. A Factor
// is immutable and safe for concurrent use.
type Factor struct {
	settings settings
	rand     io.Reader
}

// Option adjusts a Factor made by New.
type Option func(*Factor)

// WithRand sets the source of randomness for enrollment secrets. The default
// (and a nil reader) is crypto/rand; tests pass a deterministic reader.
func WithRand(r io.Reader) Option {
	return func(f *Factor) { f.rand = r }
}

// New returns a TOTP factor with the default settings.
func New(opts ...Option) *Factor {
	f := &Factor{settings: defaultSettings()}
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
		AMR:           []string{"otp"},
		EnrollmentTTL: f.settings.enrollmentTTL,
		ProofKind:     sdk.ProofTypedCode,
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
	return &Factor{settings: s, rand: f.rand}, nil
}

// settings are the operator's choices for one factor instance.
type settings struct {
	issuer        string
	algorithm     string
	digits        int
	period        int
	skew          int
	enrollmentTTL time.Duration
	qrSize        int
}

func defaultSettings() settings {
	return settings{
		issuer:        defaultIssuer,
		algorithm:     "SHA1",
		digits:        defaultDigits,
		period:        defaultPeriod,
		skew:          defaultSkew,
		enrollmentTTL: defaultEnrollmentTTL,
		qrSize:        defaultQRSize,
	}
}

// parseSettings reads the settings JSON object. Keys match exactly; absent
// keys keep their defaults; null is not a value.
func parseSettings(raw json.RawMessage) (settings, error) {
	s := defaultSettings()
	fields, err := sdk.SettingsObject(raw)
	if err != nil {
		return settings{}, fmt.Errorf("%w: totp settings %v", sdk.ErrInvalidSettings, err)
	}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		value := fields[key]
		var err error
		switch key {
		case "issuer":
			s.issuer, err = sdk.SettingString(value)
			if err == nil {
				err = checkIssuer(s.issuer)
			}
		case "algorithm":
			s.algorithm, err = sdk.SettingString(value)
			if err == nil && !knownAlgorithm(s.algorithm) {
				err = fmt.Errorf("must be \"SHA1\", \"SHA256\" or \"SHA512\", got %q", s.algorithm)
			}
		case "digits":
			s.digits, err = sdk.SettingInt(value)
			if err == nil && !validDigits(s.digits) {
				err = fmt.Errorf("must be 6 or 8, got %d", s.digits)
			}
		case "period":
			s.period, err = sdk.SettingInt(value)
			if err == nil && !validPeriod(s.period) {
				err = fmt.Errorf("must be between %d and %d seconds, got %d", minPeriod, maxPeriod, s.period)
			}
		case "skew":
			s.skew, err = sdk.SettingInt(value)
			if err == nil && !validSkew(s.skew) {
				err = fmt.Errorf("must be between 0 and %d steps, got %d", maxSkew, s.skew)
			}
		case "enrollment_ttl":
			var text string
			text, err = sdk.SettingString(value)
			if err == nil {
				s.enrollmentTTL, err = time.ParseDuration(text)
			}
			if err == nil && (s.enrollmentTTL < minEnrollmentTTL || s.enrollmentTTL > maxEnrollmentTTL) {
				err = fmt.Errorf("must be between %s and %s, got %s", minEnrollmentTTL, maxEnrollmentTTL, s.enrollmentTTL)
			}
		case "qr_size":
			s.qrSize, err = sdk.SettingInt(value)
			if err == nil && (s.qrSize < minQRSize || s.qrSize > maxQRSize) {
				err = fmt.Errorf("must be between %d and %d pixels, got %d", minQRSize, maxQRSize, s.qrSize)
			}
		default:
			return settings{}, fmt.Errorf("%w: unknown totp setting %q", sdk.ErrInvalidSettings, key)
		}
		if err != nil {
			return settings{}, fmt.Errorf("%w: totp setting %q: %v", sdk.ErrInvalidSettings, key, err)
		}
	}
	return s, nil
}

// checkIssuer accepts a name an authenticator app can show: printable UTF-8,
// without the colon that separates issuer and account in the URI label.
func checkIssuer(issuer string) error {
	switch {
	case strings.TrimSpace(issuer) == "":
		return errors.New("must not be empty")
	case len(issuer) > maxIssuerLen:
		return fmt.Errorf("must be at most %d bytes", maxIssuerLen)
	case !utf8.ValidString(issuer) || strings.ContainsRune(issuer, utf8.RuneError):
		return errors.New("must be valid UTF-8")
	case strings.Contains(issuer, ":"):
		return errors.New("must not contain a colon")
	case strings.IndexFunc(issuer, unicode.IsControl) >= 0:
		return errors.New("must not contain control characters")
	}
	return nil
}

func validDigits(d int) bool { return d == 6 || d == 8 }

func validPeriod(p int) bool { return p >= minPeriod && p <= maxPeriod }

func validSkew(s int) bool { return s >= 0 && s <= maxSkew }
