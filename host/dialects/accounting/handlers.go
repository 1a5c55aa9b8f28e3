// Package accounting serves the accounting service's two-step SMS opt-in and
// its password-grant sign-in, in the shape of the service's ASP.NET Web API,
// translated to host/mfa and host/signin. What every dialect shares is in
// host/dialects.
package accounting

// The accounting dialect: the accounting service's two-step SMS opt-in,
//
//	POST /User/opt-in-to-2fa?FileId=N     {"MobileNumber": "0499999999"} -> {"ProviderUserId": 123}
//	POST /User/verify-2fa-opt-in?FileId=N {"ProviderUserId": 123, "Otp": "1234567"} -> BaseResponseModel
//
// in the shape of its ASP.NET Web API: query parameter names in any case,
// bodies in JSON or XML chosen by Content-Type and Accept, errors as
// {"Message": "..."} (or <Error><Message>...</Message></Error>) and 401 with
// an empty body. The opt-in begins an enrollment of the SMS factor instance
// routed as dialects.RouteAccountingSMS (which sends the code); the
// verification confirms it.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

// Paths of the accounting dialect, as documented (matched case-sensitively).
const (
	optInPath  = "/User/opt-in-to-2fa"
	verifyPath = "/User/verify-2fa-opt-in"
	// The OAuth 2 password-grant endpoints; both behave alike.
	tokenPath    = "/authorisation/token"
	token2FAPath = "/authorisation/token-2fa"
)

const (
	// via names the dialect in audit records.
	via = "accounting"
	// defaultRegion is the region of a MobileNumber in national
	// form (0499 999 999): the accounting service is Australian.
	defaultRegion = "AU"
	// apiVersion is the only X-Api-Version the service accepts.
	apiVersion = "1.0"
	// Limits of request fields.
	maxOTPLen    = 64
	maxMobileLen = 32
)

// Register serves the accounting service's 2FA opt-in endpoints on mux,
// when the route table names a factor instance for
// dialects.RouteAccountingSMS, and its password grant when d.SignIn is set.
// It panics when Deps.MFA or Deps.Tokens is missing, a wiring mistake.
func Register(mux *http.ServeMux, d dialects.Deps) {
	d = d.WithDefaults()
	factor, ok := d.Factor(dialects.RouteAccountingSMS)
	if !ok {
		return
	}
	if d.MFA == nil || d.Tokens == nil {
		panic("accounting.Register: Deps.MFA and Deps.Tokens are required")
	}
	a := &accounting{d: d, factor: factor}
	// Registered for every method, so that other methods get a 405 in the
	// dialect's own shape rather than the mux's plain text.
	mux.Handle(optInPath, a.handle(a.optIn))
	mux.Handle(verifyPath, a.handle(a.verify))
	if d.SignIn != nil {
		mux.Handle(tokenPath, http.HandlerFunc(a.token))
		mux.Handle(token2FAPath, http.HandlerFunc(a.token))
	}
}

// accounting serves the dialect with the factor instance its route names.
type accounting struct {
	d      dialects.Deps
	factor string
}

// call is an authenticated request with its body read.
type call struct {
	principal auth.Principal
	meta      mfa.Meta
	fileID    int64
	body      []byte
	xml       bool // the body is XML (else JSON)
}

// operation serves one endpoint once the request is authenticated.
type operation func(ctx context.Context, c *call) (successBody, error)

func (a *accounting) handle(op operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		out := negotiateFormat(r)
		resp, err := a.serve(w, r, op)
		if err != nil {
			a.writeError(w, r, out, err)
			return
		}
		a.write(w, r, out, resp)
	})
}

// serve checks the request in a fixed order (method, version, query,
// credentials, file, body) and runs op. Credentials come before the FileId
// and the body, so an unauthenticated caller learns nothing about either.
func (a *accounting) serve(w http.ResponseWriter, r *http.Request, op operation) (successBody, error) {
	if r.Method != http.MethodPost {
		return nil, errMethod
	}
	if v := r.Header.Values("X-Api-Version"); len(v) > 1 || (len(v) == 1 && strings.TrimSpace(v[0]) != apiVersion) {
		return nil, badRequest("The X-Api-Version header must be " + apiVersion + ".")
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	p, err := a.authenticate(r.Context(), r, q)
	if err != nil {
		return nil, err
	}
	fileID, err := q.fileID()
	if err != nil {
		return nil, err
	}
	// A file is the caller's organisation; another one is not theirs to
	// act on, and whether it exists is not said.
	if fileID != p.User.OrgID {
		return nil, errUnauthorized
	}
	body, isXML, err := a.readBody(w, r)
	if err != nil {
		return nil, err
	}
	return op(r.Context(), &call{principal: p, meta: a.d.Meta(r, p, via), fileID: fileID, body: body, xml: isXML})
}

// optIn begins the SMS enrollment, which sends the code, and answers with
// the ProviderUserId that the verification names it by.
func (a *accounting) optIn(ctx context.Context, c *call) (successBody, error) {
	mobile, err := parseOptIn(c.body, c.xml)
	if err != nil {
		return nil, err
	}
	params := map[string]string{"phone": mobile}
	if !strings.HasPrefix(mobile, "+") {
		params["country"] = defaultRegion
	}
	en, err := a.d.MFA.BeginEnrollment(ctx, c.meta, mfa.BeginRequest{UserID: c.principal.User.ID, Factor: a.factor, Params: params})
	if err != nil {
		return nil, fmt.Errorf("accounting opt-in: %w", err)
	}
	return optInResponse{ProviderUserID: providerUserID(en.ID)}, nil
}

// verify confirms the caller's pending enrollment that ProviderUserId names.
func (a *accounting) verify(ctx context.Context, c *call) (successBody, error) {
	req, err := parseVerify(c.body, c.xml)
	if err != nil {
		return nil, err
	}
	userID := c.principal.User.ID
	// Only the caller's own pending enrollment is looked at, so a
	// ProviderUserId can never reach another user's enrollment.
	pending, err := a.d.MFA.PendingEnrollment(ctx, userID, a.factor)
	if err != nil {
		return nil, fmt.Errorf("accounting verify: pending enrollment: %w", err)
	}
	if providerUserID(pending.ID) != req.providerUserID {
		// An id of an earlier, replaced opt-in, or a wrong one.
		return nil, &mfa.Error{Kind: mfa.ErrNoEnrollment}
	}
	_, err = a.d.MFA.ConfirmEnrollment(ctx, c.meta, mfa.ConfirmRequest{UserID: userID, EnrollmentID: pending.ID, Proof: sdk.Proof{Code: req.otp}})
	if err != nil {
		return nil, fmt.Errorf("accounting verify: %w", err)
	}
	return baseResponse{
		StatusMessage: verifiedMessage,
		Links: []link{{
			Rel: "self", Href: verifyPath + "?FileId=" + strconv.FormatInt(c.fileID, 10),
			Method: http.MethodPost, Title: "Verify 2FA opt-in",
		}},
	}, nil
}

// providerUserID is the ProviderUserId of a pending enrollment: a
// positive 31-bit number (the service's ids are Int32) derived from the
// enrollment's id. It needs no storage because it names an enrollment only
// among the caller's own: verify compares it with the caller's pending one.
func providerUserID(enrollmentID string) int32 {
	sum := sha256.Sum256([]byte("factorgate accounting ProviderUserId\x00" + enrollmentID))
	id := int32(binary.BigEndian.Uint32(sum[:4]) & math.MaxInt32)
	if id == 0 {
		return 1
	}
	return id
}
