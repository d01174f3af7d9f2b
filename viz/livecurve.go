package viz

import (
	"sync"
	"time"
)

// DefaultLiveInterval is the minimum time between two re-renders of a LiveCurve.
const DefaultLiveInterval = 500 * time.Millisecond

// LiveCurve is a training curve (NLL or bits/dim per step, one line per series
// such as "train" and "validation") that redraws itself in a GoNB notebook while
// training runs. Add is cheap: the chart is re-rendered at most once per
// interval (DefaultLiveInterval), in one transient output block that is
// replaced in place (gonbui.UpdateHTML), and points added during the quiet
// period are drawn by a timer at its end, so the display never lags more than
// one interval. Call Close when training ends to draw the final state.
//
// Outside a notebook a LiveCurve shows nothing, but it keeps the data: Curves,
// Figure and HTML give it back. It is safe for concurrent use.
type LiveCurve struct {
	mu       sync.Mutex
	title    string
	yName    string
	interval time.Duration
	names    []string          // series in order of first appearance.
	curves   map[string]*Curve // by series name.

	live       bool   // rendering into a notebook.
	blockID    string // gonbui transient display id.
	key        string // chart registry key, to dispose of replaced charts.
	lastRender time.Time
	timer      *time.Timer
	dirty      bool
	closed     bool
	renders    int
	err        error
}

// NewLiveCurve returns an empty live training curve with the given title.
// The y axis is named "NLL (nats)"; use WithYName for bits/dim.
func NewLiveCurve(title string) *LiveCurve {
	id := newID()
	return &LiveCurve{
		title:    title,
		yName:    "NLL (nats)",
		interval: DefaultLiveInterval,
		curves:   map[string]*Curve{},
		live:     inNotebook(),
		blockID:  "flowkit_live_" + id,
		key:      id,
	}
}

// WithInterval sets the minimum time between re-renders (at least 10ms). It returns l.
func (l *LiveCurve) WithInterval(d time.Duration) *LiveCurve {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.interval = max(d, 10*time.Millisecond)
	return l
}

// WithYName sets the y axis name, for example "bits/dim". It returns l.
func (l *LiveCurve) WithYName(name string) *LiveCurve {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.yName = name
	return l
}

// Add records value for series at step, and re-renders the chart if the
// last render is older than the interval (otherwise a timer does it at the
// end of the interval).
func (l *LiveCurve) Add(step int, series string, value float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.curves[series]
	if !ok {
		c = &Curve{Name: series}
		l.curves[series] = c
		l.names = append(l.names, series)
	}
	c.X = append(c.X, float64(step))
	c.Y = append(c.Y, value)
	if !l.live || l.closed {
		return
	}
	l.dirty = true
	if wait := l.interval - time.Since(l.lastRender); wait > 0 {
		if l.timer == nil {
			l.timer = time.AfterFunc(wait, l.onTimer)
		}
		return
	}
	l.renderLocked()
}

func (l *LiveCurve) onTimer() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timer = nil
	if l.dirty && !l.closed {
		l.renderLocked()
	}
}

// Flush re-renders the chart now (in a notebook) and returns the last
// rendering error, if any.
func (l *LiveCurve) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live && !l.closed {
		l.renderLocked()
	}
	return l.err
}

// Close draws the final state and stops re-rendering; later Adds are only
// recorded. In a notebook it waits until GoNB has received the final chart.
// It returns the last rendering error, if any.
func (l *LiveCurve) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if l.live && !l.closed {
		l.renderLocked()
		syncOutputs()
	}
	l.closed = true
	return l.err
}

// renderLocked replaces the notebook block with the current chart. The first
// time, it makes sure echarts is on the page through a separate, persistent
// output (a transient block only keeps its last content, which must stay small).
func (l *LiveCurve) renderLocked() {
	l.dirty = false
	l.lastRender = time.Now()
	l.renders++
	if l.renders == 1 {
		loader, err := loaderOnce()
		if err != nil {
			l.err = err
			updateHTML(l.blockID, errorHTML(err))
			return
		}
		if loader != "" {
			displayHTML(loader)
		}
	}
	s, err := l.figureLocked().snippet(l.key)
	if err != nil {
		l.err = err
		updateHTML(l.blockID, errorHTML(err))
		return
	}
	l.err = nil
	updateHTML(l.blockID, s)
}

// Curves returns a copy of the recorded series, in order of first appearance.
func (l *LiveCurve) Curves() []Curve {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.curvesLocked()
}

func (l *LiveCurve) curvesLocked() []Curve {
	out := make([]Curve, 0, len(l.names))
	for _, n := range l.names {
		c := l.curves[n]
		out = append(out, Curve{Name: n, X: append([]float64(nil), c.X...), Y: append([]float64(nil), c.Y...)})
	}
	return out
}

// Figure returns the current chart as a static Figure.
func (l *LiveCurve) Figure() *Figure {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.figureLocked()
}

func (l *LiveCurve) figureLocked() *Figure {
	curves := l.curvesLocked()
	if len(curves) == 0 {
		// An empty chart (axes and title) until the first point arrives.
		curves = nil
	}
	o, err := linesOption(l.title, l.yName, curves)
	if err != nil {
		return errFigure(err)
	}
	return chartFigure(o, 560, 360)
}

// HTML returns the current chart as a self-contained HTML fragment (see
// Figure.HTML).
func (l *LiveCurve) HTML() (string, error) {
	return l.Figure().HTML()
}
