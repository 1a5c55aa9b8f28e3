package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// webhookTimeout bounds a PostJSON call made with the default client.
const webhookTimeout = 10 * time.Second

// PostJSON posts v as JSON to target with header added, for factors that hand
// a message to a gateway (an email or chat webhook). A nil client is one with
// a 10-second timeout that follows no redirect: a redirected POST would carry
// a code to a host nobody configured. A network failure and an answer of 429
// or 5xx wrap ErrTemporary, so the host answers 503 and the user may retry;
// any other answer outside 2xx is a plain error. Errors name neither the URL
// (it may hold a secret) nor the body (it holds a code).
func PostJSON(ctx context.Context, client *http.Client, target string, header http.Header, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("webhook body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("webhook: the URL is not valid")
	}
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	if client == nil {
		client = &http.Client{Timeout: webhookTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return fmt.Errorf("%w: webhook: %w", ErrTemporary, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("%w: webhook answered %s", ErrTemporary, resp.Status)
	}
	return fmt.Errorf("webhook answered %s", resp.Status)
}
