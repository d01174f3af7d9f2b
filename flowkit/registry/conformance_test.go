package registry_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/registry"
)

// TestConformance runs the verification harness over every registered bijector, on random
// inputs and random parameters in float64, for two event sizes.
func TestConformance(t *testing.T) {
	for _, e := range registry.All() {
		for _, d := range []int{1, 5} {
			e, d := e, d
			t.Run(e.Name+"/D="+string(rune('0'+d)), func(t *testing.T) {
				opts := e.OptionsFor(d)
				opts.RoundTripTol, opts.LogDetTol = 1e-5, 1e-4
				r, err := check.Bijector(e.New(d), opts)
				if err != nil {
					t.Fatal(err)
				}
				if err := r.Err(); err != nil {
					t.Fatalf("%v\n%s", err, r)
				}
			})
		}
	}
}

// TestEveryBijectorIsRegistered parses the library's sources, finds every type with both a
// Forward and an Inverse method (a bijector), and requires a registry entry exercising it.
func TestEveryBijectorIsRegistered(t *testing.T) {
	covered := map[string]bool{}
	for _, e := range registry.All() {
		for _, typ := range e.Types {
			covered[typ] = true
		}
	}
	methods := map[string]map[string]bool{} // "pkg.Type" -> method names
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) == 0 {
				continue
			}
			if fn.Name.Name != "Forward" && fn.Name.Name != "Inverse" {
				continue
			}
			// Bijector methods take (scope, node, cond): three parameters.
			if fn.Type.Params.NumFields() != 3 {
				continue
			}
			typ := fn.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			id, ok := typ.(*ast.Ident)
			if !ok {
				continue
			}
			key := f.Name.Name + "." + id.Name
			if methods[key] == nil {
				methods[key] = map[string]bool{}
			}
			methods[key][fn.Name.Name] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing, found []string
	for typ, ms := range methods {
		if ms["Forward"] && ms["Inverse"] {
			found = append(found, typ)
			if !covered[typ] {
				missing = append(missing, typ)
			}
		}
	}
	sort.Strings(missing)
	if len(found) < 5 {
		t.Fatalf("the source scan found only %v: it is broken", found)
	}
	if len(missing) > 0 {
		t.Fatalf("bijector types not in the registry (add an entry in flowkit/registry): %v", missing)
	}
}
