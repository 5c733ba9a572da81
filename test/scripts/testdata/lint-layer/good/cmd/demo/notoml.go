//go:build !demotoml

package main

func extra() string { return "" }
