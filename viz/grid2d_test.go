package viz_test

import (
	"testing"

	"github.com/flowkit/flowkit/viz"
)

func TestGrid2D200x200IsOneFlatBatch(t *testing.T) {
	g := viz.NewGrid2D(-4, 4, -2, 2, 200, 200)
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	pts := g.Points()
	flat32, flat64 := g.Flat32(), g.Flat64()
	if g.Len() != 40000 || len(pts) != 40000 {
		t.Fatalf("Len() = %d, len(Points()) = %d, want 40000", g.Len(), len(pts))
	}
	if len(flat32) != 80000 || len(flat64) != 80000 {
		t.Fatalf("len(Flat32()) = %d, len(Flat64()) = %d, want 80000 (a [40000, 2] tensor)", len(flat32), len(flat64))
	}
	// Cell centres, x fastest, row 0 at YMin.
	if x, y := pts[0][0], pts[0][1]; x != -4+0.02 || y != -2+0.01 {
		t.Errorf("first point = (%g, %g), want (-3.98, -1.99)", x, y)
	}
	if k := g.Index(3, 7); pts[k][0] != g.X(3) || pts[k][1] != g.Y(7) || k != 7*200+3 {
		t.Errorf("Index(3, 7) = %d -> %v, want 1403 -> (%g, %g)", k, pts[k], g.X(3), g.Y(7))
	}
	for k, p := range pts {
		if flat64[2*k] != p[0] || flat64[2*k+1] != p[1] || flat32[2*k] != float32(p[0]) || flat32[2*k+1] != float32(p[1]) {
			t.Fatalf("point %d: Points %v, Flat64 %v, Flat32 %v disagree", k, p, flat64[2*k:2*k+2], flat32[2*k:2*k+2])
		}
	}
	if last := pts[len(pts)-1]; last[0] != g.X(199) || last[1] != g.Y(199) || last[0] >= 4 || last[1] >= 2 {
		t.Errorf("last point = %v", last)
	}
}

func TestGrid2DValidate(t *testing.T) {
	for _, g := range []viz.Grid2D{
		viz.NewGrid2D(0, 1, 0, 1, 0, 10),
		viz.NewGrid2D(1, 0, 0, 1, 10, 10),
		viz.NewGrid2D(0, 1, 0, 0, 10, 10),
	} {
		if g.Validate() == nil {
			t.Errorf("%+v: Validate() = nil, want an error", g)
		}
	}
}
