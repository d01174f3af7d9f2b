package viz

import "fmt"

// FlowStages draws how a point cloud moves layer by layer through a flow (the
// book's figure 16.4), as small multiples: stages[s][i] is point i after stage
// s (stage 0 is usually the base samples z, the last the outputs x). Every
// stage must hold the same points in the same order: each point keeps the
// colour given by its first coordinate at stage 0, so regions can be followed
// from panel to panel. names, if not nil, titles the panels (default
// "stage s"). Panels are 260x260 and wrap onto several lines.
func FlowStages(stages [][][]float64, names []string) *Figure {
	if len(stages) == 0 {
		return errorf("FlowStages: no stages")
	}
	if names != nil && len(names) != len(stages) {
		return errorf("FlowStages: %d names for %d stages", len(names), len(stages))
	}
	n := len(stages[0])
	if err := checkPoints("FlowStages stage 0", stages[0]); err != nil {
		return errFigure(err)
	}
	colorBy := make([]float64, n)
	for i, p := range stages[0] {
		colorBy[i] = p[0]
	}
	fig := &Figure{wrap: true}
	for s, pts := range stages {
		if len(pts) != n {
			return errorf("FlowStages: stage %d has %d points, stage 0 has %d", s, len(pts), n)
		}
		name := fmt.Sprintf("stage %d", s)
		if names != nil {
			name = names[s]
		}
		o, err := scatterOption(name, pts, colorBy)
		if err != nil {
			return errFigure(err)
		}
		seriesAt(o, 0)["symbolSize"] = 3
		fig.panels = append(fig.panels, &panel{width: 260, height: 260, sized: true, opt: o})
	}
	return fig
}
