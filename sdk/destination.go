package sdk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
)

// DestinationNamer is implemented by factors that send codes and can say
// where a code would go before sending it, so the host can count the codes one
// destination (a phone number) is sent across users and refuse more. The
// call must have no side effect and send nothing.
type DestinationNamer interface {
	NameDestination(ctx context.Context, req DestinationRequest) (DestinationResponse, error)
}

// DestinationRequest asks where a code would be sent: for an enrollment from
// Params as BeginEnrollment reads them (CredentialState nil), for a
// challenge from CredentialState.
type DestinationRequest struct {
	User            User
	Params          map[string]string
	CredentialState []byte
	Now             time.Time
	// Key is the host's secret destination key for this instance, filled
	// in by the SDK from what the host gave at configuration (empty when it
	// gave none). It never crosses the wire with this request.
	Key []byte
}

// DestinationResponse names the destination, opaquely: DestinationName of
// the normalised destination under the request's Key. Empty names none.
type DestinationResponse struct {
	Destination string
}

// DestinationName is the name a factor gives a normalised destination (an
// E.164 number): HMAC-SHA256 under key in unpadded base64url. It is stable
// across processes and hosts that share the key, and without the key a
// reader of the names cannot test candidate numbers against them. An empty
// key names nothing.
func DestinationName(key []byte, destination string) string {
	if len(key) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(destination))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Destination asks the factor where a code would be sent, with the key l
// was given.
func (l Local) Destination(ctx context.Context, req DestinationRequest) (DestinationResponse, error) {
	d, ok := l.Factor.(DestinationNamer)
	if !ok {
		return DestinationResponse{}, fmt.Errorf("destination: %w", ErrUnsupported)
	}
	req.Key = l.DestinationKey
	return d.NameDestination(ctx, req)
}

// ConfigureWithKey is Configure that also hands the plugin the host's secret
// destination key for the instance (see DestinationRequest.Key).
func (r *RPC) ConfigureWithKey(ctx context.Context, settings json.RawMessage, key []byte) (Description, error) {
	resp, err := r.client.Configure(ctx, &factorv1.ConfigureRequest{Instance: r.instance, SettingsJson: settings, DestinationKey: key})
	if err != nil {
		return Description{}, fmt.Errorf("configure %s: %w", r.instance, fromStatus(ctx, err))
	}
	return descriptionFromPB(resp.GetDescription()), nil
}

// Destination asks the plugin where a code would be sent. req.Key is not
// sent: the plugin keys the name with what ConfigureWithKey gave it.
func (r *RPC) Destination(ctx context.Context, req DestinationRequest) (DestinationResponse, error) {
	resp, err := r.client.Destination(ctx, &factorv1.DestinationRequest{
		Instance:        r.instance,
		User:            userToPB(req.User),
		Params:          req.Params,
		CredentialState: req.CredentialState,
		Now:             nowToPB(req.Now),
	})
	if err != nil {
		return DestinationResponse{}, fmt.Errorf("destination %s: %w", r.instance, fromStatus(ctx, err))
	}
	return DestinationResponse{Destination: resp.GetDestination()}, nil
}

func (s *server) Destination(ctx context.Context, req *factorv1.DestinationRequest) (resp *factorv1.DestinationResponse, err error) {
	defer s.guard("Destination", &err)
	f, err := s.factor(req.GetInstance())
	if err != nil {
		return nil, err
	}
	d, ok := f.(DestinationNamer)
	if !ok {
		return nil, toStatus(fmt.Errorf("destination: %w", ErrUnsupported))
	}
	s.mu.RLock()
	key := s.keys[req.GetInstance()]
	s.mu.RUnlock()
	out, err := d.NameDestination(ctx, DestinationRequest{
		User:            userFromPB(req.GetUser()),
		Params:          req.GetParams(),
		CredentialState: req.GetCredentialState(),
		Now:             timeFromPB(req.GetNow()),
		Key:             key,
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &factorv1.DestinationResponse{Destination: out.Destination}, nil
}
