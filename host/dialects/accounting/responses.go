package accounting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// verifiedMessage is the StatusMessage of a verified opt-in.
const verifiedMessage = "2FA opt-in verified. Two-factor authentication is now enabled for this user."

// successBody is a success response: a JSON value and its XML form.
type successBody interface {
	xmlValue() any
}

var (
	_ successBody = baseResponse{}
	_ successBody = optInResponse{}
)

// format is the negotiated format of the response.
type format struct {
	mediaType string
	xml       bool
}

// negotiateFormat negotiates as ASP.NET Web API does: the Accept
// type with the highest quality among those served, else the request's own
// Content-Type, else JSON. Media ranges (*/*, text/*) state no preference.
func negotiateFormat(r *http.Request) format {
	best, bestQ := "", 0.0
	for _, h := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if _, ok := mediaTypes[mt]; !ok {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(s, 64); err != nil || math.IsNaN(q) || q < 0 || q > 1 {
					continue
				}
			}
			if q > bestQ {
				best, bestQ = mt, q
			}
		}
	}
	if best == "" {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
			if _, ok := mediaTypes[mt]; ok {
				best = mt
			}
		}
	}
	if best == "" {
		best = "application/json"
	}
	return format{mediaType: best, xml: mediaTypes[best]}
}

// link is a hypermedia link to a next action.
type link struct {
	Rel    string `json:"rel" xml:"rel"`
	Href   string `json:"href" xml:"href"`
	Method string `json:"method" xml:"method"`
	Title  string `json:"title" xml:"title"`
}

// baseResponse is the BaseResponseModel. Json.NET writes a derived
// class's members first, so in JSON StatusMessage precedes _links.
type baseResponse struct {
	StatusMessage string `json:"StatusMessage"`
	Links         []link `json:"_links"`
}

// optInResponse is the opt-in's answer.
type optInResponse struct {
	ProviderUserID int32 `json:"ProviderUserId"`
}

// write renders a success in the negotiated format, indented as in the
// service's documentation.
func (a *accounting) write(w http.ResponseWriter, r *http.Request, f format, v successBody) {
	var body []byte
	var err error
	if f.xml {
		body, err = marshalXML(v.xmlValue())
	} else {
		body, err = marshalJSON(v, "  ")
	}
	if err != nil {
		a.writeError(w, r, f, fmt.Errorf("accounting: encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", f.mediaType+"; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// marshalJSON encodes v without escaping HTML characters (as
// Json.NET) and without a trailing newline, indented when indent is set.
func marshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
