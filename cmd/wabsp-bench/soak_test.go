package main

import (
	"strings"
	"testing"
)

// peaks builds one window per value, each with one sample.
func peaks(vs ...float64) []window {
	ws := make([]window, len(vs))
	for i, v := range vs {
		ws[i] = window{Peak: v, Mean: v, Last: v, N: 1}
	}
	return ws
}

const miB = 1 << 20

func TestRSSFlat(t *testing.T) {
	tests := []struct {
		name        string
		workers     [][]window
		loadWindows int
		judged, ok  bool
		detail      string
	}{
		{"flat after start-up", [][]window{peaks(300*miB, 200*miB, 180*miB, 210*miB)}, 4, true, true, "work-0 200 MiB → 210 MiB (1.05×)"},
		{"exactly the limit is flat", [][]window{peaks(100*miB, 100*miB, 110*miB, 125*miB)}, 4, true, true, "1.25×"},
		{"growing", [][]window{peaks(100*miB, 100*miB, 120*miB, 140*miB)}, 4, true, false, "1.40×"},
		{"one of two workers grows", [][]window{peaks(100*miB, 100*miB, 100*miB), peaks(100*miB, 100*miB, 130*miB)}, 3, true, false, "work-1"},
		{"drain windows are not judged", [][]window{peaks(100*miB, 100*miB, 110*miB, 500*miB)}, 3, true, true, "1.10×"},
		{"too few intervals", [][]window{peaks(100*miB, 100*miB)}, 2, false, false, "needs 3"},
		{"no workers", nil, 4, false, false, "needs 3"},
		{"empty reference interval", [][]window{{{N: 1, Peak: 1}, {}, {N: 1, Peak: 1}}}, 3, false, false, "no samples"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := rssFlat(tc.workers, tc.loadWindows)
			checkFinding(t, f, tc.judged, tc.ok, tc.detail)
		})
	}
}

func TestLagBounded(t *testing.T) {
	tests := []struct {
		name        string
		lag         []window
		loadWindows int
		rate        float64
		judged, ok  bool
		detail      string
	}{
		{"keeping up", peaks(20000, 12000, 14000, 12500, 0), 4, 5000, true, true, "max 4.0 s"},
		{"start-up spike over the bound", peaks(40000, 12000, 12000, 12000), 4, 5000, true, false, "max 8.0 s of traffic (limit 7 s: exceeded)"},
		{"exactly the bound", peaks(35000, 12000, 12000, 12000), 4, 5000, true, true, "max 7.0 s of traffic (limit 7 s: ok)"},
		{"growing within the bound", peaks(5000, 5000, 10000, 15000), 4, 5000, true, false, "last-interval peak 3.0 s vs second interval's 1.0 s (may exceed it by 1 s: exceeded)"},
		{"one second of growth allowed", peaks(5000, 5000, 10000, 10000), 4, 5000, true, true, "2.0 s vs second interval's 1.0 s"},
		{"drain is not the last interval judged", peaks(5000, 5000, 5000, 20000), 3, 5000, true, true, "last-interval peak 1.0 s"},
		{"too few intervals", peaks(1, 1), 2, 5000, false, false, "needs 3"},
		{"no rate", peaks(1, 1, 1), 3, 0, false, false, "needs 3"},
		{"missing samples", []window{{N: 1}, {N: 1}, {}}, 3, 5000, false, false, "no lag samples"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFinding(t, lagBounded(tc.lag, tc.loadWindows, tc.rate), tc.judged, tc.ok, tc.detail)
		})
	}
}

func checkFinding(t *testing.T, f finding, judged, ok bool, detail string) {
	t.Helper()
	if f.Judged != judged || f.OK != ok {
		t.Errorf("judged, ok = %v, %v, want %v, %v (%s)", f.Judged, f.OK, judged, ok, f)
	}
	if !strings.Contains(f.Detail, detail) {
		t.Errorf("detail %q does not contain %q", f.Detail, detail)
	}
}

func TestFindingString(t *testing.T) {
	tests := []struct {
		name string
		f    finding
		want string
	}{
		{"met", finding{Judged: true, OK: true, Detail: "d"}, "yes: d"},
		{"failed", finding{Judged: true, Detail: "d"}, "NO: d"},
		{"not judged", finding{Detail: "d"}, "not judged: d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.f.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
