package coupling_test

import (
	"testing"

	"github.com/flowkit/flowkit/flowkit/coupling"
)

// TestMasks checks the masks' patterns and their complements.
func TestMasks(t *testing.T) {
	count := func(m coupling.Mask) string {
		s := ""
		for _, k := range m.Keep() {
			if k {
				s += "1"
			} else {
				s += "0"
			}
		}
		return s
	}
	cases := []struct {
		m    coupling.Mask
		want string
	}{
		{coupling.Half(5), "11000"},
		{coupling.Half(5).Swap(), "00111"},
		{coupling.KeepFirst(4, 3), "1110"},
		{coupling.Alternating(5, 0), "10101"},
		{coupling.Alternating(5, 1), "01010"},
		{coupling.Checkerboard(2, 3, 1, 0), "101010"},
		{coupling.Checkerboard(2, 2, 2, 1), "00111100"},
		{coupling.Channels(1, 2, 3, 0), "100100"},
		{coupling.Channels(1, 2, 3, 1), "011011"},
	}
	for _, c := range cases {
		if got := count(c.m); got != c.want {
			t.Errorf("%s: pattern %s, want %s", c.m, got, c.want)
		}
		if got := count(c.m.Swap().Swap()); got != c.want {
			t.Errorf("%s: Swap().Swap() gives %s", c.m, got)
		}
	}
	p := coupling.Half(3).Pattern(3) // keeps 0
	want := [][]bool{{true, false, false}, {true, true, false}, {true, false, true}}
	for i := range want {
		for j := range want[i] {
			if p[i][j] != want[i][j] {
				t.Fatalf("Half(3).Pattern = %v, want %v", p, want)
			}
		}
	}
}

// TestNewMaskErrors: NewMask rejects a pattern that does not fit its event.
func TestNewMaskErrors(t *testing.T) {
	if _, err := coupling.NewMask([]int{2, 2}, []bool{true}); err == nil {
		t.Fatal("NewMask accepted 1 entry for 4 elements")
	}
	if _, err := coupling.NewMask([]int{0}, nil); err == nil {
		t.Fatal("NewMask accepted an event with a zero dimension")
	}
	m, err := coupling.NewMask([]int{3}, []bool{false, true, false})
	if err != nil {
		t.Fatal(err)
	}
	if m.Kept() != 1 || m.Size() != 3 {
		t.Fatalf("%s: kept %d of %d, want 1 of 3", m, m.Kept(), m.Size())
	}
}
