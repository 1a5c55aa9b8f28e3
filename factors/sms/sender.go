package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// sender delivers a text message. Every failure wraps sdk.ErrTemporary,
// except a cancellation by the caller, which wraps the context's error.
type sender interface {
	// send delivers m and returns the gateway's id for it, if it gave one.
	send(ctx context.Context, m outgoing) (string, error)
	// kind names the sender for the log ("webhook").
	kind() string
}

// outgoing is one text message.
type outgoing struct {
	to          string // E.164
	masked      string // to, masked for logs
	body        string
	challengeID string
}

// Sender types.
const (
	senderLog     = "log"
	senderWebhook = "webhook"
	senderTwilio  = "twilio"
)

// Bounds and defaults shared by the HTTP senders.
const (
	defaultSendTimeout = 5 * time.Second
	minSendTimeout     = time.Second
	maxSendTimeout     = time.Minute

	defaultMaxRetries = 2
	maxMaxRetries     = 5

	// firstBackoff is the wait before the first retry; each retry doubles it.
	firstBackoff = 250 * time.Millisecond
	// maxRetryAfter caps a gateway's Retry-After before it is compared with
	// the time budget.
	maxRetryAfter = time.Hour
	// maxResponseLen bounds what is read of a gateway's answer.
	maxResponseLen = 64 << 10
	maxURLLen      = 2048

	userAgent = "factorgate-factor-sms/" + version
)

// senderSettings are the parsed "sender" setting.
type senderSettings struct {
	kind    string
	webhook webhookSettings
	twilio  twilioSettings
}

// httpSettings are the settings the HTTP senders share.
type httpSettings struct {
	allowInsecureHTTP bool
	timeout           time.Duration
	maxRetries        int
}

// parseSenderSettings reads the "sender" object: its "type" and the keys of
// that type. Errors name the key as "sender.<key>".
func parseSenderSettings(raw json.RawMessage) (senderSettings, error) {
	if sdk.IsNullSetting(raw) || len(raw) == 0 {
		return senderSettings{}, settingError("sender", errors.New("must be an object with a \"type\", not null"))
	}
	fields, err := sdk.SettingsObject(raw)
	if err != nil {
		return senderSettings{}, settingError("sender", err)
	}
	typeRaw, ok := fields["type"]
	if !ok {
		return senderSettings{}, settingError("sender.type", fmt.Errorf("is required: %q, %q or %q", senderLog, senderWebhook, senderTwilio))
	}
	kind, err := sdk.SettingString(typeRaw)
	if err != nil {
		return senderSettings{}, settingError("sender.type", err)
	}
	delete(fields, "type")
	s := senderSettings{kind: kind}
	switch kind {
	case senderLog:
		if len(fields) > 0 {
			return senderSettings{}, unknownSenderSetting(slices.Sorted(maps.Keys(fields))[0])
		}
	case senderWebhook:
		s.webhook, err = parseWebhookSettings(fields)
	case senderTwilio:
		s.twilio, err = parseTwilioSettings(fields)
	default:
		return senderSettings{}, settingError("sender.type", fmt.Errorf("must be %q, %q or %q, got %q", senderLog, senderWebhook, senderTwilio, kind))
	}
	if err != nil {
		return senderSettings{}, err
	}
	return s, nil
}

func unknownSenderSetting(key string) error {
	return fmt.Errorf("%w: unknown sms setting %q", sdk.ErrInvalidSettings, "sender."+key)
}

// parseHTTPSetting reads key into h if it is one of the shared HTTP sender
// settings, and reports whether it was.
func parseHTTPSetting(h *httpSettings, key string, value json.RawMessage) (bool, error) {
	var err error
	switch key {
	case "allow_insecure_http":
		h.allowInsecureHTTP, err = sdk.SettingBool(value)
	case "timeout":
		h.timeout, err = settingDuration(value, minSendTimeout, maxSendTimeout)
	case "max_retries":
		h.maxRetries, err = settingInt(value, 0, maxMaxRetries)
	default:
		return false, nil
	}
	if err != nil {
		return true, settingError("sender."+key, err)
	}
	return true, nil
}

func defaultHTTPSettings() httpSettings {
	return httpSettings{timeout: defaultSendTimeout, maxRetries: defaultMaxRetries}
}

// parseEndpoint checks an endpoint URL: absolute, https (or http when
// allowed), without credentials, query or fragment when noQuery is set. The
// URL is not repeated in errors: it may carry a token.
func parseEndpoint(raw string, allowHTTP, noQuery bool) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("is required")
	}
	if len(raw) > maxURLLen {
		return nil, fmt.Errorf("must be at most %d bytes", maxURLLen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("is not a valid URL")
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.Opaque != "":
		return nil, errors.New("must be an absolute http(s) URL")
	case u.Scheme == "http" && !allowHTTP:
		return nil, errors.New("must use https (allow_insecure_http permits http, for tests)")
	case u.User != nil:
		return nil, errors.New("must not carry credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("must not have a fragment")
	case noQuery && (u.RawQuery != "" || u.ForceQuery):
		return nil, errors.New("must not have a query")
	}
	return u, nil
}

// newSender builds the sender the settings describe.
func newSender(s senderSettings, d deps) (sender, error) {
	switch s.kind {
	case senderLog:
		return newLogSender(d.logger), nil
	case senderWebhook:
		return newWebhookSender(s.webhook, d), nil
	case senderTwilio:
		return newTwilioSender(s.twilio, d), nil
	}
	return nil, settingError("sender.type", fmt.Errorf("unknown sender %q", s.kind))
}

// poster POSTs a request for an HTTP sender, retrying transient failures.
type poster struct {
	name       string // "webhook", "twilio": starts every error
	endpoint   string // scheme://host/path, for errors; never the query
	client     *http.Client
	sleep      func(context.Context, time.Duration) error
	timeout    time.Duration
	maxRetries int
	// detail, when set, explains a refusal from the gateway's answer.
	detail func(status int, body []byte) string
}

func newPoster(name string, u *url.URL, h httpSettings, d deps) poster {
	client := *d.client
	// A redirected POST would take the number and the code to a host nobody
	// configured: a redirect is an answer, and a refusal.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	endpoint := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return poster{
		name:       name,
		endpoint:   endpoint.String(),
		client:     &client,
		sleep:      d.sleep,
		timeout:    h.timeout,
		maxRetries: h.maxRetries,
	}
}

// answer is a gateway's HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// post sends the request newReq builds, within the time budget, and returns
// the body of a 2xx answer. Network errors, 429 and 5xx are retried up to
// maxRetries times, after firstBackoff doubling each time or after the
// Retry-After of a 429 or 503 answer; a wait that would end past the budget
// ends the send instead. Any other answer is a refusal, not retried. Every
// failure wraps sdk.ErrTemporary, unless ctx itself ended.
func (p poster) post(ctx context.Context, newReq func(context.Context) (*http.Request, error)) ([]byte, error) {
	budget, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		a, err := p.once(budget, newReq)
		if err == nil && a.status >= 200 && a.status <= 299 {
			return a.body, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", p.name, ctx.Err())
		}
		var failure error
		wait := firstBackoff << (attempt - 1)
		switch {
		case err != nil && budget.Err() != nil:
			return nil, p.fail(attempt, fmt.Sprintf("no answer from %s within %s", p.endpoint, p.timeout))
		case err != nil:
			failure = err
		case a.status == http.StatusTooManyRequests || a.status >= 500:
			failure = errors.New(p.describe(a))
			if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
				if d, ok := retryAfter(a.header); ok {
					wait = d
				}
			}
		default:
			return nil, p.fail(attempt, "refused the message: "+p.describe(a))
		}
		if attempt > p.maxRetries {
			return nil, p.fail(attempt, failure.Error())
		}
		if deadline, ok := budget.Deadline(); ok && time.Until(deadline) <= wait {
			return nil, p.fail(attempt, fmt.Sprintf("%s; a retry after %s would pass the %s time budget", failure, wait, p.timeout))
		}
		if err := p.sleep(budget, wait); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: %w", p.name, ctx.Err())
			}
			return nil, p.fail(attempt, fmt.Sprintf("%s; no time left to retry", failure))
		}
	}
}

// once makes one request and reads a bounded part of its answer. A network
// error is returned without the request URL, which may carry a token.
func (p poster) once(ctx context.Context, newReq func(context.Context) (*http.Request, error)) (answer, error) {
	req, err := newReq(ctx)
	if err != nil {
		return answer{}, fmt.Errorf("build request for %s: %v", p.endpoint, withoutURL(err))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("POST %s: %v", p.endpoint, withoutURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseLen))
	if err != nil {
		return answer{}, fmt.Errorf("POST %s: read answer: %v", p.endpoint, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// withoutURL drops the URL a url.Error repeats.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// describe says what the gateway answered, with the sender's detail.
func (p poster) describe(a answer) string {
	s := fmt.Sprintf("%s answered HTTP %d", p.endpoint, a.status)
	if a.status >= 300 && a.status <= 399 {
		s += " (a redirect, which is not followed)"
	}
	if p.detail != nil {
		if d := p.detail(a.status, a.body); d != "" {
			s += ": " + d
		}
	}
	return s
}

func (p poster) fail(attempts int, what string) error {
	tries := "1 attempt"
	if attempts > 1 {
		tries = fmt.Sprintf("%d attempts", attempts)
	}
	return fmt.Errorf("%s: %s (%s): %w", p.name, what, tries, sdk.ErrTemporary)
}

// retryAfter reads a Retry-After header: delay seconds, or an HTTP date
// taken relative to the answer's own Date header, so that no local clock is
// needed. Without a usable value the caller backs off as usual.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return min(time.Duration(secs)*time.Second, maxRetryAfter), true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return 0, false
	}
	return min(max(at.Sub(date), 0), maxRetryAfter), true
}

// sleepContext waits for d, or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
