package totp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
		EnrollmentTTL: time.Duration(f.settings.EnrollmentTTL),
		ProofKind:     sdk.ProofTypedCode,
	}
}

// Configure returns a new Factor with settings applied over the defaults. The
// receiver is not changed. Unknown keys and out-of-range values are rejected
// with an error wrapping sdk.ErrInvalidSettings that names the setting.
func (f *Factor) Configure(_ context.Context, raw json.RawMessage) (sdk.Factor, error) {
	s := defaultSettings()
	if err := sdk.DecodeSettings(raw, &s); err != nil {
		return nil, fmt.Errorf("totp: %w", err)
	}
	return &Factor{settings: s, rand: f.rand}, nil
}

// settings are the operator's choices for one factor instance, read by
// sdk.DecodeSettings: keys match the json tags exactly, absent keys keep
// their defaults, null is not a value.
type settings struct {
	Issuer        string       `json:"issuer"`
	Algorithm     string       `json:"algorithm"`
	Digits        int          `json:"digits"`
	Period        int          `json:"period"`
	Skew          int          `json:"skew"`
	EnrollmentTTL sdk.Duration `json:"enrollment_ttl"`
	QRSize        int          `json:"qr_size"`
}

func defaultSettings() settings {
	return settings{
		Issuer:        defaultIssuer,
		Algorithm:     "SHA1",
		Digits:        defaultDigits,
		Period:        defaultPeriod,
		Skew:          defaultSkew,
		EnrollmentTTL: sdk.Duration(defaultEnrollmentTTL),
		QRSize:        defaultQRSize,
	}
}

// Validate checks every setting's value, naming the first that is wrong.
func (s *settings) Validate() error {
	ttl := time.Duration(s.EnrollmentTTL)
	switch {
	case checkIssuer(s.Issuer) != nil:
		return fmt.Errorf("totp setting \"issuer\": %w", checkIssuer(s.Issuer))
	case !knownAlgorithm(s.Algorithm):
		return fmt.Errorf("totp setting \"algorithm\": must be \"SHA1\", \"SHA256\" or \"SHA512\", got %q", s.Algorithm)
	case !validDigits(s.Digits):
		return fmt.Errorf("totp setting \"digits\": must be 6 or 8, got %d", s.Digits)
	case !validPeriod(s.Period):
		return fmt.Errorf("totp setting \"period\": must be between %d and %d seconds, got %d", minPeriod, maxPeriod, s.Period)
	case !validSkew(s.Skew):
		return fmt.Errorf("totp setting \"skew\": must be between 0 and %d steps, got %d", maxSkew, s.Skew)
	case ttl < minEnrollmentTTL || ttl > maxEnrollmentTTL:
		return fmt.Errorf("totp setting \"enrollment_ttl\": must be between %s and %s, got %s", minEnrollmentTTL, maxEnrollmentTTL, ttl)
	case s.QRSize < minQRSize || s.QRSize > maxQRSize:
		return fmt.Errorf("totp setting \"qr_size\": must be between %d and %d pixels, got %d", minQRSize, maxQRSize, s.QRSize)
	}
	return nil
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
