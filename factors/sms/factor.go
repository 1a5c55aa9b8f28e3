package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/factorgate/factorgate/sdk"
)

// Compile-time checks of the parts of the contract the factor implements.
var (
	_ sdk.Factor           = (*Factor)(nil)
	_ sdk.Enroller         = (*Factor)(nil)
	_ sdk.Challenger       = (*Factor)(nil)
	_ sdk.Configurer       = (*Factor)(nil)
	_ sdk.DestinationNamer = (*Factor)(nil)
)

// Description values.
const (
	name        = "sms"
	displayName = "Text message"
	version     = "1.0.0"
)

// Bounds and defaults of the settings.
const (
	defaultDigits = 6
	minDigits     = sdk.MinCodeDigits
	maxDigits     = sdk.MaxCodeDigits

	defaultCodeTTL = 5 * time.Minute
	minCodeTTL     = time.Minute
	// maxCodeTTL follows NIST SP 800-63B section 5.1.3.2: an out-of-band
	// secret should be valid for at most 10 minutes.
	maxCodeTTL = sdk.MaxCodeTTL

	defaultMaxAttempts = 3
	minMaxAttempts     = 1
	maxMaxAttempts     = sdk.MaxCodeAttempts

	defaultResendInterval = 30 * time.Second
	minResendInterval     = 10 * time.Second
	maxResendInterval     = time.Hour

	defaultIssuer = "Factorgate"
	maxIssuerLen  = 64

	defaultMessage = "Your {{.Issuer}} code is {{.Code}}"
)

// Factor is the SMS OTP factor. Its zero value is not usable; call New. A
// Factor is immutable and safe for concurrent use.
type Factor struct {
	settings settings
	sender   sender
	deps     deps
}

// deps are what a Factor takes from outside: randomness, the network, the
// clock of back-off waits and the log.
type deps struct {
	rand   io.Reader
	client *http.Client
	sleep  func(context.Context, time.Duration) error
	logger *slog.Logger
}

// Option adjusts a Factor made by New.
type Option func(*deps)

// WithRand sets the source of randomness for codes, challenge ids and hash
// keys. The default (and a nil reader) is crypto/rand; tests pass a
// deterministic reader.
func WithRand(r io.Reader) Option {
	return func(d *deps) { d.rand = r }
}

// WithHTTPClient sets the HTTP client the webhook and Twilio senders use
// (default: a client on a transport of their own, see newGatewayTransport).
// Redirects are never followed, whatever the client's CheckRedirect says: a
// redirected POST would carry the phone number and the code to a host nobody
// configured.
func WithHTTPClient(c *http.Client) Option {
	return func(d *deps) {
		if c != nil {
			d.client = c
		}
	}
}

// WithSleep sets how the senders wait between retries (default: a timer that
// also ends when the context does). Tests pass a function that records the
// wait and returns at once.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(d *deps) {
		if sleep != nil {
			d.sleep = sleep
		}
	}
}

// WithLogger sets the logger of the factor and of the log sender (default:
// sdk.NewLogger at info level, the plugin's log).
func WithLogger(l *slog.Logger) Option {
	return func(d *deps) {
		if l != nil {
			d.logger = l
		}
	}
}

// New returns an SMS factor with the default settings, which use the
// development log sender.
func New(opts ...Option) *Factor {
	d := deps{client: &http.Client{Transport: newGatewayTransport()}, sleep: sleepContext}
	for _, opt := range opts {
		opt(&d)
	}
	if d.logger == nil {
		d.logger = sdk.NewLogger(slog.LevelInfo)
	}
	s, err := parseSettings(nil)
	if err != nil {
		// The defaults are constants; failing to parse them is a bug.
		panic(fmt.Sprintf("sms: default settings: %v", err))
	}
	return &Factor{settings: s, sender: newLogSender(d.logger), deps: d}
}

// maxIdlePerGateway is how many idle connections the senders keep to their
// gateway host. http.DefaultTransport keeps 2: after a burst of texts all
// but two connections were closed, and the next burst opened them (and
// their TLS sessions) afresh.
const maxIdlePerGateway = 32

// newGatewayTransport is http.DefaultTransport's configuration with room to
// keep a connection per text in flight to the gateway.
func newGatewayTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdlePerGateway
	return t
}

// Describe says what the factor is.
func (f *Factor) Describe() sdk.Description {
	return sdk.Description{
		Name:        name,
		DisplayName: displayName,
		Version:     version,
		AMR:         []string{"sms"},
		// An enrollment lives as long as the code that confirms it.
		EnrollmentTTL: f.settings.codeTTL,
		ProofKind:     sdk.ProofSentCode,
		EnrollParams:  []sdk.EnrollParam{{Name: paramPhone, Label: "Mobile number", InputType: sdk.InputTel}},
	}
}

// Configure returns a new Factor with settings applied over the defaults. The
// receiver is not changed. The log sender (the default) is refused unless
// allow_log_sender is true: it writes codes to the log. Unknown keys and invalid values are rejected with
// an error wrapping sdk.ErrInvalidSettings that names the setting; secret
// values are never repeated in the error.
func (f *Factor) Configure(ctx context.Context, raw json.RawMessage) (sdk.Factor, error) {
	s, err := parseSettings(raw)
	if err != nil {
		return nil, err
	}
	if s.sender.kind == senderLog && !s.allowLogSender {
		return nil, fmt.Errorf("%w: sms setting \"sender\": the log sender writes codes to the log and sends no text message; "+
			"configure a webhook or twilio sender, or set \"allow_log_sender\": true (development only)", sdk.ErrInvalidSettings)
	}
	snd, err := newSender(s.sender, f.deps)
	if err != nil {
		return nil, err
	}
	if s.sender.kind == senderLog {
		f.deps.logger.WarnContext(ctx, "sms: the log sender is in use: codes are written to the log and no text message is sent; for development only")
	}
	return &Factor{settings: s, sender: snd, deps: f.deps}, nil
}

// settings are the operator's choices for one factor instance.
type settings struct {
	digits         int
	codeTTL        time.Duration
	maxAttempts    int
	resendInterval time.Duration
	issuer         string
	message        *template.Template
	sender         senderSettings
	// allowedRegions, when set, are the ISO 3166 regions whose numbers may
	// enroll; allowLogSender permits the log sender.
	allowedRegions []string
	allowLogSender bool
}

// parseSettings reads the settings JSON object. Keys match exactly; absent
// keys keep their defaults; null is not a value. The message template is
// checked last, against the final issuer and digits.
func parseSettings(raw json.RawMessage) (settings, error) {
	s := settings{
		digits:         defaultDigits,
		codeTTL:        defaultCodeTTL,
		maxAttempts:    defaultMaxAttempts,
		resendInterval: defaultResendInterval,
		issuer:         defaultIssuer,
		sender:         senderSettings{kind: senderLog},
	}
	messageText := defaultMessage
	fields, err := sdk.SettingsObject(raw)
	if err != nil {
		return settings{}, fmt.Errorf("%w: sms settings %v", sdk.ErrInvalidSettings, err)
	}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		value := fields[key]
		var err error
		switch key {
		case "digits":
			s.digits, err = settingInt(value, minDigits, maxDigits)
		case "code_ttl":
			s.codeTTL, err = settingDuration(value, minCodeTTL, maxCodeTTL)
		case "max_attempts":
			s.maxAttempts, err = settingInt(value, minMaxAttempts, maxMaxAttempts)
		case "resend_interval":
			s.resendInterval, err = settingDuration(value, minResendInterval, maxResendInterval)
		case "issuer":
			s.issuer, err = sdk.SettingString(value)
			if err == nil {
				err = checkIssuer(s.issuer)
			}
		case "message":
			messageText, err = sdk.SettingString(value)
		case "allowed_regions":
			s.allowedRegions, err = parseRegions(value)
		case "allow_log_sender":
			s.allowLogSender, err = sdk.SettingBool(value)
		case "sender":
			s.sender, err = parseSenderSettings(value)
			if err != nil {
				// The sender's parser names its own keys ("sender.url").
				return settings{}, err
			}
		default:
			return settings{}, fmt.Errorf("%w: unknown sms setting %q", sdk.ErrInvalidSettings, key)
		}
		if err != nil {
			return settings{}, settingError(key, err)
		}
	}
	if s.message, err = parseMessage(messageText, s.issuer, s.digits, s.codeTTL); err != nil {
		return settings{}, settingError("message", err)
	}
	return s, nil
}

func settingError(key string, err error) error {
	return fmt.Errorf("%w: sms setting %q: %v", sdk.ErrInvalidSettings, key, err)
}

func settingInt(raw json.RawMessage, lo, hi int) (int, error) {
	v, err := sdk.SettingInt(raw)
	if err != nil {
		return 0, err
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("must be between %d and %d, got %d", lo, hi, v)
	}
	return v, nil
}

// settingDuration reads a Go duration string ("5m", "30s").
func settingDuration(raw json.RawMessage, lo, hi time.Duration) (time.Duration, error) {
	d, err := sdk.SettingDuration(raw)
	if err != nil {
		return 0, err
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("must be between %s and %s, got %s", lo, hi, d)
	}
	return d, nil
}

// checkIssuer accepts a short printable name for the message.
func checkIssuer(issuer string) error {
	switch {
	case strings.TrimSpace(issuer) == "":
		return errors.New("must not be empty")
	case len(issuer) > maxIssuerLen:
		return fmt.Errorf("must be at most %d bytes", maxIssuerLen)
	case !utf8.ValidString(issuer) || strings.ContainsRune(issuer, utf8.RuneError):
		return errors.New("must be valid UTF-8")
	case strings.IndexFunc(issuer, unicode.IsControl) >= 0:
		return errors.New("must not contain control characters")
	}
	return nil
}
