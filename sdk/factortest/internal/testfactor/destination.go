package testfactor

import (
	"context"
	"fmt"

	"github.com/factorgate/factorgate/sdk"
)

// NameDestination names the user as where codes go (the factor sends to no
// one); with the UnstableDestination flaw the name changes with the time.
func (c *Challenge) NameDestination(_ context.Context, req sdk.DestinationRequest) (sdk.DestinationResponse, error) {
	dest := "user:" + req.User.ID
	if c.flaws.UnstableDestination {
		dest += fmt.Sprint("@", req.Now.Unix())
	}
	return sdk.DestinationResponse{Destination: sdk.DestinationName(req.Key, dest)}, nil
}
