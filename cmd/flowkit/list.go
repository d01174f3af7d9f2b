package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/flowkit/flowkit/flowkit/registry"
)

const listHelp = `
Lists what the other commands accept: the flow families of train -flow (with their default
sizes), the datasets of train -data, and the bijectors of the registry that check runs on.
With no argument it lists all three.

Examples:
  flowkit list
  flowkit list families
  flowkit list bijectors
`

func runList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("list", "[families|datasets|bijectors]", listHelp)
	what, err := parseFlags(fs, args, stdout)
	if err != nil {
		return err
	}
	show := map[string]bool{}
	for _, w := range what {
		switch w {
		case "families", "datasets", "bijectors":
			show[w] = true
		default:
			return usagef("%q: want families, datasets or bijectors", w)
		}
	}
	all := len(show) == 0
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	sep := ""
	if all || show["families"] {
		fmt.Fprintln(tw, "FAMILY\tKIND\tDEFAULTS\tDESCRIPTION")
		for _, f := range families {
			def := fmt.Sprintf("-layers %d", f.Layers)
			if len(f.Hidden) > 0 {
				h := intList(f.Hidden)
				def += " -hidden " + h.String()
			}
			if f.Bins > 0 {
				def += fmt.Sprintf(" -bins %d", f.Bins)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Kind, def, f.Description)
		}
		sep = "\n"
	}
	if all || show["datasets"] {
		fmt.Fprint(tw, sep)
		fmt.Fprintln(tw, "DATASET\tDIMS\tDEFAULT N\tDESCRIPTION")
		for _, d := range allDatasets() {
			dims := fmt.Sprint(d.Dims)
			if d.Image != nil {
				dims = fmt.Sprintf("%d×%d", d.Image[0], d.Image[1])
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", d.Name, dims, d.DefaultN, d.Description)
		}
		sep = "\n"
	}
	if all || show["bijectors"] {
		fmt.Fprint(tw, sep)
		fmt.Fprintln(tw, "BIJECTOR (flowkit check NAME)\tTYPES")
		for _, e := range registry.All() {
			fmt.Fprintf(tw, "%s\t%s\n", e.Name, strings.Join(e.Types, ", "))
		}
	}
	return tw.Flush()
}
