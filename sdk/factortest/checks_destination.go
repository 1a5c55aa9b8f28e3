package factortest

import (
	"maps"
	"testing"

	"github.com/factorgate/factorgate/sdk"
)

// kitDestinationKey is the destination key the kit configures every
// instance with, as a host does.
var kitDestinationKey = []byte("factortest destination key, 32 b")

// checkDestination checks, for a factor that names destinations, that the
// name is pure and stable: asked twice for the enrollment parameters it is
// the same non-empty name, it is the same name again from the enrolled
// credential, so it depends on the destination alone.
func checkDestination(tb testing.TB, h *harness) {
	d := h.describe(tb)
	if !d.Has(sdk.CapabilityDestination) {
		tb.Skip("the factor does not name destinations")
	}
	ctx, cancel := h.ctx(tb)
	defer cancel()
	ask := func(what string, req sdk.DestinationRequest) string {
		tb.Helper()
		resp, err := h.client.Destination(ctx, req)
		if err != nil {
			tb.Fatalf("Destination %s: %v", what, err)
		}
		if resp.Destination == "" {
			tb.Fatalf("Destination %s is empty, though the factor was given a key", what)
		}
		return resp.Destination
	}
	user := h.cfg.user
	first := ask("for the enrollment parameters", sdk.DestinationRequest{User: user, Params: maps.Clone(h.cfg.enrollParams), Now: h.at(0)})
	if again := ask("asked again", sdk.DestinationRequest{User: user, Params: maps.Clone(h.cfg.enrollParams), Now: h.at(3)}); again != first {
		tb.Fatalf("Destination for the same parameters named %q, then %q", first, again)
	}
	e, ok := h.enroll(tb, user)
	if !ok {
		return
	}
	if fromCred := ask("from the credential", sdk.DestinationRequest{User: user, CredentialState: e.finish.CredentialState, Now: h.at(2)}); fromCred != first {
		tb.Fatalf("Destination from the enrolled credential named %q, but %q for the parameters that enrolled it", fromCred, first)
	}
}
