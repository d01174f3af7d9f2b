//go:build !(linux && amd64)

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "xlainstall: go-xla's PJRT plugins install on linux/amd64 only")
	os.Exit(1)
}
