// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// wrapHelp wraps each line of s to width columns as parsec-tool 0.7.0's help
// texts are wrapped: clap 2 hands them to textwrap, which in that build
// chooses the line breaks with the "optimal fit" algorithm (minimum total
// squared slack, not first fit), splits words at spaces and after hyphens
// inside words, and never breaks a word.
func wrapHelp(s string, width int) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = fillLine(strings.TrimSuffix(l, "\r"), width)
	}
	return strings.Join(lines, "\n")
}

// fragment is a piece of a line that may end a wrapped line.
type fragment struct {
	start, end int // the word, as byte offsets in the line
	ws         int // bytes of whitespace after it
	width      int
}

func fillLine(line string, width int) string {
	if len(line) < width {
		return strings.TrimRight(line, " ")
	}
	frags := splitWords(line)
	if len(frags) == 0 {
		return ""
	}
	breaks := optimalFit(frags, float64(width))
	var out []string
	prev := 0
	for _, j := range breaks {
		first, last := frags[prev], frags[j-1]
		out = append(out, line[first.start:last.end])
		prev = j
	}
	return strings.Join(out, "\n")
}

// splitWords cuts a line at runs of spaces (the spaces stay with the word
// before), after a '/' that is not followed by a digit or a space, and after
// a '-' between two letters or digits.
func splitWords(line string) []fragment {
	var frags []fragment
	start := 0
	i := 0
	emit := func(end, wsEnd int) {
		frags = append(frags, fragment{start: start, end: end, ws: wsEnd - end, width: utf8.RuneCountInString(line[start:end])})
		start = wsEnd
	}
	for i < len(line) {
		r, n := utf8.DecodeRuneInString(line[i:])
		switch {
		case r == ' ':
			j := i
			for j < len(line) && line[j] == ' ' {
				j++
			}
			emit(i, j)
			i = j
			continue
		case r == '-' && i > start:
			prev, _ := utf8.DecodeLastRuneInString(line[start:i])
			next, _ := utf8.DecodeRuneInString(line[i+n:])
			if isAlnum(prev) && isAlnum(next) {
				emit(i+n, i+n)
			}
		case r == '/' && i+n < len(line):
			next, _ := utf8.DecodeRuneInString(line[i+n:])
			if next != ' ' && !unicode.IsDigit(next) {
				emit(i+n, i+n)
			}
		}
		i += n
	}
	if start < len(line) {
		frags = append(frags, fragment{start: start, end: len(line), width: utf8.RuneCountInString(line[start:])})
	}
	return frags
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// optimalFit returns the end index (exclusive) of the fragments of each
// line, minimising textwrap's cost: 1000 per line, the squared slack of
// every line but the last, 2500 per column of overflow, and 25 for a last
// line made of one word shorter than a quarter of the width.
func optimalFit(frags []fragment, target float64) []int {
	n := len(frags)
	widths := make([]float64, n+1)
	for k, f := range frags {
		widths[k+1] = widths[k] + float64(f.width) + float64(f.ws)
	}
	target = math.Max(target, 1)
	cost := make([]float64, n+1)
	from := make([]int, n+1)
	for j := 1; j <= n; j++ {
		cost[j] = math.Inf(1)
		for i := 0; i < j; i++ {
			w := widths[j] - widths[i] - float64(frags[j-1].ws)
			c := cost[i] + 1000
			switch {
			case w > target:
				c += (w - target) * 2500
			case j < n:
				c += (target - w) * (target - w)
			case i+1 == j && w < target/4:
				c += 25
			}
			if c < cost[j] {
				cost[j], from[j] = c, i
			}
		}
	}
	var ends []int
	for j := n; j > 0; j = from[j] {
		ends = append(ends, j)
	}
	for l, r := 0, len(ends)-1; l < r; l, r = l+1, r-1 {
		ends[l], ends[r] = ends[r], ends[l]
	}
	return ends
}
