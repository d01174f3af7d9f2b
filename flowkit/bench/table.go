package bench

import (
	"fmt"
	"math"
	"strings"
)

// Markdown renders results as a Markdown table with the peers' figures beside ours.
func Markdown(rs []Result) string {
	var b strings.Builder
	if len(rs) > 0 {
		r := rs[0]
		fmt.Fprintf(&b, "GoMLX %s, backend %q, %s, %d CPUs, %s\n\n", r.GoMLX, r.Backend, r.GoVersion, r.CPUs,
			r.When.Format("2006-01-02 15:04 UTC"))
	}
	b.WriteString("| config | train steps/s | peers steps/s | ratio | first step | density /s | peers density /s | samples /s | test NLL | peers NLL | peak RSS |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		ratio := "-"
		if r.Peer > 0 {
			ratio = fmt.Sprintf("%.2fx", r.StepsPerSec/r.Peer)
		}
		fmt.Fprintf(&b, "| %s | %.1f | %s | %s | %.2f s | %s | %s | %s | %s | %s | %s |\n",
			r.Name, r.StepsPerSec, orDash(r.PeerText), ratio, r.FirstStep.Seconds(),
			rate(r.DensityPerSec), rate(r.PeerDensity), rate(r.SamplesPerSec),
			ourNLL(r), nll(r.PeerNLL), MiB(r.PeakRSS))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func rate(v float64) string {
	switch {
	case v <= 0 || math.IsNaN(v):
		return "-"
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func ourNLL(r Result) string {
	if r.QualitySteps <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f (%d steps)", r.TestNLL, r.QualitySteps)
}

func nll(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}
