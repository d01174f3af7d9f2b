package main

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/flowkit/flowkit/flowkit/check"
	"github.com/flowkit/flowkit/flowkit/registry"
)

const checkHelp = `
Runs flowkit's verification harness (package flowkit/check) on registered bijectors, in
float64, on random inputs and randomly perturbed parameters: round trip f⁻¹(f(z)) = z, the
log-determinant against the exact Jacobian, the inverse's log-determinant, batch independence,
finite gradients and, where declared, the Jacobian's zero pattern. Prints one report table per
bijector; the exit code is 1 when any property fails.

NAME is a registry entry (flowkit list bijectors) or a pattern with * (quote it in the shell).
Entries that need a particular event shape (images) use their own and ignore -d.

Examples:
  flowkit check elementwise/rqspline
  flowkit check -d 5 -batch 16 linear/lu
  flowkit check 'elementwise/*'
  flowkit check -all
`

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", "[flags] NAME...", checkHelp)
	d := fs.Int("d", 3, "event size D of the random inputs")
	batch := fs.Int("batch", 8, "random examples per check (at least 2)")
	seed := fs.Uint64("seed", 1, "random seed of the inputs and the parameter perturbation")
	all := fs.Bool("all", false, "check every registered bijector")
	names, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	switch {
	case *d <= 0 || *d > 512:
		return usagef("-d %d: want an event size between 1 and 512", *d)
	case *batch < 2:
		return usagef("-batch %d: want at least 2 examples (batch independence needs two)", *batch)
	case *all && len(names) > 0:
		return usagef("-all and names both given: use one")
	case !*all && len(names) == 0:
		return usagef("no bijector named: give NAME (see flowkit list bijectors) or -all")
	}
	var entries []registry.Entry
	if *all {
		entries = registry.All()
	}
	for _, name := range names {
		if strings.Contains(name, "*") {
			var matched []registry.Entry
			for _, e := range registry.All() {
				if ok, _ := path.Match(name, e.Name); ok {
					matched = append(matched, e)
				}
			}
			if len(matched) == 0 {
				return usagef("%q matches no registered bijector (see flowkit list bijectors)", name)
			}
			entries = append(entries, matched...)
			continue
		}
		e, err := registry.Get(name)
		if err != nil {
			return usagef("%q: no such bijector in the registry (see flowkit list bijectors)", name)
		}
		entries = append(entries, e)
	}
	var failed []string
	for _, e := range entries {
		opts := e.OptionsFor(*d)
		opts.Batch, opts.Seed = *batch, *seed
		r, err := runOneCheck(e, *d, opts)
		if err != nil {
			fmt.Fprintf(stdout, "%s: could not run: %s\n\n", e.Name, oneLine(err.Error()))
			failed = append(failed, e.Name)
			continue
		}
		fmt.Fprintf(stdout, "%s (registry entry %s)\n%s\n", r.Bijector, e.Name, r)
		if !r.OK() {
			failed = append(failed, e.Name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d bijectors failed: %s", len(failed), len(entries), strings.Join(failed, ", "))
	}
	fmt.Fprintf(stdout, "all %d passed\n", len(entries))
	return nil
}

func runOneCheck(e registry.Entry, d int, opts check.Options) (r *check.Report, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("%v", p)
		}
	}()
	return check.Bijector(e.New(d), opts)
}
