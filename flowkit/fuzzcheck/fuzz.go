package fuzzcheck

import (
	"fmt"
	"sync"
	"testing"
)

// Checker is a compiled fuzz target: TransformerHarness, BijectorHarness or Multi.
type Checker interface {
	Check(data []byte) error
	InputLen() int
	String() string
}

// Fuzz adds a deterministic seed corpus (Seeds) of c's input length to f and fuzzes c: every
// input that breaks the invariant fails with the harness's description. The graph is compiled
// once (c is built before), so each input costs one execution.
//
//	func FuzzRQSpline(f *testing.F) {
//		h, err := fuzzcheck.NewTransformerHarness(fuzzcheck.TransformerTarget{...})
//		if err != nil { f.Fatal(err) }
//		fuzzcheck.Fuzz(f, h)
//	}
func Fuzz(f *testing.F, c Checker) {
	for _, s := range Seeds(16, c.InputLen()) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := c.Check(data); err != nil {
			t.Fatal(err)
		}
	})
}

// Multi fuzzes several targets in one fuzz function: the first byte of an input picks the
// target, the rest feeds it. Targets are built on first use and kept, so each graph compiles
// once per process. Use it to fuzz every registry entry of a family with one fuzz target.
type Multi struct {
	Names []string
	build []func() (Checker, error)
	mu    sync.Mutex
	built []Checker
	errs  []error
}

// Add registers a target under name, built by build when first needed.
func (m *Multi) Add(name string, build func() (Checker, error)) {
	m.Names = append(m.Names, name)
	m.build = append(m.build, build)
	m.built = append(m.built, nil)
	m.errs = append(m.errs, nil)
}

func (m *Multi) get(i int) (Checker, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.built[i] == nil && m.errs[i] == nil {
		m.built[i], m.errs[i] = m.build[i]()
	}
	return m.built[i], m.errs[i]
}

// Check implements Checker.
func (m *Multi) Check(data []byte) error {
	if len(m.build) == 0 {
		return fmt.Errorf("fuzzcheck: Multi has no targets")
	}
	i := 0
	if len(data) > 0 {
		i = int(data[0]) % len(m.build)
		data = data[1:]
	}
	c, err := m.get(i)
	if err != nil {
		return fmt.Errorf("fuzzcheck: building %s: %w", m.Names[i], err)
	}
	return c.Check(data)
}

// InputLen implements Checker: one selector byte and the longest target's input.
func (m *Multi) InputLen() int {
	n := 0
	for i := range m.build {
		if c, err := m.get(i); err == nil {
			n = max(n, c.InputLen())
		}
	}
	return 1 + n
}

// String implements Checker.
func (m *Multi) String() string { return fmt.Sprintf("fuzzcheck.Multi%v", m.Names) }

// FuzzMulti is Fuzz for a Multi: its seed corpus gives every target the same seeds.
func FuzzMulti(f *testing.F, m *Multi) {
	seeds := Seeds(8, m.InputLen()-1)
	for i := range m.build {
		for _, s := range seeds {
			f.Add(append([]byte{byte(i)}, s...))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := m.Check(data); err != nil {
			t.Fatal(err)
		}
	})
}
