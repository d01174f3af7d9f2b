// Command flowkit trains, samples, evaluates and draws normalizing flows from the terminal.
//
//	flowkit train   -flow realnvp -data moons -steps 2000 -ckpt runs/moons
//	flowkit density -ckpt runs/moons -o moons.png
//	flowkit eval    -ckpt runs/moons
//	flowkit sample  -ckpt runs/moons -n 1000 -o samples.csv
//	flowkit check   -d 4 elementwise/rqspline
//	flowkit list
//
// A model lives in its checkpoint directory: the checkpoints written by flowkit/fit (GoMLX's
// format plus a SHA-256 manifest, in step-NNNNNNNN folders) and flowkit.json, which records the
// flow family, its sizes and the dataset, so that sample, eval and density rebuild the same
// architecture. `flowkit train` on a directory that already holds a model resumes it.
//
// Every subcommand has its own flags (Go's flag package: -name value or -name=value) and
// explains itself with -h. Exit codes: 0 success, 1 runtime failure (a missing or damaged
// checkpoint, a training failure, a failed check), 2 usage error (an unknown flag, subcommand,
// flow family or dataset; a bad flag value). Errors are printed on one line of stderr, naming
// the flag or file at fault.
//
// The backend is GoMLX's pure-Go backend unless GOMLX_BACKEND says otherwise (e.g. xla:cpu,
// xla:cuda; see package flowkit/backend). Build with GOEXPERIMENT=simd for faster matmuls.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // usage error
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", "train a flow on a dataset, saving checkpoints (resumes an existing run)", runTrain},
		{"sample", "draw samples from a trained flow to CSV, NPY or a PNG (image grid, 2D scatter)", runSample},
		{"eval", "print a trained flow's test negative log-likelihood (and bits/dim for images)", runEval},
		{"density", "draw a 2D flow's density as a PNG or SVG heat map", runDensity},
		{"check", "run the verification harness on registered bijectors", runCheck},
		{"list", "list flow families, datasets and registered bijectors", runList},
	}
}

const topUsage = `flowkit: normalizing flows from the terminal.

Usage:
  flowkit <command> [flags]

Commands:
%s
Examples:
  flowkit train -flow realnvp -data moons -steps 2000 -ckpt runs/moons
  flowkit density -ckpt runs/moons -o moons.png
  flowkit eval -ckpt runs/moons
  flowkit sample -ckpt runs/moons -n 1000 -o samples.csv

Run 'flowkit <command> -h' for a command's flags and examples.
Exit codes: 0 ok, 1 runtime failure, 2 usage error.
Backend: GoMLX's pure-Go backend, or GOMLX_BACKEND=xla:cpu / xla:cuda (see flowkit/backend).
`

func printTopUsage(w io.Writer) {
	var sb strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&sb, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, topUsage, sb.String())
}

// run executes the command line args (without the program name) and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printTopUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			return run([]string{args[1], "-h"}, stdout, stderr)
		}
		printTopUsage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return report(stderr, name, c.run(args[1:], stdout, stderr))
		}
	}
	fmt.Fprintf(stderr, "flowkit: unknown command %q (commands: %s; run 'flowkit -h')\n", name, strings.Join(commandNames(), ", "))
	return exitUsage
}

func commandNames() []string {
	var out []string
	for _, c := range commands() {
		out = append(out, c.name)
	}
	return out
}

// report prints err on one line and returns the exit code it stands for.
func report(stderr io.Writer, cmd string, err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	code := exitFailure
	var ue *usageError
	if errors.As(err, &ue) {
		code = exitUsage
	}
	fmt.Fprintf(stderr, "flowkit %s: %s\n", cmd, oneLine(err.Error()))
	return code
}

// oneLine folds a multi-line message into one line. Lines are joined with a space, except that
// a line starting a new item ("name: ...", "- ...") after a line not ending in ':' is joined
// with "; ".
func oneLine(s string) string {
	var sb strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if prev := sb.String(); prev != "" {
			if !strings.HasSuffix(prev, ":") && itemStart.MatchString(l) {
				sb.WriteString("; ")
			} else {
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(l)
	}
	return sb.String()
}

// itemStart matches a line that starts a new item of a message: "name: ..." or a bullet.
var itemStart = regexp.MustCompile(`^(\S+:(\s|$)|[-*] )`)

// usageError is a bad invocation: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// errHelp reports that -h was given and the usage was printed: exit code 0.
var errHelp = errors.New("help requested")

// newFlagSet returns a flag set whose usage text is the summary and examples of cmd followed by
// its flags.
func newFlagSet(cmd, synopsis, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: flowkit %s %s\n\n%s\nFlags:\n", cmd, synopsis, strings.TrimLeft(help, "\n"))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs, allowing positional arguments between flags, and returns the
// positional arguments. -h prints the usage to stdout and returns errHelp; a bad flag is a
// usageError naming it.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, errHelp
		}
		if err != nil {
			return nil, usagef("%v (run 'flowkit %s -h' for help)", err, fs.Name())
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// noArgs is a usage error for unexpected positional arguments.
func noArgs(fs *flag.FlagSet, pos []string) error {
	if len(pos) > 0 {
		return usagef("unexpected argument %q: flags start with '-' (run 'flowkit %s -h' for help)", pos[0], fs.Name())
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	out := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { out[f.Name] = true })
	return out
}

// intList is a flag of comma-separated positive integers, e.g. -hidden 64,64.
type intList []int

func (l *intList) String() string { return joinList(l) }

// joinList formats a list flag's values comma-separated ("" for a nil flag).
func joinList[T int | float64, L ~[]T](l *L) string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	var out []int
	if strings.TrimSpace(v) != "" {
		for _, part := range strings.Split(v, ",") {
			var n int
			if _, err := fmt.Sscanf(strings.TrimSpace(part), "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != strings.TrimSpace(part) {
				return fmt.Errorf("want comma-separated positive integers, e.g. 64,64")
			}
			out = append(out, n)
		}
	}
	*l = out
	return nil
}
