package issuer

import (
	"encoding/base64"
	"encoding/binary"
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
