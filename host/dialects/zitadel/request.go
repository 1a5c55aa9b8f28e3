package zitadel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"unicode"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// userRequest is what every request of the dialect has.
type userRequest interface {
	proto.Message
	GetUserId() string
}

func (z *zitadel) authenticate(ctx context.Context, r *http.Request) (auth.Principal, error) {
	secret, err := auth.BearerToken(r)
	if errors.Is(err, auth.ErrNoCredentials) {
		return auth.Principal{}, errNoAuthHeader
	}
	if err != nil {
		return auth.Principal{}, errBadAuthHeader
	}
	p, err := z.d.Tokens.Authenticate(ctx, secret)
	if errors.Is(err, auth.ErrBadToken) {
		return auth.Principal{}, errBadToken
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	return p, nil
}

// validateRequest applies Zitadel's validation rules (user_id and
// code of 1–200 runes) with the messages its validator gives. A user_id must
// also be valid UTF-8 without control characters, which a database key
// cannot hold.
func validateRequest(req userRequest) error {
	name := string(req.ProtoReflect().Descriptor().Name())
	id := req.GetUserId()
	if err := checkLength(name, "UserId", id); err != nil {
		return err
	}
	if !utf8.ValidString(id) || hasControl(id) {
		return invalidArgument(name, "UserId", "value must be valid UTF-8 without control characters")
	}
	if c, ok := req.(interface{ GetCode() string }); ok {
		return checkLength(name, "Code", c.GetCode())
	}
	return nil
}

func checkLength(message, field, value string) error {
	if n := utf8.RuneCountInString(value); n < 1 || n > maxRunes {
		return invalidArgument(message, field, fmt.Sprintf("value length must be between 1 and %d runes, inclusive", maxRunes))
	}
	return nil
}

func invalidArgument(message, field, reason string) error {
	return &statusError{code: connect.CodeInvalidArgument, message: fmt.Sprintf("invalid %s.%s: %s", message, field, reason)}
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// readBody reads the size-limited body into msg as the gateway does: an
// empty body is an empty message, and unknown fields are ignored.
func (z *zitadel) readBody(w http.ResponseWriter, r *http.Request, msg proto.Message) error {
	body, err := httpx.ReadBody(w, r, z.d.MaxBodyBytes)
	if errors.Is(err, httpx.ErrBodyTooLarge) {
		return errBodyTooLarge
	}
	if err != nil {
		return &statusError{code: connect.CodeInvalidArgument, message: "the request body could not be read"}
	}
	if msg == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, msg); err != nil {
		// protojson's own messages are deliberately unstable; this one is not.
		return &statusError{code: connect.CodeInvalidArgument, message: fmt.Sprintf("the request body is not a valid %s in JSON", msg.ProtoReflect().Descriptor().FullName())}
	}
	return nil
}
