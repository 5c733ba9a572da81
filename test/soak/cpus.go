// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import "runtime"

func numCPU() int { return runtime.NumCPU() }
