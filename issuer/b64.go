package issuer

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
)

// b64pairs maps 12 bits to the two base64url characters that encode them,
// as a little-endian uint16: encoding reads half as many table entries as
// encoding/base64 does, which makes it about twice as fast on the token
// sizes signed here.
var b64pairs = func() (t [4096]uint16) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for v := range t {
		t[v] = uint16(alphabet[v>>6]) | uint16(alphabet[v&63])<<8
	}
	return t
}()

// appendB64 appends the unpadded base64url encoding of src to dst; it is
// equal to base64.RawURLEncoding.AppendEncode.
func appendB64(dst, src []byte) []byte {
	n := base64.RawURLEncoding.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	i, j := 0, 0
	// 6 bytes in, 8 characters out, while 8 bytes can be loaded.
	for ; i+8 <= len(src); i, j = i+6, j+8 {
		v := binary.BigEndian.Uint64(src[i:])
		binary.LittleEndian.PutUint64(out[j:],
			uint64(b64pairs[v>>52])|uint64(b64pairs[v>>40&0xfff])<<16|
				uint64(b64pairs[v>>28&0xfff])<<32|uint64(b64pairs[v>>16&0xfff])<<48)
	}
	for ; i+3 <= len(src); i, j = i+3, j+4 {
		v := uint(src[i])<<16 | uint(src[i+1])<<8 | uint(src[i+2])
		binary.LittleEndian.PutUint32(out[j:], uint32(b64pairs[v>>12])|uint32(b64pairs[v&0xfff])<<16)
	}
	base64.RawURLEncoding.Encode(out[j:], src[i:])
	return dst[:len(dst)+n]
}

// b64dec maps a base64url character, at each of the four places of a
// quantum, to its bits already shifted into place in a big-endian 24-bit
// group; any other byte maps to b64bad, which no valid group reaches. Four
// lookups and an OR decode four characters, with one test for all of them.
const b64bad = 1 << 24

var b64dec = func() (t [4][256]uint32) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for p := range t {
		for c := range t[p] {
			t[p][c] = b64bad
		}
		for v := range len(alphabet) {
			t[p][alphabet[v]] = uint32(v) << (18 - 6*p)
		}
	}
	return t
}()

// errB64 reports a segment that is not canonical unpadded base64url.
var errB64 = errors.New("illegal base64url data")

// decodeB64 appends to dst[:0] the decoding of s, canonical base64url
// without padding (base64.RawURLEncoding.Strict): any other byte, a length
// of 4n+1 or non-zero unused bits is an error.
func decodeB64(dst []byte, s string) ([]byte, error) {
	n := len(s) / 4 * 3
	switch len(s) % 4 {
	case 1:
		return dst[:0], errB64
	case 2:
		n++
	case 3:
		n += 2
	}
	dst = slices.Grow(dst[:0], n)[:n]
	i, j := 0, 0
	// 8 (then 4) characters in, 6 (then 3) bytes out; 8 (then 4) bytes
	// written while there is room for the extra ones.
	for ; i+8 <= len(s) && j+8 <= n; i, j = i+8, j+6 {
		q := s[i : i+8]
		v := b64dec[0][q[0]] | b64dec[1][q[1]] | b64dec[2][q[2]] | b64dec[3][q[3]]
		w := b64dec[0][q[4]] | b64dec[1][q[5]] | b64dec[2][q[6]] | b64dec[3][q[7]]
		if v|w >= b64bad {
			return dst[:0], errB64
		}
		binary.BigEndian.PutUint64(dst[j:j+8], uint64(v)<<40|uint64(w)<<16)
	}
	for ; i+4 <= len(s) && j+4 <= n; i, j = i+4, j+3 {
		q := s[i : i+4]
		v := b64dec[0][q[0]] | b64dec[1][q[1]] | b64dec[2][q[2]] | b64dec[3][q[3]]
		if v >= b64bad {
			return dst[:0], errB64
		}
		binary.BigEndian.PutUint32(dst[j:j+4], v<<8)
	}
	switch rest := s[i:]; len(rest) {
	case 4:
		v := b64dec[0][rest[0]] | b64dec[1][rest[1]] | b64dec[2][rest[2]] | b64dec[3][rest[3]]
		if v >= b64bad {
			return dst[:0], errB64
		}
		dst[j], dst[j+1], dst[j+2] = byte(v>>16), byte(v>>8), byte(v)
	case 3: // 18 bits for 2 bytes: the last 2 must be zero
		v := b64dec[0][rest[0]] | b64dec[1][rest[1]] | b64dec[2][rest[2]]
		if v >= b64bad || v&0xff != 0 {
			return dst[:0], errB64
		}
		dst[j], dst[j+1] = byte(v>>16), byte(v>>8)
	case 2: // 12 bits for 1 byte: the last 4 must be zero
		v := b64dec[0][rest[0]] | b64dec[1][rest[1]]
		if v >= b64bad || v&0xffff != 0 {
			return dst[:0], errB64
		}
		dst[j] = byte(v >> 16)
	}
	return dst, nil
}
