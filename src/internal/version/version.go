// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package version holds the build stamp, set by the Makefile with
// -ldflags "-X github.com/parsecd/parsecd/src/internal/version.Version=…".
package version

import (
	"fmt"
	"strconv"
	"strings"
)

// Set at build time.
var (
	Version = "0.1.0-dev"
	Commit  = "unknown"
	Tags    = ""
)

// String is what --version prints.
func String(program string) string {
	tags := Tags
	if tags == "" {
		tags = "none"
	}
	return fmt.Sprintf("%s %s (commit %s, build tags: %s)", program, Version, Commit, tags)
}

// Triple returns the numeric major, minor and patch of Version (0 where absent).
func Triple() [3]uint32 {
	var out [3]uint32
	core, _, _ := strings.Cut(strings.TrimPrefix(Version, "v"), "-")
	for i, part := range strings.SplitN(core, ".", 3) {
		n, _ := strconv.ParseUint(part, 10, 32)
		out[i] = uint32(n)
	}
	return out
}
