package billing

import "testing"

func TestParseAndFormatMicros(t *testing.T) {
	tests := []struct {
		name, in, str string
		want          Micros
		bad           bool
	}{
		{name: "four decimals", in: "0.0068", want: 6_800, str: "0.0068"},
		{name: "whole", in: "49", want: 49_000_000, str: "49.0000"},
		{name: "six decimals", in: "0.00816", want: 8_160, str: "0.00816"},
		{name: "spaces", in: " 1.5 ", want: 1_500_000, str: "1.5000"},
		{name: "seven decimals", in: "0.0000001", bad: true},
		{name: "exponent", in: "1e-3", bad: true},
		{name: "negative", in: "-0.01", bad: true},
		{name: "two points", in: "1.2.3", bad: true},
		{name: "empty", in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMicros(tt.in)
			if (err != nil) != tt.bad {
				t.Fatalf("ParseMicros(%q) error %v, want error %v", tt.in, err, tt.bad)
			}
			if tt.bad {
				return
			}
			if got != tt.want || got.String() != tt.str {
				t.Errorf("ParseMicros(%q) = %d (%s), want %d (%s)", tt.in, got, got, tt.want, tt.str)
			}
		})
	}
}

func TestRounding(t *testing.T) {
	tests := []struct {
		name     string
		in       Micros
		currency string
		want     string
	}{
		{name: "half up", in: 75_000, currency: "USD", want: "0.08"},
		{name: "below half", in: 62_500, currency: "USD", want: "0.06"},
		{name: "no minor unit", in: 1_500_000, currency: "CLP", want: "2"},
		{name: "three decimals", in: 1_234_567, currency: "KWD", want: "1.235"},
		{name: "negative", in: -75_000, currency: "USD", want: "-0.08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Amount(tt.currency).Decimal(MinorDigits(tt.currency)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in   string
		want int
		bad  bool
	}{
		{in: "15", want: 1500}, {in: "12.5", want: 1250}, {in: "0", want: 0},
		{in: "12.345", bad: true}, {in: "-5", bad: true}, {in: "20000", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePercent(tt.in)
			if (err != nil) != tt.bad || got != tt.want {
				t.Errorf("ParsePercent(%q) = %d, %v", tt.in, got, err)
			}
		})
	}
}
