package chord

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxBits is the largest identifier size: the width of a SHA-1 digest.
const MaxBits = 160

// MinBits is the smallest identifier size accepted by Config.
const MinBits = 6

// ID is an identifier on a ring of 2^m points, m ≤ 160, stored big-endian in
// 20 bytes. Bits above m are always zero. The zero ID is a valid identifier.
type ID [20]byte

// HashID returns SHA-1(data) reduced modulo 2^bits, the paper's consistent
// hash of a node address or a key.
func HashID(bits int, data []byte) ID {
	return ID(sha1.Sum(data)).Mask(bits)
}

// IDFromUint64 returns v modulo 2^bits as an ID (handy for small test rings).
func IDFromUint64(bits int, v uint64) ID {
	var id ID
	for i := 0; i < 8; i++ {
		id[19-i] = byte(v >> (8 * i))
	}
	return id.Mask(bits)
}

// ParseID reads an identifier written in hex (as Hex prints it, leading zeros
// optional). It fails if the value does not fit in bits.
func ParseID(bits int, s string) (ID, error) {
	s = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "0x")
	if s == "" {
		return ID{}, fmt.Errorf("empty identifier")
	}
	if len(s) > 40 {
		return ID{}, fmt.Errorf("identifier %q is longer than 160 bits", s)
	}
	if len(s)%2 == 1 {
		s = "0" + s
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return ID{}, fmt.Errorf("identifier %q is not hex", s)
	}
	var id ID
	copy(id[20-len(raw):], raw)
	if id.Mask(bits) != id {
		return ID{}, fmt.Errorf("identifier %s does not fit in %d bits", s, bits)
	}
	return id, nil
}

// Mask clears every bit at or above position bits, i.e. returns id mod 2^bits.
func (id ID) Mask(bits int) ID {
	if bits >= MaxBits {
		return id
	}
	full := (MaxBits - bits) / 8 // whole leading bytes to clear
	for i := 0; i < full; i++ {
		id[i] = 0
	}
	if rem := (MaxBits - bits) % 8; rem != 0 {
		id[full] &= 0xff >> rem
	}
	return id
}

// AddPow2 returns (id + 2^k) mod 2^bits: the start of finger k+1 in the
// paper's numbering (finger[i].start = n + 2^(i-1)).
func (id ID) AddPow2(bits, k int) ID {
	if k >= bits {
		return id
	}
	byteIdx := 19 - k/8
	carry := uint16(1) << (k % 8)
	for i := byteIdx; i >= 0 && carry != 0; i-- {
		s := uint16(id[i]) + carry
		id[i] = byte(s)
		carry = s >> 8
	}
	return id.Mask(bits)
}

// shl returns id·2^k, and whether that is 2^MaxBits or more (the result
// is then meaningless): a distance compared with a multiple of another
// without the rounding of Fraction.
func (id ID) shl(k uint) (ID, bool) {
	var out ID
	if k >= MaxBits {
		return out, id != ID{}
	}
	whole, rem := int(k/8), k%8
	for i := 0; i < whole; i++ {
		if id[i] != 0 {
			return out, true
		}
	}
	if rem != 0 && id[whole]>>(8-rem) != 0 {
		return out, true
	}
	for i := 0; i < len(id)-whole; i++ {
		b := id[i+whole] << rem
		if rem != 0 && i+whole+1 < len(id) {
			b |= id[i+whole+1] >> (8 - rem)
		}
		out[i] = b
	}
	return out, false
}

// Cmp compares two identifiers as unsigned integers: -1, 0 or +1.
func (id ID) Cmp(o ID) int { return bytes.Compare(id[:], o[:]) }

// Between reports whether x lies in the open ring interval (a, b): if a < b
// then a < x < b, else a < x or x < b. Between(a, x, a) is true for every
// x ≠ a, so a one-node ring owns everything (docs/chord.md, Identifiers and intervals).
func Between(a, x, b ID) bool {
	if a.Cmp(b) < 0 {
		return a.Cmp(x) < 0 && x.Cmp(b) < 0
	}
	return a.Cmp(x) < 0 || x.Cmp(b) < 0
}

// BetweenRightIncl reports whether x lies in the half-open ring interval
// (a, b]: the interval a node b owns when its predecessor is a.
func BetweenRightIncl(a, x, b ID) bool { return x == b || Between(a, x, b) }

// BetweenLeftIncl reports whether x lies in the half-open ring interval [a, b).
func BetweenLeftIncl(a, x, b ID) bool { return x == a || Between(a, x, b) }

// Hex prints the identifier with exactly ceil(bits/4) hex digits.
func (id ID) Hex(bits int) string {
	digits := (bits + 3) / 4
	full := hex.EncodeToString(id[:])
	return full[40-digits:]
}

// Short prints the first few hex digits of Hex, enough to tell nodes apart
// on a screen.
func (id ID) Short(bits int) string {
	h := id.Hex(bits)
	if len(h) > 6 {
		return h[:6]
	}
	return h
}

// DecimalBits is the largest identifier size whose identifiers Label
// writes in decimal: a circle of up to 2^10 points reads better in
// numbers, and it is how the Chord papers draw their rings ("N8").
const DecimalBits = 10

// Label writes the identifier for a reader: in decimal when bits ≤
// DecimalBits ("56"), else its first hex digits (Short).
func (id ID) Label(bits int) string {
	if bits <= DecimalBits {
		return strconv.FormatUint(id.Uint64(), 10)
	}
	return id.Short(bits)
}

// Fraction returns the identifier's position on the ring in [0, 1): the
// angle at which the UI draws it, as a fraction of a full turn.
func (id ID) Fraction(bits int) float64 {
	v := new(big.Float).SetInt(new(big.Int).SetBytes(id[:]))
	ring := new(big.Float).SetInt(new(big.Int).Lsh(big.NewInt(1), uint(bits)))
	f, _ := new(big.Float).Quo(v, ring).Float64()
	return f
}

// Distance returns (b - a) mod 2^bits: how far clockwise b lies from a.
func Distance(bits int, a, b ID) ID {
	var out ID
	borrow := 0
	for i := 19; i >= 0; i-- {
		d := int(b[i]) - int(a[i]) - borrow
		borrow = 0
		if d < 0 {
			d += 256
			borrow = 1
		}
		out[i] = byte(d)
	}
	return out.Mask(bits)
}

// Uint64 returns the low 64 bits of the identifier (exact when bits ≤ 64).
func (id ID) Uint64() uint64 {
	var v uint64
	for i := 12; i < 20; i++ {
		v = v<<8 | uint64(id[i])
	}
	return v
}
