package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxDepth bounds how deeply the file may nest (and how often aliases may
// refer to one another), so a crafted file cannot recurse without end.
const maxDepth = 64

// decodeFile decodes the YAML document data over the defaults. The
// returned configuration has Routes as the file gives them (nil when it does
// not); it is nil when the file is empty or cannot be decoded.
//
// Before go-yaml decodes the document (strictly, rejecting unknown fields),
// the syntax tree is checked against the shape of Config: every unknown key,
// duplicate key and value of the wrong type is reported with its full key
// path and line, and removed from the tree, so that the rest still decodes
// and is validated and the operator sees every problem at once. The line of
// each key is recorded in o for later messages.
func decodeFile(path string, data []byte, o *origins) (*Config, []error) {
	fileErr := func(line int, msg string) (*Config, []error) {
		return nil, []error{&Error{File: path, Line: line, Message: msg}}
	}
	// Duplicate keys are left to the walker, which names them by key path.
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		line, msg := yamlErrorPosition(err)
		return fileErr(line, "invalid YAML: "+msg)
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			return fileErr(doc.Body.GetToken().Position.Line,
				fmt.Sprintf("the file holds %d YAML documents; use one", len(f.Docs)))
		}
		body = doc.Body
	}
	if body == nil {
		return nil, nil // empty file, or comments only
	}

	w := &walker{file: path, origins: o, anchors: map[string]ast.Node{}}
	for _, n := range ast.Filter(ast.AnchorType, body) {
		if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
			w.anchors[a.Name.GetToken().Value] = a.Value
		}
	}
	if !w.walk(body, reflect.TypeFor[Config](), "", 0) {
		return nil, w.errs
	}

	target := defaults()
	target.Routes = nil
	if err := yaml.NodeToValue(body, target, yaml.Strict()); err != nil {
		if len(w.errs) > 0 {
			// Only possible when a removed entry held an anchor used
			// elsewhere; the problems found already explain it.
			return nil, w.errs
		}
		line, msg := yamlErrorPosition(err)
		return fileErr(line, msg)
	}
	return target, w.errs
}

// yamlErrorPosition splits a go-yaml error into its line and its message
// without the "[line:col]" prefix and the source excerpt.
func yamlErrorPosition(err error) (int, string) {
	var ye yaml.Error
	if errors.As(err, &ye) {
		line := 0
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			line = tk.Position.Line
		}
		return line, ye.GetMessage()
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return 0, msg
}

// walker checks a syntax tree against the shape of Config.
type walker struct {
	file    string
	origins *origins
	anchors map[string]ast.Node
	errs    []error
	seen    map[string]bool // reported messages, as aliases can repeat them
}

// fail reports a problem with the value at key, found at line.
func (w *walker) fail(line int, key string, keyInMessage bool, format string, args ...any) {
	e := &Error{File: w.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...), keyInMessage: keyInMessage}
	msg := e.Error()
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	if !w.seen[msg] {
		w.seen[msg] = true
		w.errs = append(w.errs, e)
	}
	if key != "" {
		w.origins.bad[key] = true
	}
}

// resolve looks through tags, anchors and aliases to the node that holds the
// value. It returns nil for a null value.
func (w *walker) resolve(n ast.Node) ast.Node {
	for range maxDepth {
		switch v := n.(type) {
		case nil, *ast.NullNode:
			return nil
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			if v.Value == nil {
				return n
			}
			target, ok := w.anchors[v.Value.GetToken().Value]
			if !ok {
				return n
			}
			n = target
		default:
			return n
		}
	}
	return n
}

// walk checks the value n against type t at key path, reporting problems.
// It returns false when the value cannot be decoded into t, so the caller
// should drop it.
func (w *walker) walk(n ast.Node, t reflect.Type, path string, depth int) bool {
	line := lineOf(n)
	if depth > maxDepth {
		w.fail(line, path, false, "nested too deeply")
		return false
	}
	if tag, ok := n.(*ast.TagNode); ok && t.Kind() == reflect.String && tag.Start != nil && tag.Start.Value == "!!str" {
		return true // an explicitly tagged string, such as !!str 0123
	}
	n = w.resolve(n)
	if n == nil {
		return true // null: the zero value (or, for a section, the defaults)
	}
	line = lineOf(n)
	if _, ok := n.(*ast.AliasNode); ok {
		w.fail(line, path, false, "refers to an unknown anchor")
		return false
	}
	switch t {
	case reflect.TypeFor[time.Duration]():
		return w.duration(n, path)
	case reflect.TypeFor[json.RawMessage]():
		return w.settings(n, path, depth)
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := yamlFields(t)
		return w.mapping(n, path, depth, func(key string) (reflect.Type, bool) {
			ft, ok := fields[key]
			return ft, ok
		})
	case reflect.Map:
		return w.mapping(n, path, depth, func(string) (reflect.Type, bool) { return t.Elem(), true })
	case reflect.Slice:
		return w.sequence(n, t.Elem(), path, depth)
	case reflect.String:
		switch n.(type) {
		case *ast.StringNode, *ast.LiteralNode:
			return true
		}
		w.fail(line, path, false, "must be a string, got %s%s", describe(n), quoteHint(n))
		return false
	case reflect.Int:
		if in, ok := n.(*ast.IntegerNode); ok {
			if u, big := in.Value.(uint64); big && u > math.MaxInt64 {
				w.fail(line, path, false, "number %s is too large", in.GetToken().Value)
				return false
			}
			return true
		}
		w.fail(line, path, false, "must be a whole number, got %s", describe(n))
		return false
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); ok {
			return true
		}
		w.fail(line, path, false, "must be true or false, got %s", describe(n))
		return false
	}
	panic(fmt.Sprintf("config: no YAML check for %s at %s", t, path))
}

// mapping checks a mapping whose values have the types fieldType returns per
// key, removing entries that are unknown, repeated or of the wrong type.
func (w *walker) mapping(n ast.Node, path string, depth int, fieldType func(string) (reflect.Type, bool)) bool {
	m, ok := n.(*ast.MappingNode)
	if !ok {
		w.fail(lineOf(n), path, false, "must be a mapping of keys to values, got %s", describe(n))
		return false
	}
	first := map[string]int{}
	kept := m.Values[:0]
	for _, mv := range m.Values {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			if w.merge(mv, path, depth, fieldType) {
				kept = append(kept, mv)
			}
			continue
		}
		key, line, ok := w.keyText(mv.Key)
		if !ok {
			w.fail(line, path, false, "keys must be strings, got %s", describe(w.resolve(mv.Key)))
			continue
		}
		child := joinKey(path, key)
		if at, dup := first[key]; dup {
			w.fail(line, child, true, "duplicate key %q (first given on line %d)", child, at)
			continue
		}
		first[key] = line
		ft, known := fieldType(key)
		if !known {
			w.fail(line, child, true, "unknown key %q", child)
			continue
		}
		w.origins.setLine(child, line)
		if !w.walk(mv.Value, ft, child, depth+1) {
			w.origins.bad[child] = true
			continue
		}
		kept = append(kept, mv)
	}
	clear(m.Values[len(kept):])
	m.Values = kept
	return true
}

// merge checks the mappings merged in with "<<".
func (w *walker) merge(mv *ast.MappingValueNode, path string, depth int, fieldType func(string) (reflect.Type, bool)) bool {
	v := w.resolve(mv.Value)
	var sources []ast.Node
	if seq, ok := v.(*ast.SequenceNode); ok {
		for _, s := range seq.Values {
			sources = append(sources, w.resolve(s))
		}
	} else {
		sources = []ast.Node{v}
	}
	for _, s := range sources {
		if _, ok := s.(*ast.MappingNode); !ok {
			w.fail(lineOf(mv.Value), path, false, "<< must merge mappings, got %s", describe(s))
			return false
		}
		if depth+1 > maxDepth {
			w.fail(lineOf(mv.Value), path, false, "nested too deeply")
			return false
		}
		w.mapping(s, path, depth+1, fieldType)
	}
	return true
}

// sequence checks a list whose elements have type elem, removing elements of
// the wrong type.
func (w *walker) sequence(n ast.Node, elem reflect.Type, path string, depth int) bool {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		w.fail(lineOf(n), path, false, "must be a list, got %s", describe(n))
		return false
	}
	parallel := len(seq.Entries) == len(seq.Values)
	var lines []int
	kept, keptEntries := seq.Values[:0], seq.Entries[:0]
	for i, el := range seq.Values {
		if !w.walk(el, elem, fmt.Sprintf("%s[%d]", path, i), depth+1) {
			continue
		}
		lines = append(lines, lineOf(el))
		kept = append(kept, el)
		if parallel {
			keptEntries = append(keptEntries, seq.Entries[i])
		}
	}
	// Record lines by position after removal, which is how the decoded list
	// is indexed.
	for i, line := range lines {
		w.origins.setLine(fmt.Sprintf("%s[%d]", path, i), line)
	}
	clear(seq.Values[len(kept):])
	seq.Values = kept
	if parallel {
		clear(seq.Entries[len(keptEntries):])
		seq.Entries = keptEntries
	}
	return true
}

// duration checks a Go duration string such as "30s".
func (w *walker) duration(n ast.Node, path string) bool {
	s, ok := n.(*ast.StringNode)
	if !ok {
		hint := ""
		if _, isInt := n.(*ast.IntegerNode); isInt {
			hint = " (add a unit)"
		}
		w.fail(lineOf(n), path, false, "must be a duration such as 30s or 1h, got %s%s", describe(n), hint)
		return false
	}
	if _, err := time.ParseDuration(s.Value); err != nil {
		w.fail(lineOf(n), path, false, "invalid duration %q; use a number and unit such as 30s, 10m or 1h", s.Value)
		return false
	}
	return true
}

// settings checks a factor's settings: a mapping (or nothing) that JSON can
// represent.
func (w *walker) settings(n ast.Node, path string, depth int) bool {
	if _, ok := n.(*ast.MappingNode); !ok {
		w.fail(lineOf(n), path, false, "must be a mapping of setting names to values, got %s", describe(n))
		return false
	}
	if msg, line := w.jsonProblem(n, depth); msg != "" {
		w.fail(line, path, false, "%s", msg)
		return false
	}
	return true
}

// jsonProblem finds a value in the settings tree that JSON cannot represent.
func (w *walker) jsonProblem(n ast.Node, depth int) (string, int) {
	if depth > maxDepth {
		return "nested too deeply", lineOf(n)
	}
	n = w.resolve(n)
	switch v := n.(type) {
	case nil:
		return "", 0
	case *ast.AliasNode:
		return "refers to an unknown anchor", lineOf(v)
	case *ast.InfinityNode, *ast.NanNode:
		return fmt.Sprintf("%s cannot be represented in JSON", v.GetToken().Value), lineOf(v)
	case *ast.MappingNode:
		first := map[string]int{}
		for _, mv := range v.Values {
			if mv.Key != nil && mv.Key.IsMergeKey() {
				if msg, line := w.jsonProblem(mv.Value, depth+1); msg != "" {
					return msg, line
				}
				continue
			}
			key, line, ok := w.keyText(mv.Key)
			if !ok {
				return "setting names must be strings", line
			}
			if at, dup := first[key]; dup {
				return fmt.Sprintf("duplicate setting %q (first given on line %d)", key, at), line
			}
			first[key] = line
			if msg, line := w.jsonProblem(mv.Value, depth+1); msg != "" {
				return msg, line
			}
		}
	case *ast.SequenceNode:
		for _, el := range v.Values {
			if msg, line := w.jsonProblem(el, depth+1); msg != "" {
				return msg, line
			}
		}
	}
	return "", 0
}

// keyText returns a mapping key as text with its line; ok is false for keys
// that are not scalars.
func (w *walker) keyText(k ast.MapKeyNode) (string, int, bool) {
	var n ast.Node = k
	if mk, ok := n.(*ast.MappingKeyNode); ok {
		n = mk.Value
	}
	line := lineOf(n)
	switch v := w.resolve(n).(type) {
	case *ast.StringNode:
		return v.Value, line, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, line, true
	}
	return "", line, false
}

// yamlFields maps the YAML keys of struct type t to field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

// lineOf is the line a node starts on, 0 when unknown.
func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

// describe names the kind of a YAML value for messages.
func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil:
		return "nothing"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode:
		return "the number " + v.GetToken().Value
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + v.GetToken().Value
	case *ast.BoolNode:
		return strconv.FormatBool(v.Value)
	default:
		return n.Type().YAMLName()
	}
}

// quoteHint suggests quoting a scalar that YAML read as another type.
func quoteHint(n ast.Node) string {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return " (put the value in quotes)"
	}
	return ""
}

// joinKey appends key to the key path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// UnmarshalYAML decodes plugin and settings, converting the settings mapping
// to a JSON object.
func (f *FactorConfig) UnmarshalYAML(unmarshal func(any) error) error {
	var raw struct {
		Plugin   string `yaml:"plugin"`
		Settings any    `yaml:"settings"`
	}
	if err := unmarshal(&raw); err != nil {
		return err
	}
	settings, err := settingsJSON(raw.Settings)
	if err != nil {
		return err
	}
	f.Plugin, f.Settings = raw.Plugin, settings
	return nil
}

// MarshalYAML writes the settings back as a YAML mapping.
func (f FactorConfig) MarshalYAML() (any, error) {
	var settings map[string]any
	if len(f.Settings) > 0 {
		// JSON is YAML, and reading it as YAML keeps integers integers.
		if err := yaml.Unmarshal(f.Settings, &settings); err != nil {
			return nil, fmt.Errorf("settings: %w", err)
		}
	}
	return struct {
		Plugin   string         `yaml:"plugin"`
		Settings map[string]any `yaml:"settings,omitempty"`
	}{f.Plugin, settings}, nil
}

// settingsJSON converts decoded YAML settings to a JSON object; nil becomes
// "{}".
func settingsJSON(v any) (json.RawMessage, error) {
	switch v.(type) {
	case nil:
		return json.RawMessage("{}"), nil
	case map[string]any:
	default:
		return nil, fmt.Errorf("settings must be a mapping, got %T", v)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return json.RawMessage(strings.TrimSuffix(b.String(), "\n")), nil
}
