// Command flowbench runs flowkit's performance suite (package flowkit/bench): each configuration
// in its own process, so its peak memory is its own, then prints a Markdown table with the peers'
// figures beside flowkit's and appends the results to a JSON-lines file for later comparison.
//
//	go run ./cmd/flowbench                       # every configuration, speed only
//	go run ./cmd/flowbench -quality 2000         # also the test NLL after 2,000 steps
//	go run ./cmd/flowbench -config realnvp,nsf -steps 500
//	go run ./cmd/flowbench -memory 8,64 -batch 4096   # peak RSS against depth, with and without recomputation
//
// `make bench` runs it with GOEXPERIMENT=simd. GOMLX_BACKEND selects the backend as everywhere
// in flowkit (e.g. xla:cpu where a PJRT plugin is installed).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/flowkit/flowkit/flowkit/bench"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flowbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configsFlag := fs.String("config", "", "comma-separated configurations (default: all)")
	steps := fs.Int("steps", 200, "timed training steps per configuration")
	quality := fs.Int("quality", 0, "also train this many steps and report the test NLL (issue 12 uses 2000)")
	points := fs.Int("points", 10000, "points for the density and sampling throughput")
	out := fs.String("out", filepath.Join("build", "bench", "results.jsonl"), "JSON-lines file the results are appended to (empty: none)")
	child := fs.String("child", "", "internal: measure one configuration in this process and print its JSON")
	memory := fs.String("memory", "", "instead: peak RSS of training RealNVP stacks of these depths (e.g. 8,64), with and without fit.Config.Recompute")
	memBatch := fs.Int("batch", 512, "with -memory: the batch size")
	memChild := fs.String("memchild", "", "internal: one -memory measurement, depth,recompute")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: flowbench [flags]\n\nRuns flowkit's benchmark configurations and prints a Markdown table.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := bench.Options{Steps: *steps, QualitySteps: *quality, Points: *points}
	if *memChild != "" {
		var depth int
		var recompute bool
		if _, err := fmt.Sscanf(*memChild, "%d,%t", &depth, &recompute); err != nil {
			fmt.Fprintf(stderr, "flowbench: -memchild %q: %v\n", *memChild, err)
			return 2
		}
		r, err := bench.MeasureMemory(depth, *memBatch, *steps, recompute)
		if err != nil {
			fmt.Fprintln(stderr, "flowbench:", err)
			return 1
		}
		if err := json.NewEncoder(stdout).Encode(r); err != nil {
			fmt.Fprintln(stderr, "flowbench:", err)
			return 1
		}
		return 0
	}
	if *memory != "" {
		return runMemory(*memory, *memBatch, *steps, stdout, stderr)
	}
	if *child != "" {
		cfg, err := bench.Get(*child)
		if err != nil {
			fmt.Fprintln(stderr, "flowbench:", err)
			return 2
		}
		r, err := bench.Measure(cfg, opts)
		if err != nil {
			fmt.Fprintln(stderr, "flowbench:", err)
			return 1
		}
		if err := json.NewEncoder(stdout).Encode(r); err != nil {
			fmt.Fprintln(stderr, "flowbench:", err)
			return 1
		}
		return 0
	}
	var names []string
	if *configsFlag == "" {
		for _, c := range bench.Configs() {
			names = append(names, c.Name)
		}
	} else {
		for _, n := range strings.Split(*configsFlag, ",") {
			if _, err := bench.Get(strings.TrimSpace(n)); err != nil {
				fmt.Fprintln(stderr, "flowbench: -config:", err)
				return 2
			}
			names = append(names, strings.TrimSpace(n))
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "flowbench:", err)
		return 1
	}
	var results []bench.Result
	for _, n := range names {
		fmt.Fprintf(stderr, "flowbench: measuring %s ...\n", n)
		r, err := runChild[bench.Result](self, stderr, "-child", n, "-steps", fmt.Sprint(*steps),
			"-quality", fmt.Sprint(*quality), "-points", fmt.Sprint(*points))
		if err != nil {
			fmt.Fprintf(stderr, "flowbench: %s: %v\n", n, err)
			return 1
		}
		results = append(results, r)
	}
	fmt.Fprint(stdout, bench.Markdown(results))
	if *out != "" {
		if err := appendResults(*out, results); err != nil {
			fmt.Fprintln(stderr, "flowbench:", err)
			return 1
		}
		fmt.Fprintf(stderr, "flowbench: results appended to %s\n", *out)
	}
	return 0
}

func appendResults(path string, rs []bench.Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runMemory measures each depth with and without recomputation, each in a child process.
func runMemory(depths string, batch, steps int, stdout, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "flowbench:", err)
		return 1
	}
	var rs []bench.MemoryResult
	for _, d := range strings.Split(depths, ",") {
		var depth int
		if _, err := fmt.Sscanf(strings.TrimSpace(d), "%d", &depth); err != nil || depth < 1 {
			fmt.Fprintf(stderr, "flowbench: -memory %q: %q is not a positive depth\n", depths, d)
			return 2
		}
		for _, rec := range []bool{false, true} {
			fmt.Fprintf(stderr, "flowbench: memory of %d couplings, batch %d, recompute %v ...\n", depth, batch, rec)
			r, err := runChild[bench.MemoryResult](self, stderr, "-memchild", fmt.Sprintf("%d,%v", depth, rec),
				"-batch", fmt.Sprint(batch), "-steps", fmt.Sprint(steps))
			if err != nil {
				fmt.Fprintf(stderr, "flowbench: depth %d: %v\n", depth, err)
				return 1
			}
			rs = append(rs, r)
		}
	}
	fmt.Fprint(stdout, bench.MemoryMarkdown(rs))
	return 0
}

// runChild runs this program again with args (one measurement in a process of its own, so its
// peak memory is its own; the child's stderr goes to stderr) and decodes the JSON it prints.
func runChild[T any](self string, stderr io.Writer, args ...string) (T, error) {
	var r T
	cmd := exec.Command(self, args...)
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		return r, fmt.Errorf("failed: %w", err)
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("bad result %q: %w", out, err)
	}
	return r, nil
}
