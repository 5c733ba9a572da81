//go:build demotoml

package main

import "github.com/pelletier/go-toml/v2"

func extra() string { b, _ := toml.Marshal(map[string]int{"a": 1}); return string(b) }
