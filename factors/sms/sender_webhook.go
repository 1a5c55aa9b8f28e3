package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/factorgate/factorgate/sdk"
)

// Bounds of the webhook's settings.
const (
	maxHeaderValueLen = 4096
	maxInstanceLen    = 64
	defaultInstance   = "sms"
)

// reservedHeaders are headers the webhook request sets itself or that would
// break it; header_name may not be one of them.
var reservedHeaders = map[string]bool{
	"Host": true, "Content-Type": true, "Content-Length": true, "Transfer-Encoding": true,
	"Connection": true, "Keep-Alive": true, "Te": true, "Trailer": true, "Upgrade": true,
	"Proxy-Connection": true, "User-Agent": true,
}

// webhookSettings are the settings of the webhook sender.
type webhookSettings struct {
	http        httpSettings
	url         string
	headerName  string
	headerValue string
	instance    string
}

// parseWebhookSettings reads the webhook sender's keys (without "type").
func parseWebhookSettings(fields map[string]json.RawMessage) (webhookSettings, error) {
	s := webhookSettings{http: defaultHTTPSettings(), instance: defaultInstance}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		value := fields[key]
		if ok, err := parseHTTPSetting(&s.http, key, value); ok {
			if err != nil {
				return webhookSettings{}, err
			}
			continue
		}
		var err error
		switch key {
		case "url":
			s.url, err = sdk.SettingString(value)
		case "header_name":
			s.headerName, err = sdk.SettingString(value)
			if err == nil {
				err = checkHeaderName(s.headerName)
			}
		case "header_value":
			s.headerValue, err = sdk.SettingString(value)
			if err == nil {
				err = checkHeaderValue(s.headerValue)
			}
		case "instance":
			s.instance, err = sdk.SettingString(value)
			if err == nil {
				err = checkInstance(s.instance)
			}
		default:
			return webhookSettings{}, unknownSenderSetting(key)
		}
		if err != nil {
			return webhookSettings{}, settingError("sender."+key, err)
		}
	}
	if _, err := parseEndpoint(s.url, s.http.allowInsecureHTTP, false); err != nil {
		return webhookSettings{}, settingError("sender.url", err)
	}
	switch {
	case s.headerName != "" && s.headerValue == "":
		return webhookSettings{}, settingError("sender.header_value", errors.New("is required with header_name"))
	case s.headerName == "" && s.headerValue != "":
		return webhookSettings{}, settingError("sender.header_name", errors.New("is required with header_value"))
	}
	s.headerName = http.CanonicalHeaderKey(s.headerName)
	return s, nil
}

// checkHeaderName accepts an HTTP field name (an RFC 9110 token) that the
// request does not set itself.
func checkHeaderName(name string) error {
	if name == "" {
		return errors.New("must not be empty")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return errors.New("must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")
		}
	}
	if reservedHeaders[http.CanonicalHeaderKey(name)] {
		return fmt.Errorf("must not be %s, which the request sets itself", http.CanonicalHeaderKey(name))
	}
	return nil
}

// checkHeaderValue accepts printable ASCII. The value is a secret: errors do
// not repeat it.
func checkHeaderValue(v string) error {
	switch {
	case v == "":
		return errors.New("must not be empty")
	case len(v) > maxHeaderValueLen:
		return fmt.Errorf("must be at most %d bytes", maxHeaderValueLen)
	case strings.TrimSpace(v) != v:
		return errors.New("must not start or end with spaces")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return errors.New("must be printable ASCII")
		}
	}
	return nil
}

func checkInstance(v string) error {
	if strings.TrimSpace(v) == "" || len(v) > maxInstanceLen {
		return fmt.Errorf("must be 1 to %d bytes", maxInstanceLen)
	}
	return checkHeaderValue(v)
}

// webhookSender POSTs each message as JSON to the operator's endpoint, which
// relays it to an SMS gateway.
type webhookSender struct {
	poster
	url         string
	headerName  string
	headerValue string
	instance    string
}

var _ sender = (*webhookSender)(nil)

// webhookBody is what the webhook receives. challenge_id is the same for
// every retry of one message, so a receiver can drop duplicates.
type webhookBody struct {
	To          string `json:"to"`
	Body        string `json:"body"`
	Instance    string `json:"instance"`
	ChallengeID string `json:"challenge_id"`
}

func newWebhookSender(s webhookSettings, d deps) *webhookSender {
	// The URL was checked when the settings were read.
	u, _ := parseEndpoint(s.url, s.http.allowInsecureHTTP, false)
	return &webhookSender{
		poster:      newPoster(senderWebhook, u, s.http, d),
		url:         s.url,
		headerName:  s.headerName,
		headerValue: s.headerValue,
		instance:    s.instance,
	}
}

func (*webhookSender) kind() string { return senderWebhook }

func (w *webhookSender) send(ctx context.Context, m outgoing) (string, error) {
	body, err := json.Marshal(webhookBody{To: m.to, Body: m.body, Instance: w.instance, ChallengeID: m.challengeID})
	if err != nil {
		return "", fmt.Errorf("webhook: encode body: %w", err)
	}
	_, err = w.post(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", userAgent)
		if w.headerName != "" {
			req.Header.Set(w.headerName, w.headerValue)
		}
		return req, nil
	})
	return "", err
}
