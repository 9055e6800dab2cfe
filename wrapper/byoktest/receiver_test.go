package byoktest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestServerReceiverIsS checks that every method of Server names its
// receiver s, as go doc shows it (func (s *Server) Seed…): the type was
// once Handler, and its methods kept the receiver h.
func TestServerReceiverIsS(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	methods := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			field := fd.Recv.List[0]
			if typ := strings.TrimPrefix(recvType(field.Type), "*"); typ != "Server" {
				continue
			}
			methods++
			if len(field.Names) != 1 || field.Names[0].Name != "s" {
				t.Errorf("%s: method %s has receiver %v; want s", fset.Position(fd.Pos()), fd.Name.Name, field.Names)
			}
		}
	}
	if methods == 0 {
		t.Fatal("no method of Server found")
	}
}

// recvType returns the receiver type expression as written: Server or *Server.
func recvType(e ast.Expr) string {
	if star, ok := e.(*ast.StarExpr); ok {
		return "*" + recvType(star.X)
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}
