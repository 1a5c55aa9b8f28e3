package zitadel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func (z *zitadel) writeResult(w http.ResponseWriter, r *http.Request, resp proto.Message, err error) {
	if err != nil {
		z.writeError(w, r, err)
		return
	}
	body, err := protojson.Marshal(resp)
	if err == nil {
		// protojson varies its whitespace on purpose; the gateway's bytes are compact.
		var compact bytes.Buffer
		if err = json.Compact(&compact, body); err == nil {
			z.writeJSON(w, r, http.StatusOK, compact.Bytes())
			return
		}
	}
	z.writeError(w, r, fmt.Errorf("encode response: %w", err))
}

// statusJSON is google.rpc.Status as the gateway renders it.
type statusJSON struct {
	Code    int          `json:"code"`
	Message string       `json:"message"`
	Details []detailJSON `json:"details,omitempty"`
}

type detailJSON struct {
	Type    string `json:"@type"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

func (z *zitadel) writeJSON(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		z.d.Logger.DebugContext(r.Context(), "zitadel: write response", "error", err)
	}
}
