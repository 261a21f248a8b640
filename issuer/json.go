package issuer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// This file holds the strict JSON reader used for token headers and claims,
// and the two JSON string writers used when tokens are built.
//
// encoding/json and goccy/go-json both accept duplicate object keys (the last
// one wins), which lets two parsers disagree about what a token says. The
// reader here walks the whole document once, without allocating on the usual
// path, and refuses what RFC 8259 and RFC 7519 leave ambiguous: duplicate keys
// at any depth, invalid UTF-8, and anything after the top-level object.

// maxJSONDepth bounds nesting so that a hostile token cannot exhaust the stack.
const maxJSONDepth = 32

// errJSON is the one error of the reader; callers turn it into ErrMalformed.
var errJSON = errors.New("invalid JSON")

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// objIter walks the members of one object. The scanner must stand on '{'.
type objIter struct {
	s     *scanner
	depth int
	dups  dupSet
	state uint8 // 0 before the first member, 1 inside, 2 done
	err   error

	// The current member as offsets into s.b: storing slices here would make
	// the escape analysis move every scanned buffer to the heap.
	ks, ke int  // raw key, between the quotes, escapes not decoded
	vs, ve int  // raw value
	esc    bool // key has escapes
}

// key returns the raw key of the current member.
func (it *objIter) key() []byte { return it.s.b[it.ks:it.ke] }

// name returns the current member's key with its escapes decoded (which
// allocates only when it has some).
func (it *objIter) name() []byte {
	if it.esc {
		return unescape(nil, it.key())
	}
	return it.key()
}

// val returns the raw value of the current member.
func (it *objIter) val() []byte { return it.s.b[it.vs:it.ve] }

// next advances to the next member; it returns false at the end of the object
// or on an error, which it.err then holds.
func (it *objIter) next() bool {
	s := it.s
	switch it.state {
	case 2:
		return false
	case 0:
		s.i++ // '{'
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			it.state = 2
			return false
		}
		it.state = 1
	default:
		s.ws()
		if s.i >= len(s.b) {
			return it.fail()
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			it.state = 2
			return false
		default:
			return it.fail()
		}
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return it.fail()
	}
	start := s.i + 1
	esc, ok := s.str()
	if !ok {
		return it.fail()
	}
	it.ks, it.ke, it.esc = start, s.i-1, esc
	if !it.dups.add(s.b, it.ks, it.ke, esc) {
		return it.fail()
	}
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return it.fail()
	}
	s.i++
	s.ws()
	vs := s.i
	if !s.value(it.depth + 1) {
		return it.fail()
	}
	it.vs, it.ve = vs, s.i
	return true
}

func (it *objIter) fail() bool {
	it.state, it.err = 2, errJSON
	return false
}

// topObject starts an iterator over b, which must hold exactly one object.
// After the loop, call finish to check that nothing follows it.
func topObject(s *scanner) objIter {
	s.ws()
	it := objIter{s: s}
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		it.state, it.err = 2, errJSON
	}
	return it
}

func (it *objIter) finish() error {
	if it.err != nil {
		return it.err
	}
	it.s.ws()
	if it.s.i != len(it.s.b) {
		return errJSON
	}
	return nil
}

func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxJSONDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		it := objIter{s: s, depth: depth}
		for it.next() {
		}
		return it.err == nil
	case c == '[':
		s.i++
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return true
		}
		for {
			s.ws()
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	}
	return false
}

func (s *scanner) lit(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// str reads a string; the scanner stands on its opening quote and ends after
// the closing one. It reports whether the string holds escapes. Runs of plain
// ASCII are skipped eight bytes at a time.
func (s *scanner) str() (escaped, ok bool) {
	b, i := s.b, s.i+1
	for {
		// Skip to the first byte that may need a look.
		for i+8 <= len(b) {
			m := special8(binary.LittleEndian.Uint64(b[i:]))
			if m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		if i >= len(b) {
			s.i = i
			return escaped, false
		}
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			return escaped, true
		case c == '\\':
			escaped = true
			i++
			if i >= len(b) {
				s.i = i
				return escaped, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if len(b)-i < 5 || !isHex4(b[i+1:i+5]) {
					s.i = i
					return escaped, false
				}
				i += 5
			default:
				s.i = i
				return escaped, false
			}
		case c < 0x20:
			s.i = i
			return escaped, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				s.i = i
				return escaped, false
			}
			i += size
		}
	}
}

// special8 flags (in the high bit of each byte, SWAR) the bytes of x that
// need a closer look inside a string: a quote, a backslash, a control
// character, or a byte of a multi-byte sequence. Bytes above the lowest
// flagged one may be flagged wrongly; the lowest is always right.
func special8(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	slash := x ^ (ones * '\\')
	zeroQ := (quote - ones) &^ quote
	zeroS := (slash - ones) &^ slash
	ctl := (x - ones*0x20) &^ x
	return (zeroQ | zeroS | ctl | x) & highs
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? whose value
// fits a float64, as encoding/json requires of a number it decodes into an
// interface: a claim of 1e700 is refused here rather than by whoever reads
// the claims later.
func (s *scanner) number() bool {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
		return inFloatRange(s.b[start:s.i])
	}
	// Without an exponent, only more than 300 digits can leave float64's
	// range (its largest value has 309): the common claim pays nothing.
	return s.i-start <= 300 || inFloatRange(s.b[start:s.i])
}

func inFloatRange(n []byte) bool {
	_, err := strconv.ParseFloat(string(n), 64)
	return err == nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// dupSet detects a repeated key within one object. Keys go into a small
// open-addressing table by fingerprint (length and first seven bytes, which
// is the key itself for the short names claims have); longer keys with equal
// fingerprints are compared in full. A larger object, or one with escaped
// keys, moves to a map of decoded keys.
type dupSet struct {
	n    int
	fp   [32]uint64 // 0: empty slot
	span [32][2]int32
	big  map[string]struct{}
}

// dupSmall is how many keys the table takes before the map: half its slots.
const dupSmall = 16

func fingerprint(k []byte) uint64 {
	fp := uint64(len(k)) << 56
	if len(k) >= 8 {
		return fp | binary.LittleEndian.Uint64(k)&0x00ffffffffffffff
	}
	for i, c := range k {
		fp |= uint64(c) << (8 * i)
	}
	return fp | 1<<63 // never 0
}

func (d *dupSet) add(b []byte, start, end int, escaped bool) bool {
	raw := b[start:end]
	if d.big == nil && !escaped && d.n < dupSmall {
		fp := fingerprint(raw) | 1<<63
		for h := (fp * 0x9e3779b97f4a7c15) >> 59; ; h = (h + 1) & 31 {
			switch d.fp[h] {
			case 0:
				d.fp[h], d.span[h] = fp, [2]int32{int32(start), int32(end)}
				d.n++
				return true
			case fp:
				if len(raw) <= 7 || bytes.Equal(b[d.span[h][0]:d.span[h][1]], raw) {
					return false
				}
			}
		}
	}
	if d.big == nil {
		d.big = make(map[string]struct{}, 4*dupSmall)
		for h, fp := range d.fp {
			if fp != 0 {
				d.big[string(b[d.span[h][0]:d.span[h][1]])] = struct{}{}
			}
		}
	}
	k := string(raw)
	if escaped {
		k = string(unescape(nil, raw))
	}
	if _, dup := d.big[k]; dup {
		return false
	}
	d.big[k] = struct{}{}
	return true
}

// unescape appends the decoded content of a JSON string (without its quotes,
// already validated by scanner.str) to dst.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(raw[i+1:]))
			i += 4
			if utf16.IsSurrogate(r) && len(raw) >= i+7 && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2 := rune(hex4(raw[i+3:])); utf16.DecodeRune(r, r2) != utf8.RuneError {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r) // a lone surrogate becomes U+FFFD
		default: // '"', '\\', '/'
			dst = append(dst, raw[i])
		}
		i++
	}
	return dst
}

func hex4(b []byte) int {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}

// strValue returns the decoded content of a raw JSON string value (with its
// quotes). It allocates only when the string holds escapes.
func strValue(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	in := raw[1 : len(raw)-1]
	if bytes.IndexByte(in, '\\') < 0 {
		return in, true
	}
	return unescape(nil, in), true
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s to dst as a JSON string, escaping what JSON
// requires; invalid UTF-8 becomes U+FFFD. It is meant for JSONAppender
// implementations.
func AppendJSONString(dst []byte, s string) []byte { return appendString(dst, s, false) }

// appendString appends s as a JSON string. With asciiOnly it escapes exactly
// as Python's json.dumps does by default (ensure_ascii=True): every character
// outside U+0020..U+007E becomes a short escape or \uXXXX in lower-case hex,
// with surrogate pairs above U+FFFF. Without it, non-ASCII text is written as
// UTF-8. Invalid UTF-8 is written as U+FFFD.
func appendString(dst []byte, s string, asciiOnly bool) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = appendEscapedRune(dst, rune(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if asciiOnly {
			dst = appendEscapedRune(dst, r)
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}

func appendEscapedRune(dst []byte, r rune) []byte {
	switch r {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	if r > 0xffff {
		r1, r2 := utf16.EncodeRune(r)
		return appendU4(appendU4(dst, r1), r2)
	}
	return appendU4(dst, r)
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendPython appends the JSON document src re-encoded as Python's
// json.dumps(obj, separators=(",", ":")) writes it: strings are re-escaped
// with appendString(asciiOnly); everything else is copied. src must be valid
// JSON without insignificant white space, as goccy/go-json produces.
func appendPython(dst, src []byte) []byte {
	var tmp []byte
	for i := 0; i < len(src); {
		if src[i] != '"' {
			dst = append(dst, src[i])
			i++
			continue
		}
		s := scanner{b: src, i: i}
		if _, ok := s.str(); !ok {
			return append(dst, src[i:]...) // not reached for encoder output
		}
		tmp = unescape(tmp[:0], src[i+1:s.i-1])
		dst = appendString(dst, unsafe.String(unsafe.SliceData(tmp), len(tmp)), true)
		i = s.i
	}
	return dst
}
