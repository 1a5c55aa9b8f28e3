package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"github.com/factorgate/factorgate/sdk"
)

const (
	defaultTwilioBaseURL = "https://api.twilio.com"
	maxAuthTokenLen      = 256
	// maxTwilioDetail bounds the part of Twilio's error message put in an error.
	maxTwilioDetail = 200
)

var (
	accountSIDRE = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	serviceSIDRE = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	// digitRunRE finds digit runs that may be a phone number in Twilio's
	// error messages ("The 'To' number +61412345678 is not valid").
	digitRunRE = regexp.MustCompile(`\+?[0-9][0-9 ().-]*[0-9]`)
)

// twilioSettings are the settings of the Twilio sender.
type twilioSettings struct {
	http       httpSettings
	accountSID string
	authToken  string
	from       string
	baseURL    string
}

// parseTwilioSettings reads the Twilio sender's keys (without "type").
func parseTwilioSettings(fields map[string]json.RawMessage) (twilioSettings, error) {
	s := twilioSettings{http: defaultHTTPSettings(), baseURL: defaultTwilioBaseURL}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		value := fields[key]
		if ok, err := parseHTTPSetting(&s.http, key, value); ok {
			if err != nil {
				return twilioSettings{}, err
			}
			continue
		}
		var err error
		switch key {
		case "account_sid":
			s.accountSID, err = sdk.SettingString(value)
			if err == nil && !accountSIDRE.MatchString(s.accountSID) {
				err = errors.New(`must be "AC" followed by 32 hex digits`)
			}
		case "auth_token":
			s.authToken, err = sdk.SettingString(value)
			if err == nil {
				err = checkAuthToken(s.authToken)
			}
		case "from":
			s.from, err = sdk.SettingString(value)
			if err == nil {
				err = checkFrom(s.from)
			}
		case "base_url":
			s.baseURL, err = sdk.SettingString(value)
		default:
			return twilioSettings{}, unknownSenderSetting(key)
		}
		if err != nil {
			return twilioSettings{}, settingError("sender."+key, err)
		}
	}
	for _, req := range []struct{ key, value string }{{"account_sid", s.accountSID}, {"auth_token", s.authToken}, {"from", s.from}} {
		if req.value == "" {
			return twilioSettings{}, settingError("sender."+req.key, errors.New("is required"))
		}
	}
	if _, err := parseEndpoint(s.baseURL, s.http.allowInsecureHTTP, true); err != nil {
		return twilioSettings{}, settingError("sender.base_url", err)
	}
	return s, nil
}

// checkAuthToken accepts a token of printable characters without spaces.
// The token is a secret: errors do not repeat it.
func checkAuthToken(t string) error {
	switch {
	case t == "":
		return errors.New("must not be empty")
	case len(t) > maxAuthTokenLen:
		return fmt.Errorf("must be at most %d bytes", maxAuthTokenLen)
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= 0x20 || t[i] > 0x7e {
			return errors.New("must be printable ASCII without spaces")
		}
	}
	return nil
}

// checkFrom accepts a sending number in E.164 form or a Messaging Service SID.
func checkFrom(from string) error {
	if strings.HasPrefix(from, "MG") {
		if !serviceSIDRE.MatchString(from) {
			return errors.New(`a Messaging Service SID must be "MG" followed by 32 hex digits`)
		}
		return nil
	}
	if err := checkE164(from); err != nil {
		return errors.New(`must be a number in E.164 form ("+14155550100") or a Messaging Service SID ("MG...")`)
	}
	num, err := phonenumbers.Parse(from, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return errors.New("is not a valid phone number")
	}
	return nil
}

// twilioSender sends each message through the Twilio Messages API.
type twilioSender struct {
	poster
	url        string
	accountSID string
	authToken  string
	from       string
}

var _ sender = (*twilioSender)(nil)

func newTwilioSender(s twilioSettings, d deps) *twilioSender {
	// The base URL was checked when the settings were read.
	base, _ := parseEndpoint(s.baseURL, s.http.allowInsecureHTTP, true)
	u := base.JoinPath("2010-04-01", "Accounts", s.accountSID, "Messages.json")
	t := &twilioSender{
		poster:     newPoster(senderTwilio, u, s.http, d),
		url:        u.String(),
		accountSID: s.accountSID,
		authToken:  s.authToken,
		from:       s.from,
	}
	t.detail = twilioDetail
	return t
}

func (*twilioSender) kind() string { return senderTwilio }

// send creates a Message resource: To, Body and From, or
// MessagingServiceSid when the sender is a Messaging Service. It returns the
// message's SID.
func (t *twilioSender) send(ctx context.Context, m outgoing) (string, error) {
	form := url.Values{"To": {m.to}, "Body": {m.body}}
	if serviceSIDRE.MatchString(t.from) {
		form.Set("MessagingServiceSid", t.from)
	} else {
		form.Set("From", t.from)
	}
	encoded := form.Encode()
	body, err := t.post(ctx, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(encoded))
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(t.accountSID, t.authToken)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", userAgent)
		return req, nil
	})
	if err != nil {
		return "", err
	}
	var created struct {
		SID string `json:"sid"`
	}
	// Twilio accepted the message; an unreadable answer only costs the SID
	// in the log.
	if json.Unmarshal(body, &created) != nil || !isSID(created.SID) {
		return "", nil
	}
	return created.SID, nil
}

// twilioDetail reads Twilio's error answer ({"code": 21211, "message":
// "..."}) into a short explanation. Digit runs that may be a phone number
// are masked, control characters dropped and the length bounded.
func twilioDetail(_ int, body []byte) string {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Code == 0 && e.Message == "") {
		return ""
	}
	msg := digitRunRE.ReplaceAllStringFunc(e.Message, func(run string) string {
		if countDigits(run) >= 5 {
			return "[number]"
		}
		return run
	})
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, msg)
	if len(msg) > maxTwilioDetail {
		msg = strings.ToValidUTF8(msg[:maxTwilioDetail], "") + "..."
	}
	return fmt.Sprintf("Twilio error %d: %s", e.Code, msg)
}

// isSID reports whether s looks like a Twilio resource SID, safe to log.
func isSID(s string) bool {
	if len(s) != 34 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}
