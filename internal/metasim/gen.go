package metasim

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// gen produces the pseudo-random but reproducible identities and choices of
// a scenario. The salt keeps two scenarios built from the same seed from
// minting the same wamids.
type gen struct {
	rng *rand.Rand
	seq int
}

func newGen(seed uint64, salt string) *gen {
	h := fnv.New64a()
	h.Write([]byte(salt))
	return &gen{rng: rand.New(rand.NewPCG(seed, h.Sum64()))}
}

// markets spreads generated customers over calling codes, so per-market
// billing has something to split.
var markets = []struct {
	cc     string
	digits int
}{
	{"1", 10}, {"91", 10}, {"55", 11}, {"62", 11}, {"52", 10},
	{"44", 10}, {"49", 11}, {"234", 10}, {"966", 9}, {"971", 9},
}

// waID returns a plausible customer wa_id.
func (g *gen) waID() string {
	m := markets[g.rng.IntN(len(markets))]
	var b strings.Builder
	b.WriteString(m.cc)
	b.WriteByte(byte('2' + g.rng.IntN(8)))
	for range m.digits - 1 {
		b.WriteByte(byte('0' + g.rng.IntN(10)))
	}
	return b.String()
}

func (g *gen) waIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = g.waID()
	}
	return out
}

// wamid mimics Meta's message ids: base64 of a small binary record holding
// the customer's number and a unique hex tail.
func (g *gen) wamid(waID string) string {
	g.seq++
	tail := fmt.Sprintf("%08X%012X", g.seq, g.rng.Uint64()&(1<<48-1))
	raw := make([]byte, 0, 32+len(waID))
	raw = append(raw, 0x1c, 0x18, byte(len(waID)))
	raw = append(raw, waID...)
	raw = append(raw, 0x15, 0x02, 0x00, 0x12, 0x18, byte(len(tail)))
	raw = append(raw, tail...)
	raw = append(raw, 0x00)
	return "wamid." + base64.StdEncoding.EncodeToString(raw)
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(len(digits))]
	}
	return string(b)
}

func (g *gen) pick(xs []string) string {
	return xs[g.rng.IntN(len(xs))]
}

func (g *gen) chance(p float64) bool {
	return g.rng.Float64() < p
}

// between returns a duration in [lo, hi), whole milliseconds.
func (g *gen) between(lo, hi time.Duration) time.Duration {
	span := int64((hi - lo) / time.Millisecond)
	if span <= 0 {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(span))*time.Millisecond
}

var customerNames = []string{
	"Sheena Nelson", "Pablo Morales", "Aisha Bello", "Rahul Mehta", "Ana Souza",
	"Dewi Lestari", "Jonas Weber", "Fatima Al-Sayed", "Lucía Hernández", "Tom Baker",
	"Chinedu Okafor", "Priya Nair", "Budi Santoso", "Emma Schulz", "Omar Haddad",
}

var customerTexts = []string{
	"Does it come in another color?", "Where is my order?", "Hi, is the store open today?",
	"Can I change my delivery address?", "Thanks!", "How much is shipping to Jakarta?",
	"I'd like to book a table for two", "Is this still available?", "Can I pay on delivery?",
	"Please call me back", "What are your opening hours?", "The package arrived, all good",
}
