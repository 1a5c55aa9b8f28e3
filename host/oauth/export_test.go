package oauth

import (
	"context"

	"github.com/ory/fosite/token/jwt"
)

// SignForTest signs claims with the provider's active key, as its ID
// tokens are signed, so tests can make tokens it would not issue (expired).
func (p *Provider) SignForTest(ctx context.Context, claims map[string]any) (string, error) {
	tok, _, err := p.strategy.signer.Generate(ctx, jwt.MapClaims(claims), &jwt.Headers{})
	return tok, err
}
