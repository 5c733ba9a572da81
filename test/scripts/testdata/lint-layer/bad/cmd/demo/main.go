// Fixture program of the lint-layer self-test: compiles golang.org/x/sys,
// and github.com/pelletier/go-toml/v2 with -tags demotoml.
package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func main() { fmt.Println(unix.Getpid(), extra()) }
