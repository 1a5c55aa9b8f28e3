package oauth

import (
	"embed"
	"fmt"
	"html/template"
)

//go:embed templates/*.html
var templateFiles embed.FS

// webauthnJS runs security key and passkey ceremonies on the login pages.
//
//go:embed static/webauthn.js
var webauthnJS []byte

// parsePages parses the login pages. Every step is a form post carrying the
// flow id and its CSRF token; only a security key or passkey needs script,
// one file served from the host (static/webauthn.js), never inline.
func parsePages() (*template.Template, error) {
	t, err := template.New("pages").Funcs(template.FuncMap{"ceremony": ceremonyForm}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("oauth: parse login pages: %w", err)
	}
	return t, nil
}

// ceremonyData is what the "ceremony" template renders: a form the script
// runs a WebAuthn ceremony of kind ("create" or "get") from, posting its
// result to action.
type ceremonyData struct {
	Page   pageData
	Kind   string
	Action string
	Label  string
}

func ceremonyForm(page pageData, kind, action, label string) ceremonyData {
	return ceremonyData{Page: page, Kind: kind, Action: action, Label: label}
}
