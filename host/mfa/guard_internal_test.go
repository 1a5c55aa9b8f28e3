package mfa

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The transaction guard holds only if nothing reaches a factor around it:
// the service's factor lookup (Service.factors) is used in guard.go alone,
// which hands out guarded factors only.
func TestFactorsAreReachedOnlyThroughTheGuard(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	uses := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "factors" {
				return true
			}
			if file != "guard.go" {
				t.Errorf("%s: the factor lookup is used outside the guard", fset.Position(sel.Pos()))
			}
			uses++
			return true
		})
	}
	if uses == 0 {
		t.Fatal("guard.go no longer looks factors up; update this test with the guard")
	}
}
