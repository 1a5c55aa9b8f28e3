package oauth

import (
	"embed"
	"fmt"
	"html/template"
)

//go:embed templates/*.html
var templateFiles embed.FS

// parsePages parses the login pages. They need no JavaScript: every step is a
// form post carrying the flow id and its CSRF token.
func parsePages() (*template.Template, error) {
	t, err := template.ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("oauth: parse login pages: %w", err)
	}
	return t, nil
}
