package cli

import (
	"slices"
	"strings"
)

// Distance is the Levenshtein distance of a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Suggest returns the candidates, dash-separated IDs such as
// access-key-not-rotated, that typed probably meant, in their order: one
// contains the other, they are within 3 edits, or every dash-separated
// word of typed is a word of the candidate (access-key-rotated).
func Suggest(typed string, candidates []string) []string {
	var near []string
	for _, c := range candidates {
		if strings.Contains(c, typed) || strings.Contains(typed, c) || Distance(c, typed) <= 3 || hasWords(c, typed) {
			near = append(near, c)
		}
	}
	return near
}

// hasWords reports whether every dash-separated word of id is one of the
// words of candidate.
func hasWords(candidate, id string) bool {
	words := strings.Split(candidate, "-")
	for w := range strings.SplitSeq(id, "-") {
		if !slices.Contains(words, w) {
			return false
		}
	}
	return true
}
