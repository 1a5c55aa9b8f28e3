package mfa

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every front door checks its error table against Kinds, so Kinds must list
// every error identity this package declares.
func TestKindsListsEveryDeclaredError(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var declared []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, "Err") && n.IsExported() {
						declared = append(declared, n.Name)
					}
				}
			}
		}
	}
	kinds := Kinds()
	if len(declared) != len(kinds) {
		t.Fatalf("the package declares %d errors (%v) but Kinds lists %d", len(declared), declared, len(kinds))
	}
	seen := map[error]bool{}
	for _, k := range kinds {
		if seen[k] {
			t.Errorf("%v listed twice", k)
		}
		seen[k] = true
	}
}

func TestErrorIdentityAndRetryAfter(t *testing.T) {
	err := &Error{Kind: ErrLocked, Reason: "r", RetryAfter: 90e9, cause: errors.New("cause")}
	if !errors.Is(err, ErrLocked) || errors.Is(err, ErrThrottled) {
		t.Fatal("identity")
	}
	if d, ok := RetryAfter(err); !ok || d != 90e9 {
		t.Fatalf("RetryAfter = %v %v", d, ok)
	}
	if Reason(err) != "r" || Reason(errors.New("x")) != "" {
		t.Fatal("Reason")
	}
}
