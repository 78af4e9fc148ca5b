package chord

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// walk returns the identifiers met going clockwise from a (exclusive) until
// b (exclusive) on a ring of 2^bits points: the open interval (a, b) by its
// plain meaning. When a == b the walk goes all the way round.
func walk(bits int, a, b uint64) map[uint64]bool {
	size := uint64(1) << bits
	out := map[uint64]bool{}
	for x := (a + 1) % size; x != b; x = (x + 1) % size {
		out[x] = true
	}
	if a == b {
		delete(out, a)
	}
	return out
}

// TestIntervalsExhaustive checks Between, BetweenRightIncl and
// BetweenLeftIncl against a walk round the ring, for every (a, x, b) on
// rings of 2^4 and 2^6 identifiers: wrap-around and equal ends included.
func TestIntervalsExhaustive(t *testing.T) {
	for _, bits := range []int{4, 6} {
		size := uint64(1) << bits
		for a := uint64(0); a < size; a++ {
			for b := uint64(0); b < size; b++ {
				open := walk(bits, a, b)
				ia, ib := IDFromUint64(bits, a), IDFromUint64(bits, b)
				for x := uint64(0); x < size; x++ {
					ix := IDFromUint64(bits, x)
					if got, want := Between(ia, ix, ib), open[x]; got != want {
						t.Fatalf("m=%d: Between(%d, %d, %d) = %v, want %v", bits, a, x, b, got, want)
					}
					if got, want := BetweenRightIncl(ia, ix, ib), open[x] || x == b; got != want {
						t.Fatalf("m=%d: BetweenRightIncl(%d, %d, %d) = %v, want %v", bits, a, x, b, got, want)
					}
					if got, want := BetweenLeftIncl(ia, ix, ib), open[x] || x == a; got != want {
						t.Fatalf("m=%d: BetweenLeftIncl(%d, %d, %d) = %v, want %v", bits, a, x, b, got, want)
					}
				}
			}
		}
	}
}

// TestIntervalsNamedCases spells out the cases students get wrong.
func TestIntervalsNamedCases(t *testing.T) {
	id := func(v uint64) ID { return IDFromUint64(4, v) }
	tests := []struct {
		name                  string
		a, x, b               uint64
		open, rightIn, leftIn bool
	}{
		{"inside, no wrap", 3, 5, 9, true, true, true},
		{"left end excluded", 3, 3, 9, false, false, true},
		{"right end excluded", 3, 9, 9, false, true, false},
		{"outside, no wrap", 3, 12, 9, false, false, false},
		{"wraps past zero, high side", 12, 15, 2, true, true, true},
		{"wraps past zero, at zero", 12, 0, 2, true, true, true},
		{"wraps past zero, low side", 12, 1, 2, true, true, true},
		{"wraps, outside", 12, 7, 2, false, false, false},
		{"equal ends: everything but a", 5, 6, 5, true, true, true},
		{"equal ends: a itself", 5, 5, 5, false, true, true},
		{"adjacent ends: empty open interval", 5, 6, 6, false, true, false},
		{"full circle minus one", 6, 4, 5, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, x, b := id(tt.a), id(tt.x), id(tt.b)
			if got := Between(a, x, b); got != tt.open {
				t.Errorf("Between(%d, %d, %d) = %v, want %v", tt.a, tt.x, tt.b, got, tt.open)
			}
			if got := BetweenRightIncl(a, x, b); got != tt.rightIn {
				t.Errorf("BetweenRightIncl(%d, %d, %d) = %v, want %v", tt.a, tt.x, tt.b, got, tt.rightIn)
			}
			if got := BetweenLeftIncl(a, x, b); got != tt.leftIn {
				t.Errorf("BetweenLeftIncl(%d, %d, %d) = %v, want %v", tt.a, tt.x, tt.b, got, tt.leftIn)
			}
		})
	}
}

// bigOf and idOf convert between ID and big.Int, the reference arithmetic.
func bigOf(id ID) *big.Int { return new(big.Int).SetBytes(id[:]) }

func idOf(v *big.Int) ID {
	var id ID
	v.FillBytes(id[:])
	return id
}

func pow2(k int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(k)) }

// randomID returns a random identifier below 2^bits, biased towards the
// edge values where carries and masks go wrong.
func randomID(rng *rand.Rand, bits int) ID {
	var id ID
	switch rng.IntN(6) {
	case 0: // all ones
		for i := range id {
			id[i] = 0xff
		}
	case 1: // zero
	case 2: // a run of 0xff bytes at the bottom: carries ripple
		for i := 20 - 1 - rng.IntN(20); i < 20; i++ {
			id[i] = 0xff
		}
	default:
		for i := range id {
			id[i] = byte(rng.Uint32())
		}
	}
	return id.Mask(bits)
}

func TestAddPow2(t *testing.T) {
	// Exhaustive on 2^4: (id + 2^k) mod 16, and k ≥ m leaves id alone.
	for v := uint64(0); v < 16; v++ {
		for k := 0; k < 8; k++ {
			want := v
			if k < 4 {
				want = (v + 1<<k) % 16
			}
			if got := IDFromUint64(4, v).AddPow2(4, k); got != IDFromUint64(4, want) {
				t.Fatalf("AddPow2(m=4, %d, k=%d) = %d, want %d", v, k, got.Uint64(), want)
			}
		}
	}
	// 160-bit edges and odd m, against big.Int.
	tests := []struct {
		name string
		bits int
		id   ID
		k    int
	}{
		{"carry across one byte", 160, IDFromUint64(160, 0xff), 0},
		{"carry across many bytes", 160, IDFromUint64(160, 0xffffffffffffffff), 3},
		{"wrap to zero at 160 bits", 160, idOf(new(big.Int).Sub(pow2(160), big.NewInt(1))), 0},
		{"top bit at 160 bits", 160, idOf(pow2(159)), 159},
		{"odd m wraps", 13, IDFromUint64(13, 1<<13-1), 0},
		{"odd m top finger", 13, IDFromUint64(13, 5000), 12},
		{"m = 6 minimum", 6, IDFromUint64(6, 63), 5},
		{"m = 159", 159, idOf(new(big.Int).Sub(pow2(159), big.NewInt(1))), 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := idOf(new(big.Int).Mod(new(big.Int).Add(bigOf(tt.id), pow2(tt.k)), pow2(tt.bits)))
			if got := tt.id.AddPow2(tt.bits, tt.k); got != want {
				t.Errorf("AddPow2(m=%d, %s, %d) = %s, want %s", tt.bits, tt.id.Hex(160), tt.k, got.Hex(160), want.Hex(160))
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		bits := MinBits + rng.IntN(MaxBits-MinBits+1)
		id := randomID(rng, bits)
		k := rng.IntN(bits)
		want := idOf(new(big.Int).Mod(new(big.Int).Add(bigOf(id), pow2(k)), pow2(bits)))
		if got := id.AddPow2(bits, k); got != want {
			t.Fatalf("AddPow2(m=%d, %s, %d) = %s, want %s", bits, id.Hex(160), k, got.Hex(160), want.Hex(160))
		}
	}
}

func TestMask(t *testing.T) {
	var ones ID
	for i := range ones {
		ones[i] = 0xff
	}
	for bits := 0; bits <= MaxBits; bits++ {
		want := idOf(new(big.Int).Mod(bigOf(ones), pow2(bits)))
		if got := ones.Mask(bits); got != want {
			t.Errorf("Mask(%d) of all ones = %s, want %s", bits, got.Hex(160), want.Hex(160))
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		bits := rng.IntN(MaxBits + 1)
		id := randomID(rng, MaxBits)
		want := idOf(new(big.Int).Mod(bigOf(id), pow2(bits)))
		if got := id.Mask(bits); got != want {
			t.Fatalf("Mask(%d) of %s = %s, want %s", bits, id.Hex(160), got.Hex(160), want.Hex(160))
		}
	}
}

func TestDistance(t *testing.T) {
	for a := uint64(0); a < 16; a++ {
		for b := uint64(0); b < 16; b++ {
			// Distance counts the steps of the walk from a to b.
			want := uint64(len(walk(4, a, b))) + 1
			if a == b {
				want = 0
			}
			if got := Distance(4, IDFromUint64(4, a), IDFromUint64(4, b)).Uint64(); got != want {
				t.Fatalf("Distance(m=4, %d, %d) = %d, want %d", a, b, got, want)
			}
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 5000; i++ {
		bits := MinBits + rng.IntN(MaxBits-MinBits+1)
		a, b := randomID(rng, bits), randomID(rng, bits)
		want := idOf(new(big.Int).Mod(new(big.Int).Sub(bigOf(b), bigOf(a)), pow2(bits)))
		if got := Distance(bits, a, b); got != want {
			t.Fatalf("Distance(m=%d, %s, %s) = %s, want %s", bits, a.Hex(bits), b.Hex(bits), got.Hex(bits), want.Hex(bits))
		}
	}
}

// TestBetweenMatchesDistance checks the interval helpers on 160-bit and odd
// sized rings against the arithmetic definition 0 < d(a,x) < d(a,b).
func TestBetweenMatchesDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 20000; i++ {
		bits := []int{160, 159, 13, 7}[rng.IntN(4)]
		a, x, b := randomID(rng, bits), randomID(rng, bits), randomID(rng, bits)
		if rng.IntN(4) == 0 {
			x = a
		}
		if rng.IntN(4) == 0 {
			b = a
		}
		dx, db := Distance(bits, a, x), Distance(bits, a, b)
		var zero ID
		want := dx != zero && (db == zero || dx.Cmp(db) < 0)
		if got := Between(a, x, b); got != want {
			t.Fatalf("m=%d Between(%s, %s, %s) = %v, want %v", bits, a.Hex(bits), x.Hex(bits), b.Hex(bits), got, want)
		}
	}
}

func TestParseIDAndHex(t *testing.T) {
	tests := []struct {
		name    string
		bits    int
		in      string
		want    uint64
		wantErr string
	}{
		{"plain", 16, "3fa2", 0x3fa2, ""},
		{"0x prefix and spaces", 16, "  0x3FA2 ", 0x3fa2, ""},
		{"odd number of digits", 16, "fa2", 0xfa2, ""},
		{"leading zeros", 8, "0000000f", 0x0f, ""},
		{"largest 8-bit value", 8, "ff", 0xff, ""},
		{"odd m, largest value", 13, "1fff", 0x1fff, ""},
		{"odd m, one too big", 13, "2000", 0, "does not fit in 13 bits"},
		{"too big for m", 8, "100", 0, "does not fit in 8 bits"},
		{"empty", 8, "", 0, "empty identifier"},
		{"only prefix", 8, "0x", 0, "empty identifier"},
		{"not hex", 8, "zz", 0, "is not hex"},
		{"longer than 160 bits", 160, strings.Repeat("1", 41), 0, "longer than 160 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseID(tt.bits, tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseID(%d, %q) error = %v, want one containing %q", tt.bits, tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != IDFromUint64(tt.bits, tt.want) {
				t.Fatalf("ParseID(%d, %q) = %s, %v; want %x", tt.bits, tt.in, got.Hex(tt.bits), err, tt.want)
			}
		})
	}
	// Hex prints ceil(m/4) digits and ParseID reads it back, for every m.
	rng := rand.New(rand.NewPCG(9, 10))
	for bits := MinBits; bits <= MaxBits; bits++ {
		for i := 0; i < 20; i++ {
			id := randomID(rng, bits)
			h := id.Hex(bits)
			if len(h) != (bits+3)/4 {
				t.Fatalf("Hex(m=%d) = %q has %d digits, want %d", bits, h, len(h), (bits+3)/4)
			}
			back, err := ParseID(bits, h)
			if err != nil || back != id {
				t.Fatalf("ParseID(%d, Hex) = %s, %v; want %s", bits, back.Hex(bits), err, h)
			}
		}
	}
	full := strings.Repeat("f", 40)
	if id, err := ParseID(160, full); err != nil || id.Hex(160) != full {
		t.Errorf("ParseID(160, 40×f) = %s, %v", id.Hex(160), err)
	}
}

func TestHashIDAndConversions(t *testing.T) {
	for _, bits := range []int{6, 7, 13, 64, 159, 160} {
		id := HashID(bits, []byte("127.0.0.1:4001"))
		if id.Mask(bits) != id {
			t.Errorf("HashID(m=%d) has bits above m: %s", bits, id.Hex(160))
		}
		if full := HashID(160, []byte("127.0.0.1:4001")); full.Mask(bits) != id {
			t.Errorf("HashID(m=%d) is not SHA-1 mod 2^m", bits)
		}
	}
	if a, b := HashID(160, []byte("a")), HashID(160, []byte("b")); a == b {
		t.Error("HashID gives the same ID for different inputs")
	}
	if got := IDFromUint64(4, 0x1f).Uint64(); got != 0xf {
		t.Errorf("IDFromUint64(4, 0x1f) = %d, want 15 (reduced mod 16)", got)
	}
	if got := IDFromUint64(64, 1<<63+5).Uint64(); got != 1<<63+5 {
		t.Errorf("Uint64 round trip at 64 bits = %x", got)
	}
	a, b := IDFromUint64(8, 3), IDFromUint64(8, 200)
	if a.Cmp(b) != -1 || b.Cmp(a) != 1 || a.Cmp(a) != 0 {
		t.Error("Cmp does not order 3 < 200")
	}
	if got := IDFromUint64(160, 0xabcdef12).Short(160); got != "000000" {
		t.Errorf("Short of a small 160-bit ID = %q, want the first 6 hex digits %q", got, "000000")
	}
	if got := IDFromUint64(8, 0xab).Short(8); got != "ab" {
		t.Errorf("Short(m=8) = %q, want %q", got, "ab")
	}
	fr := []struct {
		bits int
		v    uint64
		want float64
	}{{8, 0, 0}, {8, 128, 0.5}, {8, 64, 0.25}, {13, 1 << 12, 0.5}}
	for _, f := range fr {
		if got := IDFromUint64(f.bits, f.v).Fraction(f.bits); got != f.want {
			t.Errorf("Fraction(m=%d, %d) = %v, want %v", f.bits, f.v, got, f.want)
		}
	}
	if got := idOf(pow2(159)).Fraction(160); got != 0.5 {
		t.Errorf("Fraction(2^159 of 2^160) = %v, want 0.5", got)
	}
}

// Label writes identifiers of a ring of at most 2^10 points in decimal,
// larger ones as Short's hex digits.
func TestLabel(t *testing.T) {
	tests := []struct {
		bits int
		v    uint64
		want string
	}{
		{6, 56, "56"},
		{6, 0, "0"},
		{10, 1023, "1023"},
		{11, 1023, "3ff"},
		{160, 0xabcdef12, "000000"},
	}
	for _, tt := range tests {
		if got := IDFromUint64(tt.bits, tt.v).Label(tt.bits); got != tt.want {
			t.Errorf("Label(%d bits, %d) = %q, want %q", tt.bits, tt.v, got, tt.want)
		}
	}
}

// TestShl checks id·2^k against big-integer arithmetic, at the edges of
// every byte and of the identifier space.
func TestShl(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	limit := new(big.Int).Lsh(big.NewInt(1), MaxBits)
	ids := []ID{{}, {19: 1}, {0: 0x80}, {0: 0x3f, 19: 0xff}, {0: 0x40}}
	for range 200 {
		var id ID
		for i := range id {
			id[i] = byte(rng.UintN(256))
		}
		// Many leading zero bytes too: the distances nextConnected shifts are small.
		for i := range rng.IntN(len(id)) {
			id[i] = 0
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		for _, k := range []uint{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 100, 158, 159, 160, 161} {
			want := new(big.Int).Lsh(new(big.Int).SetBytes(id[:]), k)
			got, over := id.shl(k)
			if wantOver := want.Cmp(limit) >= 0; over != wantOver {
				t.Fatalf("%x.shl(%d) overflow = %v, want %v", id, k, over, wantOver)
			}
			if over {
				continue
			}
			if g := new(big.Int).SetBytes(got[:]); g.Cmp(want) != 0 {
				t.Fatalf("%x.shl(%d) = %x, want %x", id, k, got, want.Bytes())
			}
		}
	}
}
