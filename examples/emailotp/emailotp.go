// Package emailotp is an example Factorgate factor built only on the SDK and the
// standard library: one-time codes sent by email through a JSON webhook.
package emailotp

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// settings are an instance's operator settings.
type settings struct {
	WebhookURL  string       `json:"webhook_url"`
	Token       string       `json:"webhook_token"`
	Digits      int          `json:"digits"`
	CodeTTL     sdk.Duration `json:"code_ttl"`
	MaxAttempts int          `json:"max_attempts"`
}

func (s *settings) Validate() error {
	if u, err := url.Parse(s.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New(`"webhook_url" must be an http or https URL`)
	} else if s.Token == "" {
		return errors.New(`"webhook_token" is required: the webhook must know the caller`)
	}
	return s.policy().Validate()
}

func (s *settings) policy() sdk.CodePolicy {
	return sdk.CodePolicy{Digits: s.Digits, TTL: time.Duration(s.CodeTTL), MaxAttempts: s.MaxAttempts}
}

// Factor sends one-time codes by email; an instance needs a webhook_url.
type Factor struct {
	*sdk.SentCodeFactor
	settings
}

// New returns the factor with the default settings: 6 digits, 10 minutes, 3 tries.
func New() *Factor {
	return (&Factor{settings: settings{Digits: 6, CodeTTL: sdk.Duration(10 * time.Minute), MaxAttempts: 3}}).ready()
}

// ready makes f a sent-code factor that delivers through f itself.
func (f *Factor) ready() *Factor {
	d := sdk.Description{Name: "email", DisplayName: "Email", Version: "0.1.0", AMR: []string{"otp"},
		EnrollParams: []sdk.EnrollParam{{Name: "email", Label: "Email address", InputType: sdk.InputEmail, Optional: true}}}
	f.SentCodeFactor = sdk.NewSentCodeFactor(d, f.policy(), f)
	return f
}

// Configure returns an instance with the settings applied over the defaults.
func (f *Factor) Configure(_ context.Context, raw json.RawMessage) (sdk.Factor, error) {
	c := &Factor{settings: f.settings}
	if err := sdk.DecodeSettings(raw, &c.settings); err != nil {
		return nil, err
	}
	return c.ready(), nil
}

// Destination is the "email" parameter, or else the user's address.
func (*Factor) Destination(req sdk.BeginEnrollmentRequest) (string, error) {
	addr := cmp.Or(req.Params["email"], req.User.Email)
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
		return "", fmt.Errorf("%w: enter a valid email address", sdk.ErrInvalidParams)
	}
	return addr, nil
}

func (*Factor) Mask(addr string) string {
	return addr[:1] + "***" + addr[strings.LastIndex(addr, "@"):]
}

// Send posts the message to the webhook, with its token as a bearer token.
func (f *Factor) Send(ctx context.Context, to, code, challengeID string) error {
	msg := map[string]string{"to": to, "subject": "Your sign-in code", "text": "Your sign-in code is " + code, "challenge_id": challengeID}
	return sdk.PostJSON(ctx, nil, f.WebhookURL, http.Header{"Authorization": {"Bearer " + f.Token}}, msg)
}
