//go:build unix

package notebooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Environment variables read by the harness.
const (
	// envRun, set to 1, makes TestNotebooks execute the notebooks (`make test` sets it): plain
	// `go test ./...` skips them, they are slow.
	envRun = "FLOWKIT_NOTEBOOKS"
	// envNotebookTimeout bounds one notebook's whole execution (a Go duration; default 20m).
	envNotebookTimeout = "FLOWKIT_NOTEBOOK_TIMEOUT"
	// envCellTimeout bounds one cell (a Go duration; default 10m): nbconvert's
	// ExecutePreprocessor.timeout.
	envCellTimeout = "FLOWKIT_CELL_TIMEOUT"
	// envJupyter overrides the jupyter command (default /usr/bin/jupyter, Debian's).
	envJupyter = "FLOWKIT_JUPYTER"
	// envJobs is how many notebooks execute at once (default 2: a notebook's kernel mostly keeps
	// one core busy, so two use a 2-core machine; 1 runs them one after the other, in order).
	envJobs = "FLOWKIT_NOTEBOOK_JOBS"
)

// kernelName is the kernelspec every notebook names and scripts/setup.sh registers.
const kernelName = "gonb"

// chartMarker is in the HTML of every chart viz displays (one per chart).
const chartMarker = `class="flowkit-echarts"`

// ---------------------------------------------------------------------------------------------
// The .ipynb format (nbformat 4), as much of it as the harness reads.

type notebook struct {
	NBFormat int    `json:"nbformat"`
	Cells    []cell `json:"cells"`
	Metadata struct {
		Kernelspec struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
	} `json:"metadata"`
}

type cell struct {
	CellType       string    `json:"cell_type"`
	Source         multiline `json:"source"`
	ExecutionCount *int      `json:"execution_count"`
	Outputs        []output  `json:"outputs"`
}

type output struct {
	OutputType string                     `json:"output_type"` // stream, display_data, execute_result, error
	Name       string                     `json:"name"`        // stream: stdout or stderr
	Text       multiline                  `json:"text"`        // stream
	Data       map[string]json.RawMessage `json:"data"`        // display_data, execute_result
	EName      string                     `json:"ename"`       // error
	EValue     string                     `json:"evalue"`      // error
	Traceback  []string                   `json:"traceback"`   // error
}

// multiline is nbformat's text: a string or a list of strings to concatenate.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil {
		return err
	}
	*m = multiline(strings.Join(parts, ""))
	return nil
}

// html returns the output's text/html data, if any.
func (o output) html() string {
	raw, ok := o.Data["text/html"]
	if !ok {
		return ""
	}
	var m multiline
	if err := json.Unmarshal(raw, &m); err != nil {
		return ""
	}
	return string(m)
}

func readNotebook(path string) (*notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("%s: not a valid notebook: %w", path, err)
	}
	return &nb, nil
}

// ---------------------------------------------------------------------------------------------
// Locations.

// repoRoot is the module root: the test runs in <root>/notebooks.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

// notebookPaths lists <root>/notebooks/*.ipynb in reading (name) order.
func notebookPaths(t *testing.T, root string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "notebooks", "*.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	if len(paths) == 0 {
		t.Fatalf("no notebooks in %s", filepath.Join(root, "notebooks"))
	}
	return paths
}

func nbName(path string) string { return strings.TrimSuffix(filepath.Base(path), ".ipynb") }

// ---------------------------------------------------------------------------------------------
// TestCommittedNotebooksAreClean runs with every `go test`: notebooks are committed without
// outputs, name the gonb kernel, are numbered, and start with the cell that points GoNB at this
// repository's module.

var numbered = regexp.MustCompile(`^\d\d_[a-z0-9_]+$`)

func TestCommittedNotebooksAreClean(t *testing.T) {
	root := repoRoot(t)
	for _, path := range notebookPaths(t, root) {
		name := filepath.Base(path)
		nb, err := readNotebook(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if nb.NBFormat != 4 {
			t.Errorf("%s: nbformat %d, want 4", name, nb.NBFormat)
		}
		if !numbered.MatchString(nbName(path)) {
			t.Errorf("%s: name must be NN_lower_snake_case.ipynb (numbered in reading order)", name)
		}
		if nb.Metadata.Kernelspec.Name != kernelName {
			t.Errorf("%s: kernelspec %q, want %q", name, nb.Metadata.Kernelspec.Name, kernelName)
		}
		firstCode := -1
		for i, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			if firstCode < 0 {
				firstCode = i
			}
			if len(c.Outputs) > 0 || c.ExecutionCount != nil {
				t.Errorf("%s: cell %d has stored outputs or an execution count: clear them before "+
					"committing (Jupyter: Edit > Clear All Outputs; or "+
					"jupyter nbconvert --clear-output --inplace notebooks/%s)", name, i+1, name)
			}
		}
		if firstCode < 0 {
			t.Errorf("%s: no code cells", name)
			continue
		}
		src := string(nb.Cells[firstCode].Source)
		for _, want := range []string{"go work use", "%goworkfix", "%noautoget", "GOEXPERIMENT"} {
			if !strings.Contains(src, want) {
				t.Errorf("%s: the first code cell must point GoNB at the repository (go.work, "+
					"%%goworkfix, %%noautoget, GOEXPERIMENT=simd); it lacks %q. Copy it from "+
					"00_getting_started.ipynb", name, want)
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------
// TestNotebooks executes every notebook (FLOWKIT_NOTEBOOKS=1).

func TestNotebooks(t *testing.T) {
	if os.Getenv(envRun) != "1" {
		t.Skipf("set %s=1 to execute the notebooks (make test does, with FLOWKIT_QUICK=1)", envRun)
	}
	root := repoRoot(t)
	jupyter := jupyterCommand(t)
	kernelJSON := filepath.Join(root, "build", "jupyter", "kernels", kernelName, "kernel.json")
	if _, err := os.Stat(kernelJSON); err != nil {
		t.Fatalf("the gonb kernel is not registered (%v): run `make setup` (scripts/setup.sh)", err)
	}
	nbTimeout := durationEnv(t, envNotebookTimeout, 20*time.Minute)
	cellTimeout := durationEnv(t, envCellTimeout, 10*time.Minute)
	outDir := filepath.Join(root, "build", "notebooks")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &runner{root: root, jupyter: jupyter, outDir: outDir, nbTimeout: nbTimeout, cellTimeout: cellTimeout}
	if os.Getenv("FLOWKIT_QUICK") == "" {
		t.Logf("FLOWKIT_QUICK is not set: notebooks run their full training budgets")
	}
	jobs := 2
	if v := os.Getenv(envJobs); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of notebooks to run at once", envJobs, v)
		}
		jobs = n
	}
	slots := make(chan struct{}, jobs)
	for _, path := range notebookPaths(t, root) {
		t.Run(nbName(path), func(t *testing.T) {
			if jobs > 1 {
				t.Parallel()
			}
			slots <- struct{}{}
			defer func() { <-slots }()
			r.run(t, path)
		})
	}
}

type runner struct {
	root, jupyter, outDir  string
	nbTimeout, cellTimeout time.Duration
}

func jupyterCommand(t *testing.T) string {
	t.Helper()
	if j := os.Getenv(envJupyter); j != "" {
		return j
	}
	// Debian's jupyter runs /usr/bin/python3; a python3 earlier on PATH (pyenv, venv) may lack
	// the jupyter modules, so prefer the absolute path.
	if _, err := os.Stat("/usr/bin/jupyter"); err == nil {
		return "/usr/bin/jupyter"
	}
	j, err := exec.LookPath("jupyter")
	if err != nil {
		t.Fatalf("jupyter not found: run `make setup` (scripts/setup.sh installs Debian's jupyter packages)")
	}
	return j
}

func durationEnv(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive Go duration such as 15m", name, v)
	}
	return d
}

// env is the environment of jupyter and so of the kernel: this checkout's kernelspec first.
func (r *runner) env() []string {
	jpath := filepath.Join(r.root, "build", "jupyter")
	if old := os.Getenv("JUPYTER_PATH"); old != "" {
		jpath += ":" + old
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "JUPYTER_PATH=") || strings.HasPrefix(kv, "PATH=")
	})
	return append(env,
		"JUPYTER_PATH="+jpath,
		"PATH="+filepath.Join(r.root, "build", "bin")+":"+os.Getenv("PATH"),
		"PYTHONUNBUFFERED=1",
	)
}

func (r *runner) run(t *testing.T, path string) {
	name := nbName(path)
	deadline := time.Now().Add(r.nbTimeout)
	if dl, ok := t.Deadline(); ok {
		// Leave time to report before `go test -timeout` panics.
		deadline = minTime(deadline, dl.Add(-time.Minute))
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	executed := filepath.Join(r.outDir, name+".ipynb")
	htmlPath := filepath.Join(r.outDir, name+".html")
	logPath := filepath.Join(r.outDir, name+".log")
	for _, p := range []string{executed, htmlPath} {
		_ = os.Remove(p)
	}

	// 1. Execute. --allow-errors: nbconvert writes the executed notebook even when a cell fails,
	// so the failure can be reported with its cell and text; later cells still run.
	start := time.Now()
	err := r.jupyterRun(ctx, logPath, false, "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
		"--ExecutePreprocessor.timeout="+strconv.Itoa(int(r.cellTimeout.Seconds())),
		"--ExecutePreprocessor.kernel_name="+kernelName,
		"--output-dir", r.outDir, path)
	elapsed := time.Since(start).Round(time.Second)
	if err != nil {
		if ctx.Err() != nil {
			t.Fatalf("%s.ipynb: did not finish within %s (%s=%s); the kernel's last log lines (%s):\n%s",
				name, time.Since(start).Round(time.Second), envNotebookTimeout, r.nbTimeout, logPath, logTail(logPath, 40))
		}
		t.Fatalf("%s.ipynb: jupyter nbconvert --execute failed after %s: %v\nlast log lines (%s):\n%s",
			name, elapsed, err, logPath, logTail(logPath, 40))
	}
	t.Logf("%s.ipynb: executed in %s -> %s", name, elapsed, executed)

	nb, err := readNotebook(executed)
	if err != nil {
		t.Fatal(err)
	}
	problems := cellProblems(nb)
	for _, p := range problems {
		t.Errorf("%s.ipynb: %s", name, p)
	}

	// 2. Render to HTML (also when cells failed: the page helps to see why).
	if err := r.jupyterRun(ctx, logPath, true, "nbconvert", "--to", "html", "--output-dir", r.outDir, executed); err != nil {
		t.Fatalf("%s: jupyter nbconvert --to html failed: %v\n%s", name, err, logTail(logPath, 20))
	}
	if len(problems) > 0 {
		t.FailNow() // A chart check on a notebook whose cells failed says nothing more.
	}

	// 3. Check in a real browser that its charts draw.
	expected := 0
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			expected += strings.Count(o.html(), chartMarker)
		}
	}
	checkInBrowser(t, ctx, name, htmlPath, expected)
}

// jupyterRun runs jupyter with args, its output (and the kernel's log) going to logPath, in its
// own process group so that a time-out ends the kernel and the cell programs too.
func (r *runner) jupyterRun(ctx context.Context, logPath string, appendLog bool, args ...string) error {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendLog {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	logFile, err := os.OpenFile(logPath, flags, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "\n$ %s %s\n", r.jupyter, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, r.jupyter, args...)
	cmd.Dir = filepath.Join(r.root, "notebooks")
	cmd.Env = r.env()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// jupyter_client starts the kernel in a session of its own, so killing nbconvert's process
	// group does not reach it: every process of this run carries a marker in its environment
	// (the kernel and the cell programs inherit it), and whatever still has it at the end is ended.
	marker := fmt.Sprintf("%s=%d-%d", envRunMarker, os.Getpid(), time.Now().UnixNano())
	cmd.Env = append(cmd.Env, marker)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		killMarked(marker)
		return err
	}
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if n := killMarked(marker); n > 0 {
		fmt.Fprintf(logFile, "\n[notebook test] ended %d leftover process(es) of this run (kernel, cell programs)\n", n)
	}
	return err
}

// envRunMarker names the environment variable that marks the processes of one jupyter run.
const envRunMarker = "FLOWKIT_NOTEBOOK_RUN"

// killMarked sends SIGKILL to every process whose environment holds marker ("NAME=value"),
// found through /proc (Linux; elsewhere it finds nothing), and returns how many it signalled.
func killMarked(marker string) int {
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	want := []byte(marker)
	n := 0
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(data, []byte{0}) {
			if bytes.Equal(kv, want) {
				pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
				if err == nil && pid != os.Getpid() && syscall.Kill(pid, syscall.SIGKILL) == nil {
					n++
				}
				break
			}
		}
	}
	return n
}

// ---------------------------------------------------------------------------------------------
// Reading failures out of an executed notebook.

var (
	ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
	// What in a stderr stream means the cell's Go code failed to build or crashed: GoNB shows
	// compile errors with the package header "# gonb_<id>" and positions in main.go, annotated
	// with "[[ Cell [N] Line M ]]"; a crash prints "panic: " or "fatal error: ".
	stderrFailure = regexp.MustCompile(`(?m)^(panic: |fatal error: |# gonb_)|main(_test)?\.go:\d+:\d+: |\[\[ Cell \[\d+\] Line \d+ \]\]`)
	htmlStyle     = regexp.MustCompile(`(?is)<(style|script)\b.*?</(style|script)>`)
	htmlTag       = regexp.MustCompile(`(?s)<[^>]*>`)
	blankLines    = regexp.MustCompile(`\n\s*\n+`)
)

// cellProblems describes every failed cell of an executed notebook: an "error" output (GoNB
// reports a failed build, a failed `go get`, a non-zero exit and a panic this way) or a stderr
// stream that shows a compile error or a panic. Each names the cell (1-based, counting markdown
// cells, as Jupyter shows them top to bottom), its execution count, the error text and the
// start of its source.
func cellProblems(nb *notebook) []string {
	var problems []string
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		var errs, details []string
		for _, o := range c.Outputs {
			switch {
			case o.OutputType == "error":
				errs = append(errs, strings.TrimSpace(o.EName+": "+o.EValue))
				if tb := ansiEscape.ReplaceAllString(strings.Join(o.Traceback, "\n"), ""); tb != o.EValue && tb != "" {
					details = append(details, tb)
				}
			case o.OutputType == "stream" && o.Name == "stderr":
				text := ansiEscape.ReplaceAllString(string(o.Text), "")
				if stderrFailure.MatchString(text) {
					if len(errs) == 0 {
						errs = append(errs, "stderr shows a build error or a panic")
					}
				}
				details = append(details, "stderr: "+text)
			case strings.Contains(o.html(), "gonb-err") || strings.Contains(o.html(), "application/vnd.jupyter.stderr"):
				// GoNB's HTML report of a compile error, with the cell line it points at.
				details = append(details, htmlText(o.html()))
			}
		}
		if len(errs) == 0 {
			continue
		}
		count := "not run"
		if c.ExecutionCount != nil {
			count = fmt.Sprintf("In [%d]", *c.ExecutionCount)
		}
		problems = append(problems, fmt.Sprintf("cell %d (%s) failed: %s\n%s\n--- cell source:\n%s",
			i+1, count, strings.Join(errs, "; "), clip(strings.Join(details, "\n"), 4000),
			indent(clip(string(c.Source), 1500))))
	}
	return problems
}

func htmlText(s string) string {
	s = htmlStyle.ReplaceAllString(s, "")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	return strings.TrimSpace(blankLines.ReplaceAllString(s, "\n"))
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n[... clipped]"
}

func indent(s string) string { return "    | " + strings.ReplaceAll(s, "\n", "\n    | ") }

// logTail returns the last n lines of the log file, without terminal colours.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(ansiEscape.ReplaceAll(data, nil), "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
