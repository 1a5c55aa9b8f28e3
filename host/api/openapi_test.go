package api

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIMatchesRoutes walks the embedded document and checks it
// describes exactly the routes the mux serves, with their parameters and
// security, and that every reference resolves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	rootSecurity, _ := doc["security"].([]any)
	if len(rootSecurity) == 0 {
		t.Error("no document-wide security requirement")
	}

	s := newFixture(t).h.(*server)
	served := map[string]route{}
	for _, rt := range s.routes() {
		served[strings.ToLower(rt.method)+" "+rt.path] = rt
	}

	documented := map[string]bool{}
	operationIDs := map[string]bool{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		item := item.(map[string]any)
		pathParams := params(t, doc, item["parameters"])
		for _, method := range httpMethods {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			key := method + " " + path
			documented[key] = true
			rt, ok := served[key]
			if !ok {
				t.Errorf("%s is documented but not served", key)
				continue
			}

			id, _ := op["operationId"].(string)
			if id == "" || operationIDs[id] {
				t.Errorf("%s: operationId %q missing or duplicated", key, id)
			}
			operationIDs[id] = true

			// Path parameters: exactly the wildcards of the route.
			declared := append(slices.Clone(pathParams), params(t, doc, op["parameters"])...)
			wildcards := regexp.MustCompile(`\{([a-z]+)\}`).FindAllStringSubmatch(rt.path, -1)
			var want []string
			for _, w := range wildcards {
				want = append(want, w[1])
			}
			sort.Strings(declared)
			sort.Strings(want)
			if !slices.Equal(declared, want) {
				t.Errorf("%s: path parameters %v, route has %v", key, declared, want)
			}

			// Security: public routes opt out, the others inherit the bearer requirement.
			sec, hasSec := op["security"].([]any)
			if rt.public && (!hasSec || len(sec) != 0) {
				t.Errorf("%s is public but the document requires authentication", key)
			}
			if !rt.public && hasSec && len(sec) == 0 {
				t.Errorf("%s needs a token but the document says it does not", key)
			}
			responses, _ := op["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s: no responses", key)
			}
			if _, ok := responses["401"]; !rt.public && !ok {
				t.Errorf("%s: 401 not documented", key)
			}
			if body, ok := op["requestBody"].(map[string]any); ok {
				if _, ok := responses["415"]; !ok {
					t.Errorf("%s takes a body but documents no 415", key)
				}
				if _, ok := responses["413"]; !ok {
					t.Errorf("%s takes a body but documents no 413", key)
				}
				content, _ := body["content"].(map[string]any)
				if _, ok := content["application/json"]; !ok || len(content) != 1 {
					t.Errorf("%s: request body must be application/json only", key)
				}
			}
		}
	}
	for key := range served {
		if !documented[key] {
			t.Errorf("%s is served but not documented", key)
		}
	}

	// Every $ref resolves.
	walk(doc, func(ref string) {
		if resolve(doc, ref) == nil {
			t.Errorf("unresolved $ref %q", ref)
		}
	})
}

// params returns the names of the path parameters in a parameter list.
func params(t *testing.T, doc map[string]any, list any) []string {
	t.Helper()
	items, _ := list.([]any)
	var names []string
	for _, p := range items {
		m := p.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			m, _ = resolve(doc, ref).(map[string]any)
		}
		if m == nil {
			t.Errorf("unresolvable parameter %v", p)
			continue
		}
		if m["in"] == "path" {
			if m["required"] != true {
				t.Errorf("path parameter %v is not required", m["name"])
			}
			names = append(names, m["name"].(string))
		}
	}
	return names
}

func resolve(doc map[string]any, ref string) any {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

func walk(v any, fn func(ref string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if ref, ok := x.(string); ok && k == "$ref" {
				fn(ref)
			}
			walk(x, fn)
		}
	case []any:
		for _, x := range v {
			walk(x, fn)
		}
	}
}
