package scanner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/signin"
)

// signInClient is the built-in OAuth client the scanner's sign-in issues
// its JWT access tokens to (registered at first use when absent).
func signInClient() signin.Client {
	return signin.Client{ID: "factorgate-scanner", Name: "Security scanner API sign-in"}
}

// signInFields are the members a sign-in body may hold: the password
// step's, or the second step's.
func signInFields() []string {
	return []string{"username", "password", "otp_attempt", "otp_session_state"}
}

// maxCredential bounds username and password as sent.
const maxCredential = 256

// signInState is the password step's answer when a second factor is
// required.
type signInState struct {
	OTPSessionState string `json:"otp_session_state"`
}

// signInToken is a completed sign-in's answer.
type signInToken struct {
	Token string `json:"token"`
}

// signIn serves POST /auth/sign_in. With {"username","password"} it checks
// the password; a user with an active second factor gets
// {"otp_session_state"} (and, when the factor is SMS, a code), anyone else
// {"token"} at once. With {"otp_attempt","otp_session_state"} it proves the
// second factor and answers {"token"}. The token is a JWT access token of the
// OAuth provider, accepted as Bearer (or Basic) by this API's endpoints and
// by the native API. Like every request to this API it carries x-api-key.
func (s *scanner) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	body, err := s.signInBody(w, r)
	if err == nil {
		err = s.checkAPIKey(r)
	}
	if err == nil {
		if _, ok := body["otp_session_state"]; ok {
			err = s.signInSecondStep(w, r, body)
		} else {
			err = s.signInPassword(w, r, body)
		}
	}
	if err != nil {
		s.fail(w, r, s.signInError(err))
	}
}

// signInBody reads the JSON object of a sign-in: string members among
// signInFields, each once.
func (s *scanner) signInBody(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, errorf(http.StatusMethodNotAllowed, "method not allowed; use POST")
	}
	if r.ContentLength > s.d.MaxBodyBytes {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body too large")
	}
	raw, err := httpx.ReadBody(w, r, s.d.MaxBodyBytes)
	if errors.Is(err, httpx.ErrBodyTooLarge) {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body too large")
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "the request body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errorf(http.StatusUnprocessableEntity, "the request body must be a JSON object")
	}
	out := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		name, _ := tok.(string)
		if err != nil || !slices.Contains(signInFields(), name) {
			return nil, errorf(http.StatusUnprocessableEntity, "the request body may hold only %s", strings.Join(signInFields(), ", "))
		}
		if _, dup := out[name]; dup {
			return nil, errorf(http.StatusUnprocessableEntity, "%s is given more than once", name)
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, errorf(http.StatusUnprocessableEntity, "%s must be a string", name)
		}
		out[name] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errorf(http.StatusUnprocessableEntity, "the request body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errorf(http.StatusUnprocessableEntity, "the request body must be a JSON object")
	}
	return out, nil
}

// checkAPIKey checks the application's x-api-key.
func (s *scanner) checkAPIKey(r *http.Request) error {
	keys := r.Header.Values(apiKeyHeader)
	if len(keys) != 1 || keys[0] == "" {
		return errorf(http.StatusUnauthorized, "send one x-api-key header")
	}
	if err := s.keys.Check(r.Context(), keys[0]); errors.Is(err, auth.ErrBadAPIKey) {
		return errorf(http.StatusUnauthorized, "invalid API key")
	} else if err != nil {
		return fmt.Errorf("check API key: %w", err)
	}
	return nil
}

// signInPassword is the password step.
func (s *scanner) signInPassword(w http.ResponseWriter, r *http.Request, body map[string]string) error {
	username, password := body["username"], body["password"]
	if _, ok := body["otp_attempt"]; ok {
		return errorf(http.StatusUnprocessableEntity, "otp_attempt is sent with otp_session_state")
	}
	if username == "" || password == "" {
		return errorf(http.StatusUnprocessableEntity, "username and password are required")
	}
	if len(username) > maxCredential || len(password) > maxCredential {
		return signin.ErrBadCredentials
	}
	// The user's factor among this API's methods: TOTP first, then SMS. A
	// factor that sends its code sends it now.
	started, err := s.d.SignIn.Begin(r.Context(), signin.Start{
		Client: signInClient(), Meta: s.d.SignInMeta(r, via), Username: username, Password: password,
		Factors: []string{s.factors["totp"], s.factors["sms"]},
	})
	if err != nil {
		return err
	}
	if started.Done != nil {
		s.write(w, r, http.StatusOK, signInToken{Token: started.Done.Tokens.AccessToken})
		return nil
	}
	s.write(w, r, http.StatusOK, signInState{OTPSessionState: started.State})
	return nil
}

// signInSecondStep proves the second factor of a pending sign-in.
func (s *scanner) signInSecondStep(w http.ResponseWriter, r *http.Request, body map[string]string) error {
	if _, ok := body["username"]; ok {
		return errorf(http.StatusUnprocessableEntity, "send either username and password, or otp_attempt and otp_session_state")
	}
	if _, ok := body["password"]; ok {
		return errorf(http.StatusUnprocessableEntity, "send either username and password, or otp_attempt and otp_session_state")
	}
	code, err := otpAttempt(map[string]string{paramCode: body["otp_attempt"]})
	if err != nil {
		return err
	}
	done, err := s.d.SignIn.Complete(r.Context(), signInClient(), s.d.SignInMeta(r, via), body["otp_session_state"], signin.Proof{Code: code})
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, signInToken{Token: done.Tokens.AccessToken})
	return nil
}

// signInError maps the sign-in's own failures; lifecycle failures keep
// their usual answers.
func (s *scanner) signInError(err error) error {
	switch {
	case errors.Is(err, signin.ErrBadCredentials):
		return errorf(http.StatusUnauthorized, "invalid username or password")
	case errors.Is(err, signin.ErrStepInvalid):
		return errorf(http.StatusUnauthorized, "invalid or expired otp_session_state; sign in again")
	case errors.Is(err, signin.ErrNoUsableFactor):
		return errorf(http.StatusUnprocessableEntity, "the account's second factor cannot be used with this API")
	}
	return err
}
