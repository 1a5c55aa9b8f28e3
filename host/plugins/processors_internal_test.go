package plugins

import (
	"slices"
	"testing"
)

func TestProcessorShareEnv(t *testing.T) {
	tests := []struct {
		hostProcs, processes int
		want                 string
	}{
		{2, 2, "GOMAXPROCS=1"},
		{1, 2, "GOMAXPROCS=1"},
		{16, 2, "GOMAXPROCS=8"},
		{3, 2, "GOMAXPROCS=2"},
		{4, 1, "GOMAXPROCS=4"},
		{2, 16, "GOMAXPROCS=1"},
		{4, 0, "GOMAXPROCS=4"},
	}
	for _, tc := range tests {
		if got := processorShareEnv(tc.hostProcs, tc.processes); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("processorShareEnv(%d, %d) = %v, want [%s]", tc.hostProcs, tc.processes, got, tc.want)
		}
	}
}
