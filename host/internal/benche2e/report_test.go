package benche2e

import "testing"

func TestGoalCheck(t *testing.T) {
	ratio := Goal{What: "ratio", Unit: "x", Limit: 1}
	p99 := Goal{What: "p99", Unit: " ms", Limit: 25, AtMost: true}
	rss := Goal{What: "rss", Unit: " MiB", Limit: MiB(20), AtMost: true, Note: " (20 MB)"}
	tests := []struct {
		goal   Goal
		figure float64
		want   string
	}{
		{ratio, 1.03, "ratio 1.03x, at least 1.00x: met"},
		{ratio, 1, "ratio 1.00x, at least 1.00x: met"},
		{ratio, 0.97, "ratio 0.97x, at least 1.00x: MISSED"},
		{p99, 10.3, "p99 10.30 ms, at most 25.00 ms: met"},
		{p99, 25.01, "p99 25.01 ms, at most 25.00 ms: MISSED"},
		{rss, 19, "rss 19.00 MiB, at most 19.07 MiB (20 MB): met"},
		{rss, 19.5, "rss 19.50 MiB, at most 19.07 MiB (20 MB): MISSED"},
	}
	for _, tc := range tests {
		if got := tc.goal.Check(tc.figure); got != tc.want {
			t.Errorf("Check(%v) = %q, want %q", tc.figure, got, tc.want)
		}
	}
}
