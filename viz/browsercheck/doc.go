// Package browsercheck opens an HTML page in headless Chromium with the
// network disabled and reports whether its charts really drew: how many
// echarts containers it has and how many hold an instance with data that
// painted pixels, how many <img> elements decoded, and every uncaught
// exception, console error and attempted network request. It can save a
// full-page screenshot.
//
// It is used by viz's tests and by the executed-notebooks test, which checks
// the HTML export of each notebook:
//
//	rep, err := browsercheck.Check(ctx, "out/01_intro.html", browsercheck.Options{
//		Screenshot: "build/screenshots/01_intro.png",
//	})
//	if errors.Is(err, browsercheck.ErrNoBrowser) {
//		t.Skip(err)
//	}
//	if err != nil {
//		t.Fatal(err)
//	}
//	if err := rep.Err(); err != nil {
//		t.Error(err)
//	}
//
// Chromium is found through $FLOWKIT_CHROMIUM or the usual executable names
// (see FindBrowser); it runs as root with --no-sandbox, a throw-away profile,
// and every request sent to a dead proxy, so a page that needs the internet
// fails the check.
package browsercheck
