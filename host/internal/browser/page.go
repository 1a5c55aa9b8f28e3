package browser

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Page is one browser tab in its own context. Every method fails the test
// on an error, naming what it tried; selectors are Playwright's (CSS, or
// text= and role= forms). Actions wait for their element, within a bound a
// busy machine does not reach.
type Page struct {
	b  *Browser
	id int
}

// do runs op and decodes its result into out (when out is not nil).
func (p *Page) do(op string, args any, out any) {
	p.b.t.Helper()
	raw, err := p.b.call(p.id, op, args)
	if err != nil {
		p.b.t.Fatalf("browser %s %s: %v", op, describe(args), err)
	}
	if out == nil {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		p.b.t.Fatalf("browser %s: decode %s: %v", op, raw, err)
	}
}

func describe(args any) string {
	if args == nil {
		return ""
	}
	b, _ := json.Marshal(args)
	return string(b)
}

// Goto loads url and returns the HTTP status of the document.
func (p *Page) Goto(url string) int {
	p.b.t.Helper()
	var status int
	p.do("goto", map[string]string{"url": url}, &status)
	return status
}

// URL is the page's current address.
func (p *Page) URL() string {
	p.b.t.Helper()
	var u string
	p.do("url", nil, &u)
	return u
}

// Title is the document's title.
func (p *Page) Title() string {
	p.b.t.Helper()
	var s string
	p.do("title", nil, &s)
	return s
}

// Content is the page's current HTML.
func (p *Page) Content() string {
	p.b.t.Helper()
	var s string
	p.do("content", nil, &s)
	return s
}

// Click clicks the element selector matches.
func (p *Page) Click(selector string) {
	p.b.t.Helper()
	p.do("click", map[string]string{"selector": selector}, nil)
}

// ClickNav clicks and waits for the navigation the click starts (a form
// submit, a link), returning the new address.
func (p *Page) ClickNav(selector string) string {
	p.b.t.Helper()
	var u string
	p.do("clickNav", map[string]string{"selector": selector}, &u)
	return u
}

// Fill types value into the input selector matches, replacing its content.
func (p *Page) Fill(selector, value string) {
	p.b.t.Helper()
	p.do("fill", map[string]string{"selector": selector, "value": value}, nil)
}

// Check ticks a checkbox or chooses a radio button.
func (p *Page) Check(selector string) {
	p.b.t.Helper()
	p.do("check", map[string]string{"selector": selector}, nil)
}

// Select chooses value in the <select> selector matches.
func (p *Page) Select(selector, value string) {
	p.b.t.Helper()
	p.do("select", map[string]string{"selector": selector, "value": value}, nil)
}

// Text is the rendered text of the first element selector matches.
func (p *Page) Text(selector string) string {
	p.b.t.Helper()
	var s string
	p.do("text", map[string]string{"selector": selector}, &s)
	return s
}

// Texts is the rendered text of every element selector matches.
func (p *Page) Texts(selector string) []string {
	p.b.t.Helper()
	var s []string
	p.do("texts", map[string]string{"selector": selector}, &s)
	return s
}

// Attr is an attribute of the first element selector matches ("" when absent).
func (p *Page) Attr(selector, name string) string {
	p.b.t.Helper()
	var s *string
	p.do("attr", map[string]string{"selector": selector, "name": name}, &s)
	if s == nil {
		return ""
	}
	return *s
}

// Count is how many elements selector matches now.
func (p *Page) Count(selector string) int {
	p.b.t.Helper()
	var n int
	p.do("count", map[string]string{"selector": selector}, &n)
	return n
}

// WaitFor waits until selector matches a visible element.
func (p *Page) WaitFor(selector string) {
	p.b.t.Helper()
	p.do("waitFor", map[string]string{"selector": selector}, nil)
}

// WaitURL waits until the address matches the regular expression pattern,
// for navigations a script starts, and returns the address.
func (p *Page) WaitURL(pattern string) string {
	p.b.t.Helper()
	var u string
	p.do("waitURL", map[string]string{"pattern": pattern}, &u)
	return u
}

// Eval evaluates a JavaScript expression in the page (a promise is awaited)
// and decodes its value into out when out is not nil. It runs through the
// DevTools protocol, outside the page's CSP.
func (p *Page) Eval(expression string, out any) {
	p.b.t.Helper()
	p.do("eval", map[string]string{"expression": expression}, out)
}

// Viewport resizes the page to width x height CSS pixels.
func (p *Page) Viewport(width, height int) {
	p.b.t.Helper()
	p.do("viewport", map[string]int{"width": width, "height": height}, nil)
}

// Box is where an element (or its text) is drawn, in CSS pixels.
type Box struct {
	X, Y, Width, Height float64
	Text                string
	// Clipped: the element's content is wider than its box and cut off.
	Clipped bool
}

// Overlaps reports whether two boxes share any area.
func (b Box) Overlaps(o Box) bool {
	return b.X < o.X+o.Width && o.X < b.X+b.Width && b.Y < o.Y+o.Height && o.Y < b.Y+b.Height
}

// Boxes measures every element selector matches.
func (p *Page) Boxes(selector string) []Box {
	p.b.t.Helper()
	var out []Box
	p.do("boxes", map[string]any{"selector": selector, "text": false}, &out)
	return out
}

// TextBoxes measures the rendered text of every element selector matches,
// which is what a reader sees even when the element's box is wider.
func (p *Page) TextBoxes(selector string) []Box {
	p.b.t.Helper()
	var out []Box
	p.do("boxes", map[string]any{"selector": selector, "text": true}, &out)
	return out
}

// Violation is one accessibility rule axe-core found broken.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
}

// Axe runs axe-core on the page (all rules, or only those with the given
// tags such as "wcag2a", "wcag2aa") and returns what it found.
func (p *Page) Axe(tags ...string) []Violation {
	p.b.t.Helper()
	var out []Violation
	p.do("axe", map[string]any{"tags": tags}, &out)
	return out
}

// Serious keeps the violations of serious or critical impact.
func Serious(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

// CDP sends a DevTools protocol command through the page's own session
// (WebAuthn.enable, WebAuthn.addVirtualAuthenticator, ...) and decodes the
// result into out when out is not nil.
func (p *Page) CDP(method string, params any, out any) {
	p.b.t.Helper()
	p.do("cdp", map[string]any{"method": method, "params": params}, out)
}

// Cookie is one cookie of the page's context.
type Cookie struct {
	Name     string  `json:"name"`
	Value    string  `json:"value"`
	Domain   string  `json:"domain"`
	Path     string  `json:"path"`
	Expires  float64 `json:"expires"`
	HTTPOnly bool    `json:"httpOnly"`
	Secure   bool    `json:"secure"`
	SameSite string  `json:"sameSite"`
}

// Cookies lists the cookies of the page's context.
func (p *Page) Cookies() []Cookie {
	p.b.t.Helper()
	var out []Cookie
	p.do("cookies", nil, &out)
	return out
}

// ClearCookies forgets every cookie of the page's context.
func (p *Page) ClearCookies() {
	p.b.t.Helper()
	p.do("clearCookies", nil, nil)
}

// Screenshot saves a full-page PNG at path (for looking at a failure).
func (p *Page) Screenshot(path string) {
	p.b.t.Helper()
	p.do("screenshot", map[string]string{"path": path}, nil)
}

// Console returns, and forgets, the errors and warnings the page logged
// since the last call: script errors and CSP violations show up here.
func (p *Page) Console() []string {
	p.b.t.Helper()
	var out []string
	p.do("console", nil, &out)
	return out
}

// Close closes the page and its context.
func (p *Page) Close() {
	p.b.t.Helper()
	p.do("closePage", nil, nil)
}
