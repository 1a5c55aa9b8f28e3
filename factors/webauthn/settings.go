package webauthn

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/factorgate/factorgate/sdk"
)

// Bounds and defaults of the settings.
const (
	defaultRPID          = "localhost"
	defaultOrigin        = "http://localhost:8080"
	defaultRPDisplayName = "Factorgate"
	defaultTimeout       = 5 * time.Minute
	minTimeout           = 30 * time.Second
	maxTimeout           = 30 * time.Minute
)

// settings are the operator's choices for one factor instance, read by
// sdk.DecodeSettings.
type settings struct {
	// RPID is the relying party ID: the site's registrable domain or a
	// host name under it, with no scheme or port.
	RPID string `json:"rp_id"`
	// RPDisplayName is the name authenticators show.
	RPDisplayName string `json:"rp_display_name"`
	// Origins are the exact origins (scheme, host, port) users reach the
	// login pages at: behind a proxy, the public ones.
	Origins []string `json:"origins"`
	// UserVerification is "required", "preferred" or "discouraged".
	UserVerification string `json:"user_verification"`
	// ResidentKey is "required", "preferred" or "discouraged"; "required"
	// makes every registration a passkey.
	ResidentKey string `json:"resident_key"`
	// AuthenticatorAttachment is "", "platform" or "cross-platform".
	AuthenticatorAttachment string `json:"authenticator_attachment"`
	// Attestation is "none", "indirect", "direct" or "enterprise".
	Attestation string `json:"attestation"`
	// AllowedAAGUIDs, when set, limits registration to these authenticator
	// models; it needs an attestation other than "none".
	AllowedAAGUIDs []string `json:"allowed_aaguids"`
	// Timeout is how long a ceremony stays valid.
	Timeout sdk.Duration `json:"timeout"`
}

func defaultSettings() settings {
	return settings{
		RPID:             defaultRPID,
		RPDisplayName:    defaultRPDisplayName,
		Origins:          []string{defaultOrigin},
		UserVerification: "preferred",
		ResidentKey:      "preferred",
		Attestation:      "none",
		Timeout:          sdk.Duration(defaultTimeout),
	}
}

var (
	requirements = []string{"required", "preferred", "discouraged"}
	attachments  = []string{"", "platform", "cross-platform"}
	conveyances  = []string{"none", "indirect", "direct", "enterprise"}
)

// Validate checks every setting, naming the first that is wrong.
func (s *settings) Validate() error {
	timeout := time.Duration(s.Timeout)
	switch {
	case checkRPID(s.RPID) != nil:
		return fmt.Errorf("webauthn setting \"rp_id\": %w", checkRPID(s.RPID))
	case strings.TrimSpace(s.RPDisplayName) == "":
		return errors.New("webauthn setting \"rp_display_name\": must not be empty")
	case checkOrigins(s.RPID, s.Origins) != nil:
		return fmt.Errorf("webauthn setting \"origins\": %w", checkOrigins(s.RPID, s.Origins))
	case !slices.Contains(requirements, s.UserVerification):
		return fmt.Errorf("webauthn setting \"user_verification\": must be required, preferred or discouraged, got %q", s.UserVerification)
	case !slices.Contains(requirements, s.ResidentKey):
		return fmt.Errorf("webauthn setting \"resident_key\": must be required, preferred or discouraged, got %q", s.ResidentKey)
	case !slices.Contains(attachments, s.AuthenticatorAttachment):
		return fmt.Errorf("webauthn setting \"authenticator_attachment\": must be platform or cross-platform, got %q", s.AuthenticatorAttachment)
	case !slices.Contains(conveyances, s.Attestation):
		return fmt.Errorf("webauthn setting \"attestation\": must be none, indirect, direct or enterprise, got %q", s.Attestation)
	case len(s.AllowedAAGUIDs) > 0 && s.Attestation == "none":
		return errors.New("webauthn setting \"allowed_aaguids\": needs an attestation other than none, or the AAGUID is only a claim")
	case timeout < minTimeout || timeout > maxTimeout:
		return fmt.Errorf("webauthn setting \"timeout\": must be between %s and %s, got %s", minTimeout, maxTimeout, timeout)
	}
	_, err := s.aaguids()
	return err
}

// aaguids parses AllowedAAGUIDs.
func (s *settings) aaguids() ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(s.AllowedAAGUIDs))
	for _, a := range s.AllowedAAGUIDs {
		id, err := uuid.Parse(a)
		if err != nil {
			return nil, fmt.Errorf("webauthn setting \"allowed_aaguids\": %q is not a UUID", a)
		}
		out = append(out, id)
	}
	return out, nil
}

func checkRPID(id string) error {
	switch {
	case id == "":
		return errors.New("must not be empty")
	case strings.ContainsAny(id, ":/ "):
		return errors.New("must be a host name, without scheme or port")
	case id != strings.ToLower(id):
		return errors.New("must be lowercase")
	}
	return nil
}

// checkOrigins requires each origin to be an exact origin whose host is the
// RP ID or a name under it, over https (http only for localhost).
func checkOrigins(rpID string, origins []string) error {
	if len(origins) == 0 {
		return errors.New("must list at least one origin")
	}
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("%q is not an origin (scheme://host[:port])", o)
		}
		host := u.Hostname()
		if host != rpID && !strings.HasSuffix(host, "."+rpID) {
			return fmt.Errorf("%q is not on the RP ID %q or a name under it", o, rpID)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && host == "localhost") {
			return fmt.Errorf("%q must use https (http only for localhost)", o)
		}
	}
	return nil
}
