package fit

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar redraws one terminal line, at most every interval:
//
//	[=========>          ]  912/2000  loss 1.2345  best 1.2210  240 steps/s
type progressBar struct {
	w        io.Writer
	total    int
	interval time.Duration
	last     time.Time
	start    time.Time
	first    int
}

func newProgressBar(w io.Writer, first, total int) *progressBar {
	return &progressBar{w: w, total: total, first: first, interval: 200 * time.Millisecond, start: time.Now()}
}

// update redraws the bar for step (1-based) unless it was drawn less than interval ago;
// force draws regardless (the last step).
func (p *progressBar) update(step int, loss, best float64, force bool) {
	if p == nil {
		return
	}
	now := time.Now()
	if !force && now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	const width = 30
	done := width * step / max(1, p.total)
	bar := strings.Repeat("=", done)
	if done < width {
		bar += ">" + strings.Repeat(" ", width-done-1)
	}
	rate := float64(step-p.first) / now.Sub(p.start).Seconds()
	fmt.Fprintf(p.w, "\r[%s] %*d/%d  loss %.4f  best %.4f  %.0f steps/s", bar, len(fmt.Sprint(p.total)), step, p.total, loss, best, rate)
	if force {
		fmt.Fprintln(p.w)
	}
}
