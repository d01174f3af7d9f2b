package browsercheck_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/flowkit/flowkit/viz/browsercheck"
)

// Check a notebook exported to HTML, as the executed-notebooks test does.
func ExampleCheck() {
	rep, err := browsercheck.Check(context.Background(), "build/notebooks/01_intro.html", browsercheck.Options{
		Screenshot:           "build/screenshots/01_intro.png",
		AllowBlockedRequests: true, // nbconvert templates link CDN scripts that charts do not need.
	})
	if errors.Is(err, browsercheck.ErrNoBrowser) {
		fmt.Println("no browser:", err)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep) // charts drawn, images loaded, errors, blocked requests.
	if err := rep.Err(); err != nil {
		fmt.Println(err)
	}
}

// Check several pages with one browser.
func ExampleNewBrowser() {
	b, err := browsercheck.NewBrowser(context.Background(), browsercheck.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	for _, page := range []string{"a.html", "b.html"} {
		rep, err := b.Check(context.Background(), page, "")
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(rep.OK())
	}
}
