package sms

import (
	"context"
	"log/slog"
)

// logSender writes each message to the log instead of sending it. It is for
// development only (make run uses it): it is the one place in the factor
// where a code reaches the log. The number is still masked.
type logSender struct {
	logger *slog.Logger
}

var _ sender = logSender{}

func newLogSender(logger *slog.Logger) logSender { return logSender{logger: logger} }

func (logSender) kind() string { return senderLog }

func (s logSender) send(ctx context.Context, m outgoing) (string, error) {
	// Warn, not info: a code in the log must never go unnoticed.
	s.logger.WarnContext(ctx, "sms: development log sender: message not sent, logged instead",
		"to", m.masked, "challenge_id", m.challengeID, "body", m.body)
	return "", nil
}
