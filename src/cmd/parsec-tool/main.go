// Command parsec-tool is a command-line client of the Parsec service,
// compatible with parsec-tool 0.7 (same subcommands, flags and outputs) and
// built on package client. Run "parsec-tool --help" for the subcommands.
//
// Differences from the Rust tool: command-line usage errors exit with
// status 1 (clap exits with 2), and errors are reported as one line
// "Error: <what went wrong> (<status or error kind>)" on standard error.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
