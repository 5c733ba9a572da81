package main

import (
	"testing"
)

// newOptions and parse run one command line level, for the tests of the
// subcommands' flags.
func newOptions(name string) *options {
	return &options{app: &capp{name: name, bin: name}, byLong: map[string]*carg{}}
}

func (o *options) parse(args []string, _ bool) ([]string, error) {
	_, _, pending, err := o.app.parse(args)
	if err == nil {
		err = o.app.validate(pending)
	}
	return nil, err
}

func TestParseRustUint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  uint64
		want uint64
		msg  string
	}{
		{"32", 255, 32, ""}, {"+7", 255, 7, ""}, {"", 255, 0, "cannot parse integer from empty string"},
		{"+", 255, 0, "invalid digit found in string"}, {"abc", 255, 0, "invalid digit found in string"},
		{"-1", 255, 0, "invalid digit found in string"}, {"256", 255, 0, "number too large to fit in target type"},
		{"99999999999999999999", 1<<64 - 1, 0, "number too large to fit in target type"},
	} {
		if got, msg := parseRustUint(tc.in, tc.max); got != tc.want || msg != tc.msg {
			t.Errorf("parseRustUint(%q) = %d, %q; want %d, %q", tc.in, got, msg, tc.want, tc.msg)
		}
	}
}
