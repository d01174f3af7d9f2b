package docker_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flowkit/flowkit/flowkit/backend"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dockerfiles are the images checked; both must pass every check.
var dockerfiles = []string{"Dockerfile", "Dockerfile.cuda"}

// setupScript is the set-up shared by the Makefile and the images, relative to the repository
// root (the build context).
const setupScript = "scripts/setup.sh"

// parsed is a Dockerfile parsed by BuildKit.
type parsed struct {
	name   string
	ast    *parser.Node
	stages []instructions.Stage
}

// final returns the commands of the last stage (the image).
func (p parsed) final() []instructions.Command { return p.stages[len(p.stages)-1].Commands }

// parseDockerfile parses src with BuildKit's parser and instruction parser, as `docker build`
// does before running anything.
func parseDockerfile(name, src string) (parsed, error) {
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		return parsed{}, err
	}
	if len(res.Warnings) > 0 {
		return parsed{}, &parseWarning{res.Warnings[0].Short}
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return parsed{}, err
	}
	if len(stages) == 0 {
		return parsed{}, &parseWarning{"no FROM: no build stage"}
	}
	return parsed{name: name, ast: res.AST, stages: stages}, nil
}

type parseWarning struct{ msg string }

func (w *parseWarning) Error() string { return w.msg }

func load(t *testing.T, name string) parsed {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseDockerfile(name, string(raw))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// runLines returns the shell text of every RUN of the final stage, in order, with its index
// among the stage's commands.
func runLines(p parsed) (idx []int, lines []string) {
	for i, c := range p.final() {
		if r, ok := c.(*instructions.RunCommand); ok {
			idx = append(idx, i)
			lines = append(lines, strings.Join(r.CmdLine, " "))
		}
	}
	return idx, lines
}

// TestInstructionsValid: both files parse, every instruction is one BuildKit knows, with valid
// arguments; a misspelt instruction is caught (the check can fail).
func TestInstructionsValid(t *testing.T) {
	for _, name := range dockerfiles {
		p := load(t, name)
		for _, n := range p.ast.Children {
			if _, err := instructions.ParseInstruction(n); err != nil {
				t.Errorf("%s line %d: %v", name, n.StartLine, err)
			}
		}
	}
	for _, bad := range []string{
		"FROM debian:12.12\nRUNN echo hi\n",                      // unknown instruction
		"FROM debian:12.12\nEXPOSE\n",                            // missing argument
		"FROM debian:12.12\nHEALTHCHECK --interval=x CMD true\n", // bad flag value
	} {
		if _, err := parseDockerfile("bad", bad); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}

// pinned reports whether an image reference names a tag other than latest (or a digest).
func pinned(ref string) bool {
	if strings.Contains(ref, "@sha256:") {
		return true
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	return ok && tag != "" && tag != "latest" && !strings.Contains(tag, "$")
}

// TestBaseImagesPinned: every FROM names an earlier stage or an image pinned by tag; the Go
// image is Debian 12 (bookworm) with the Go version go.mod asks for.
func TestBaseImagesPinned(t *testing.T) {
	for _, ref := range []string{"debian", "debian:latest", "golang:${GO}", "ghcr.io/x/y"} {
		if pinned(ref) {
			t.Errorf("pinned(%q) = true", ref)
		}
	}
	goVersion := goModVersion(t)
	for _, name := range dockerfiles {
		p := load(t, name)
		var names []string
		for _, st := range p.stages {
			base := st.BaseName
			switch {
			case slices.Contains(names, base):
			case !pinned(base):
				t.Errorf("%s: FROM %s is not pinned by tag (want image:tag, not latest)", name, base)
			case strings.HasPrefix(base, "golang:"):
				tag := strings.TrimPrefix(base, "golang:")
				if !strings.HasPrefix(tag, goVersion+"-") || !strings.HasSuffix(tag, "-bookworm") {
					t.Errorf("%s: FROM %s, want golang:%s-bookworm (go.mod's Go on Debian 12)", name, base, goVersion)
				}
			case strings.HasPrefix(base, "debian:"):
				if tag := strings.TrimPrefix(base, "debian:"); !strings.HasPrefix(tag, "12") && !strings.HasPrefix(tag, "bookworm") {
					t.Errorf("%s: FROM %s, want Debian 12", name, base)
				}
			}
			if st.Name != "" {
				names = append(names, st.Name)
			}
		}
	}
}

// goModVersion returns the go directive of go.mod, e.g. "1.26.8".
func goModVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+(?:\.\d+)?)\s*$`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// makeTarget returns the recipe lines of target in the Makefile.
func makeTarget(t *testing.T, target string) []string {
	t.Helper()
	raw, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	var recipe []string
	in := false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, target+":"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			recipe = append(recipe, strings.TrimSpace(line))
		case in && strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#"):
			in = false
		}
	}
	return recipe
}

// TestInstallIsTheSharedScript: the images install by running scripts/setup.sh, after copying
// the repository in, and the Makefile's setup target runs the same script; the images do not
// repeat the script's steps themselves (its Debian packages, the kernel registration, npm).
func TestInstallIsTheSharedScript(t *testing.T) {
	recipe := makeTarget(t, "setup")
	if !slices.ContainsFunc(recipe, func(l string) bool { return strings.Contains(l, setupScript) }) {
		t.Fatalf("the Makefile's setup target %q does not run %s", recipe, setupScript)
	}
	if _, err := os.Stat(filepath.Join("..", setupScript)); err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join("..", setupScript))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`APT_PACKAGES=\(([^)]*)\)`).FindSubmatch(script)
	if m == nil {
		t.Fatalf("%s has no APT_PACKAGES=(...)", setupScript)
	}
	own := append(strings.Fields(string(m[1])), "gonb --install", "npm install", "kernel.json")
	for _, name := range dockerfiles {
		p := load(t, name)
		idx, lines := runLines(p)
		at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "bash "+setupScript) })
		if at < 0 {
			t.Errorf("%s: no RUN runs bash %s", name, setupScript)
			continue
		}
		copyAt := slices.IndexFunc(p.final(), func(c instructions.Command) bool {
			cp, ok := c.(*instructions.CopyCommand)
			return ok && slices.Contains(cp.SourcePaths, ".")
		})
		if copyAt < 0 || copyAt > idx[at] {
			t.Errorf("%s: the repository is not copied in (COPY . ...) before %s runs", name, setupScript)
		}
		for _, l := range lines {
			for _, step := range own {
				if regexp.MustCompile(`(^|[\s=])` + regexp.QuoteMeta(step) + `(\s|$)`).MatchString(l) {
					t.Errorf("%s: RUN %q repeats %s's step %q: call the script instead", name, l, setupScript, step)
				}
			}
		}
	}
}

// TestNonRootUser: the image runs as a user other than root, one the Dockerfile creates, set
// after the root-only set-up.
func TestNonRootUser(t *testing.T) {
	for _, name := range dockerfiles {
		p := load(t, name)
		user, at := "", -1
		for i, c := range p.final() {
			if u, ok := c.(*instructions.UserCommand); ok {
				user, at = u.User, i
			}
		}
		u, _, _ := strings.Cut(user, ":")
		if u == "" || u == "root" || u == "0" {
			t.Errorf("%s: the image runs as %q, want a non-root USER", name, user)
			continue
		}
		idx, lines := runLines(p)
		created := false
		for k, l := range lines {
			if strings.Contains(l, "useradd") && strings.Contains(l, u) && idx[k] < at {
				created = true
			}
			if strings.Contains(l, setupScript) && idx[k] > at {
				t.Errorf("%s: %s runs after USER %s (it needs root for apt-get)", name, setupScript, u)
			}
		}
		if !created {
			t.Errorf("%s: USER %s is not created by a RUN useradd before it", name, u)
		}
	}
}

// TestJupyterServed: port 8888 is exposed, a health check probes it, the command starts Jupyter
// on it reachable from outside the container, with the kernel path set and the token left on.
func TestJupyterServed(t *testing.T) {
	for _, name := range dockerfiles {
		p := load(t, name)
		var exposed, cmd []string
		var health *instructions.HealthCheckCommand
		env := map[string]string{}
		for _, c := range p.final() {
			switch c := c.(type) {
			case *instructions.ExposeCommand:
				exposed = append(exposed, c.Ports...)
			case *instructions.HealthCheckCommand:
				health = c
			case *instructions.CmdCommand:
				cmd = c.CmdLine
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					env[kv.Key] = kv.Value
				}
			}
		}
		if !slices.ContainsFunc(exposed, func(p string) bool { return p == "8888" || p == "8888/tcp" }) {
			t.Errorf("%s: EXPOSE %v, want 8888", name, exposed)
		}
		if health == nil || len(health.Health.Test) < 2 || health.Health.Test[0] == "NONE" {
			t.Errorf("%s: no HEALTHCHECK with a command", name)
		} else if test := strings.Join(health.Health.Test[1:], " "); !strings.Contains(test, ":8888") {
			t.Errorf("%s: HEALTHCHECK %q does not probe port 8888", name, test)
		}
		line := strings.Join(cmd, " ")
		for _, want := range []string{"jupyter", "--port=8888", "--ip=0.0.0.0", "--notebook-dir=notebooks"} {
			if !strings.Contains(line, want) {
				t.Errorf("%s: CMD %q lacks %q", name, line, want)
			}
		}
		if regexp.MustCompile(`token=(''|""|\s|$)`).MatchString(line) {
			t.Errorf("%s: CMD %q turns the token off", name, line)
		}
		if v, ok := env["JUPYTER_TOKEN"]; ok && v == "" {
			t.Errorf("%s: ENV JUPYTER_TOKEN is empty", name)
		}
		if !strings.HasSuffix(env["JUPYTER_PATH"], "/build/jupyter") {
			t.Errorf("%s: JUPYTER_PATH=%q, want the checkout's build/jupyter where setup.sh registers gonb", name, env["JUPYTER_PATH"])
		}
	}
}

// TestCUDAImage: Dockerfile.cuda is Dockerfile plus the XLA CUDA backend: every instruction of
// the CPU image, in the same order, then GOMLX_BACKEND=xla:cuda and a build-time install of the
// PJRT plugin allowed by FLOWKIT_XLA_AUTO_INSTALL=1 (the variables of flowkit/backend).
func TestCUDAImage(t *testing.T) {
	cpu, cuda := load(t, "Dockerfile"), load(t, "Dockerfile.cuda")
	var cudaLines []string
	for _, n := range cuda.ast.Children {
		cudaLines = append(cudaLines, n.Original)
	}
	k := 0
	for _, n := range cpu.ast.Children {
		for k < len(cudaLines) && cudaLines[k] != n.Original {
			k++
		}
		if k == len(cudaLines) {
			t.Errorf("Dockerfile.cuda lacks (in order) the CPU image's %q", n.Original)
			break
		}
	}
	env := map[string]string{}
	for _, c := range cuda.final() {
		if e, ok := c.(*instructions.EnvCommand); ok {
			for _, kv := range e.Env {
				env[kv.Key] = kv.Value
			}
		}
	}
	if env[backend.EnvVar] != "xla:cuda" {
		t.Errorf("Dockerfile.cuda: ENV %s=%q, want xla:cuda", backend.EnvVar, env[backend.EnvVar])
	}
	_, lines := runLines(cuda)
	install := backend.AutoInstallEnv + "=1 go run ./docker/xlainstall -plugin cuda"
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, install) }) {
		t.Errorf("Dockerfile.cuda: no RUN %q", install)
	}
	if _, err := os.Stat("xlainstall/main.go"); err != nil {
		t.Error(err)
	}
}

// TestDockerignore: each Dockerfile has its own ignore file keeping the machine-local build/
// (host paths in the registered kernel, host binaries) and .git out of the build context.
func TestDockerignore(t *testing.T) {
	for _, name := range dockerfiles {
		raw, err := os.ReadFile(name + ".dockerignore")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		lines := strings.Split(string(raw), "\n")
		for _, want := range []string{"build", ".git"} {
			if !slices.Contains(lines, want) {
				t.Errorf("%s.dockerignore does not exclude %s", name, want)
			}
		}
	}
}
