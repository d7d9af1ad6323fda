package main

import (
	"reflect"
	"testing"
	"time"
)

func smp(d time.Duration, v float64) sample { return sample{At: d, V: v} }

func TestWindowsCutSamplesByInterval(t *testing.T) {
	s := time.Second
	tests := []struct {
		name    string
		samples []sample
		every   time.Duration
		want    []window
	}{
		{"no samples", nil, 10 * s, nil},
		{"no interval", []sample{smp(0, 1)}, 0, nil},
		{"one interval", []sample{smp(0, 4), smp(3*s, 8), smp(9*s, 6)}, 10 * s,
			[]window{{From: 0, Peak: 8, Mean: 6, Last: 6, N: 3}}},
		{"sample on the boundary opens the next interval", []sample{smp(0, 1), smp(10*s, 3), smp(15*s, 5)}, 10 * s,
			[]window{{From: 0, Peak: 1, Mean: 1, Last: 1, N: 1}, {From: 10 * s, Peak: 5, Mean: 4, Last: 5, N: 2}}},
		{"gap keeps an empty interval", []sample{smp(s, 2), smp(25*s, 7)}, 10 * s,
			[]window{{From: 0, Peak: 2, Mean: 2, Last: 2, N: 1}, {From: 10 * s}, {From: 20 * s, Peak: 7, Mean: 7, Last: 7, N: 1}}},
		{"zero readings still count", []sample{smp(0, 0), smp(s, 0)}, 10 * s,
			[]window{{From: 0, N: 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := windows(tc.samples, tc.every); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("windows = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPeakOfSkipsEmptyWindows(t *testing.T) {
	tests := []struct {
		name string
		ws   []window
		want float64
	}{
		{"none", nil, 0},
		{"highest wins", []window{{Peak: 3, N: 1}, {Peak: 9, N: 2}, {Peak: 5, N: 1}}, 9},
		{"empty window ignored", []window{{Peak: 3, N: 1}, {Peak: 99}}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := peakOf(tc.ws); got != tc.want {
				t.Errorf("peakOf = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReportIntervalAndSampling(t *testing.T) {
	tests := []struct {
		name             string
		run, asked       time.Duration
		interval, sample time.Duration
	}{
		{"soak reports by minute", 10 * time.Minute, 0, time.Minute, 5 * time.Second},
		{"one-minute trial in sixths", time.Minute, 0, 10 * time.Second, time.Second},
		{"five minutes is a soak", 5 * time.Minute, 0, time.Minute, 5 * time.Second},
		{"very short run", 3 * time.Second, 0, time.Second, time.Second},
		{"sixth rounded to the second", 15 * time.Second, 0, 3 * time.Second, time.Second},
		{"asked interval wins", 10 * time.Minute, 30 * time.Second, 30 * time.Second, 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := reportInterval(tc.run, tc.asked)
			if got != tc.interval {
				t.Errorf("reportInterval = %s, want %s", got, tc.interval)
			}
			if s := queueSampleEvery(got); s != tc.sample {
				t.Errorf("queueSampleEvery(%s) = %s, want %s", got, s, tc.sample)
			}
		})
	}
}
