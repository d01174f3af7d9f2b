package bench

import (
	"os"
	"strings"
	"testing"
)

// TestPinnedGoMLXIsGoMod: the versions the table reports for builds without dependency
// information are the ones go.mod requires, so the constant cannot go stale.
func TestPinnedGoMLXIsGoMod(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "require" {
			f = f[1:]
		}
		if len(f) >= 2 && (f[0] == "github.com/gomlx/gomlx" || f[0] == "github.com/gomlx/compute") {
			want[f[0]] = f[1]
		}
	}
	g, c := want["github.com/gomlx/gomlx"], want["github.com/gomlx/compute"]
	if g == "" || c == "" {
		t.Fatalf("go.mod requires no GoMLX or compute version: %v", want)
	}
	if w := g + " (compute " + c + ")"; pinnedGoMLX != w {
		t.Fatalf("pinnedGoMLX = %q, go.mod says %q", pinnedGoMLX, w)
	}
	if got := GoMLXVersion(); got != pinnedGoMLX {
		t.Fatalf("GoMLXVersion() = %q in this test binary, want go.mod's %q", got, pinnedGoMLX)
	}
}
