package viz

// SetNotebookHooks replaces the notebook output functions for a test and
// returns a function that restores them.
func SetNotebookHooks(notebook bool, display func(html string), update func(id, html string)) (restore func()) {
	oldIn, oldDisplay, oldUpdate := inNotebook, displayHTML, updateHTML
	inNotebook = func() bool { return notebook }
	displayHTML, updateHTML = display, update
	return func() { inNotebook, displayHTML, updateHTML = oldIn, oldDisplay, oldUpdate }
}

// Renders returns how many times l re-rendered.
func (l *LiveCurve) Renders() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.renders
}
