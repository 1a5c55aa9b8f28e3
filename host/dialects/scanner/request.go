package scanner

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
)

const (
	via          = "scanner"
	apiKeyHeader = "X-Api-Key"
	// maxCode bounds otp_attempt; no factor's code comes close.
	maxCode = 64
	// maxPhone bounds phone_number as sent, separators included.
	maxPhone = 32
)

// Query parameters.
const (
	paramMethod  = "method"
	paramCode    = "otp_attempt"
	paramPhone   = "phone_number"
	paramCountry = "country_code"
)

var (
	callingCode = regexp.MustCompile(`^\+?[1-9][0-9]{0,2}$`)
	isoRegion   = regexp.MustCompile(`^[A-Za-z]{2}$`)
	paramName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,31}$`)
)

// call is one authenticated, parsed request.
type call struct {
	principal auth.Principal
	meta      mfa.Meta
	query     map[string]string
	// method is the method= value, factor the instance it routes to.
	method string
	factor string
}

// discardBody reads and drops the body, which no endpoint uses, so that an
// oversized one is refused with 413 however the client sent it.
func (s *scanner) discardBody(w http.ResponseWriter, r *http.Request) error {
	tooLarge := errorf(http.StatusRequestEntityTooLarge, "request body too large")
	if r.ContentLength > s.d.MaxBodyBytes {
		return tooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	_, err := httpx.ReadBody(w, r, s.d.MaxBodyBytes)
	if errors.Is(err, httpx.ErrBodyTooLarge) {
		return tooLarge
	}
	if err != nil {
		return errorf(http.StatusBadRequest, "the request body could not be read")
	}
	return nil
}

// authenticate checks the application's API key, then resolves the user's
// access token.
func (s *scanner) authenticate(r *http.Request) (auth.Principal, error) {
	keys := r.Header.Values(apiKeyHeader)
	if len(keys) == 0 || keys[0] == "" {
		return auth.Principal{}, errorf(http.StatusUnauthorized, "missing x-api-key header")
	}
	if len(keys) > 1 {
		return auth.Principal{}, errorf(http.StatusUnauthorized, "send one x-api-key header")
	}
	if err := s.keys.Check(r.Context(), keys[0]); errors.Is(err, auth.ErrBadAPIKey) {
		return auth.Principal{}, errorf(http.StatusUnauthorized, "invalid API key")
	} else if err != nil {
		return auth.Principal{}, fmt.Errorf("check API key: %w", err)
	}
	token, err := accessToken(r)
	if err != nil {
		return auth.Principal{}, err
	}
	p, err := s.d.Tokens.Authenticate(r.Context(), token)
	if errors.Is(err, auth.ErrBadToken) || errors.Is(err, auth.ErrNoCredentials) {
		return auth.Principal{}, errorf(http.StatusUnauthorized, "invalid or expired access token")
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("authenticate access token: %w", err)
	}
	return p, nil
}

// accessToken returns the token of `Authorization: Bearer <token>` or
// `Authorization: Basic <token>`; the vendor's clients send the raw token
// with either scheme.
func accessToken(r *http.Request) (string, error) {
	hs := r.Header.Values("Authorization")
	if len(hs) == 0 || hs[0] == "" {
		return "", errorf(http.StatusUnauthorized, "missing Authorization header")
	}
	scheme, token, _ := strings.Cut(hs[0], " ")
	token = strings.TrimSpace(token)
	if len(hs) > 1 || token == "" || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Basic")) {
		return "", errorf(http.StatusUnauthorized, "send Authorization: Bearer <token> or Basic <token>")
	}
	return token, nil
}

// parseQuery parses a query string into the allowed parameters. A '+' is a
// literal plus, not a space: it begins E.164 numbers and calling codes, which
// clients often send unescaped, and no value of this API holds a space that
// matters. A parameter named twice, or not allowed, is refused.
func parseQuery(raw string, allowed []string) (map[string]string, error) {
	out := map[string]string{}
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(piece, "=")
		name, err1 := url.PathUnescape(rawName)
		value, err2 := url.PathUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return nil, errorf(http.StatusUnprocessableEntity, "malformed query string")
		}
		if !slices.Contains(allowed, name) {
			if paramName.MatchString(name) {
				return nil, errorf(http.StatusUnprocessableEntity, "unknown parameter %s", name)
			}
			return nil, errorf(http.StatusUnprocessableEntity, "unknown parameter")
		}
		if _, dup := out[name]; dup {
			return nil, errorf(http.StatusUnprocessableEntity, "%s is given more than once", name)
		}
		out[name] = value
	}
	return out, nil
}

// method returns the routed method the query names and its factor instance.
// A method with no route is as unknown as one the vendor never had.
func (s *scanner) method(query map[string]string) (method, factor string, err error) {
	method = query[paramMethod]
	if method == "" {
		return "", "", errorf(http.StatusUnprocessableEntity, "method is required (one of: %s)", s.methods)
	}
	factor, ok := s.factors[method]
	if !ok {
		return "", "", errorf(http.StatusUnprocessableEntity, "method must be one of: %s", s.methods)
	}
	return method, factor, nil
}

// otpAttempt validates otp_attempt.
func otpAttempt(query map[string]string) (string, error) {
	code := query[paramCode]
	if code == "" {
		return "", errorf(http.StatusUnprocessableEntity, "otp_attempt is required")
	}
	if len(code) > maxCode || !printableASCII(code) {
		return "", errorf(http.StatusUnprocessableEntity, "otp_attempt must be 1 to %d printable ASCII characters", maxCode)
	}
	return code, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// phoneParams turns phone_number and country_code into the SMS factor's
// parameters: "phone" (E.164 when it can be built here) and, for a national
// number with an ISO country, "country".
//
// phone_number holds digits, an optional leading '+' and the separators
// space, '-', '.', '(', ')' and any later '+' (a space as some clients encode
// it). country_code is a calling code ("61" or "+61") or an ISO 3166-1
// alpha-2 code ("AU"). With a calling code, a national number loses one
// leading trunk '0' and gets the code in front; an international number must
// start with that code. With an ISO code the factor reads the number by that
// country's rules. Without country_code the number goes to the factor as sent.
func phoneParams(number, country string) (map[string]string, error) {
	if number == "" {
		return nil, errorf(http.StatusUnprocessableEntity, "phone_number is required for method sms")
	}
	if len(number) > maxPhone {
		return nil, errorf(http.StatusUnprocessableEntity, "phone_number is too long")
	}
	var digits strings.Builder
	international := false
	for i, r := range number {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
			international = true
		case strings.ContainsRune(" -.()+", r):
		default:
			return nil, errorf(http.StatusUnprocessableEntity, "phone_number may hold only digits, a leading + and the separators space - . ( )")
		}
	}
	d := digits.String()
	if d == "" || len(d) > 15 {
		return nil, errorf(http.StatusUnprocessableEntity, "phone_number must hold 1 to 15 digits")
	}
	country = strings.TrimSpace(country)
	switch {
	case country == "":
		if international {
			return map[string]string{"phone": "+" + d}, nil
		}
		return map[string]string{"phone": d}, nil
	case isoRegion.MatchString(country):
		if international {
			d = "+" + d
		}
		return map[string]string{"phone": d, "country": strings.ToUpper(country)}, nil
	case callingCode.MatchString(country):
		cc := strings.TrimPrefix(country, "+")
		if international {
			if !strings.HasPrefix(d, cc) {
				return nil, errorf(http.StatusUnprocessableEntity, "phone_number does not start with country_code")
			}
			return map[string]string{"phone": "+" + d}, nil
		}
		national := strings.TrimPrefix(d, "0")
		if national == "" || len(cc)+len(national) > 15 {
			return nil, errorf(http.StatusUnprocessableEntity, "phone_number with country_code must hold at most 15 digits")
		}
		return map[string]string{"phone": "+" + cc + national}, nil
	}
	return nil, errorf(http.StatusUnprocessableEntity, "country_code must be a calling code such as 61 or +61, or an ISO 3166-1 alpha-2 code such as AU")
}
