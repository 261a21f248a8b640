package issuer

import (
	"bytes"
	"encoding/base64"
	stdjson "encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// strictObject reports whether b is one JSON object accepted by the reader.
func strictObject(b []byte) bool {
	s := scanner{b: b}
	it := topObject(&s)
	for it.next() {
	}
	return it.finish() == nil
}

// refStrictObject is the reference: encoding/json's grammar, plus the rules
// the reader adds (object at the top, unique keys at every depth, valid
// UTF-8, bounded depth).
func refStrictObject(b []byte) bool {
	if !stdjson.Valid(b) || !utf8.Valid(b) {
		return false
	}
	dec := stdjson.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next token in this object is a key
	}
	var stack []*frame
	first := true
	for {
		tok, err := dec.Token()
		if err != nil {
			return err.Error() == "EOF"
		}
		if first {
			if d, ok := tok.(stdjson.Delim); !ok || d != '{' {
				return false
			}
		}
		first = false
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			if d, ok := tok.(stdjson.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k := tok.(string)
			if top.keys[k] {
				return false
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		if top != nil && top.obj {
			top.key = true
		}
		switch tok {
		case stdjson.Delim('{'):
			stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
		case stdjson.Delim('['):
			stack = append(stack, &frame{})
		case stdjson.Delim(']'), stdjson.Delim('}'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > maxJSONDepth {
			return false
		}
	}
}

var jsonSeeds = []string{
	`{}`, ` { "a" : 1 } `, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"x":1},{"x":1,"x":2}]}`,
	`{"\u0061":1,"a":2}`, `{"a":"\ud83d\ude80","b":"\u00e9"}`, `{"a":-0.5e+10,"b":1E3,"c":0}`, `{"a":01}`,
	`{"a":1e700}`, `{"a":-1e309}`, `{"a":1e-700}`, `{"a":1.7976931348623157e308}`, `{"a":` + strings.Repeat("9", 310) + `}`,
	`{"a":` + strings.Repeat("9", 300) + `}`, `{"a":1.}`, `{"a":.5}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", `[1]`, `"s"`, `null`,
	`{"a":true,"b":false,"c":null}`, `{"a":tru}`, `{"a":1}x`, `{"a":1}{}`, `{"a" 1}`, `{"a":1,}`, `{,}`,
	`{"a":[1,2,]}`, `{"a":[]}`, strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40),
	`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k1":0}`,
	`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k\u0031":0}`,
}

// claimsReadAgrees reports whether registered.read agrees with the
// reference's verdict want on b: it takes what is valid, refuses what is
// not, and may refuse valid JSON only for a claim of the wrong JSON type
// (which it reports before reading on).
func claimsReadAgrees(b []byte, want bool) bool {
	var rc registered
	err := rc.read(b)
	if want {
		return err == nil || errors.Is(err, ErrMissingClaim)
	}
	return err != nil
}

// claimSeeds put the registered names, escaped and repeated, in the seeds.
var claimSeeds = []string{
	`{"iat":1,"iat":2}`, `{"iat":1,"\u0069at":2}`, `{"exp":1,"x":1,"exp":2}`, `{"sub":"a","s\u0075b":"b"}`,
	`{"iss":"a","aud":"b","jti":"c","fam":"d","nbf":1,"exp":2,"iat":3,"x":{"iat":1,"iat":1}}`,
	`{"x":1,"y":2,"x":3}`, `{"x":1,"\u0078":3}`, `{"iat":"wrong type","iat":1}`, `{"aud":1}`,
}

func TestStrictJSON(t *testing.T) {
	for _, s := range append(jsonSeeds, claimSeeds...) {
		want := refStrictObject([]byte(s))
		if got := strictObject([]byte(s)); got != want {
			t.Errorf("%s: reader %v, reference %v", s, got, want)
		}
		if !claimsReadAgrees([]byte(s), want) {
			t.Errorf("%s: the claims reader disagrees with the reference, %v", s, want)
		}
	}
}

// FuzzStrictJSON compares the reader, and the claims reader built on it,
// with encoding/json plus the added rules.
func FuzzStrictJSON(f *testing.F) {
	for _, s := range append(jsonSeeds, claimSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := refStrictObject([]byte(s))
		if got := strictObject([]byte(s)); got != want {
			t.Fatalf("%q: reader %v, reference %v", s, got, want)
		}
		if !claimsReadAgrees([]byte(s), want) {
			t.Fatalf("%q: the claims reader disagrees with the reference, %v", s, want)
		}
	})
}

// FuzzAppendPython: re-encoding a JSON string as Python does keeps its value
// and yields printable ASCII only.
func FuzzAppendPython(f *testing.F) {
	for _, s := range []string{"", "plain", "Zoë", "🚀", "\u2028", "a\"b\\c/", "\x00\x1f\x7f\b\f\n\r\t", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		in, _ := stdjson.Marshal(map[string]string{"k": s})
		out := appendPython(nil, in)
		for _, c := range out {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("%q: byte %#x in %s", s, c, out)
			}
		}
		var back map[string]string
		if err := stdjson.Unmarshal(out, &back); err != nil || back["k"] != s {
			t.Fatalf("%q -> %s -> %q, %v", s, out, back["k"], err)
		}
	})
}

var benchClaims = []byte(`{"iss":"https://auth.example.com","aud":"api","iat":1796322256,"nbf":1796322256,"exp":1796323156,"jti":"QWJjZGVmZ2hpamtsbW5vcA","fam":"cXJzdHV2d3h5ejAxMjM0NQ","sub":"user-1234567890","scope":"read:profile write:profile"}`)

func BenchmarkReadClaims(b *testing.B) {
	b.SetBytes(int64(len(benchClaims)))
	b.ReportAllocs()
	for b.Loop() {
		var rc registered
		if err := rc.read(benchClaims); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendB64(t *testing.T) {
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i * 7)
	}
	for n := range len(src) {
		want := base64.RawURLEncoding.AppendEncode([]byte("x."), src[:n])
		if got := appendB64([]byte("x."), src[:n]); string(got) != string(want) {
			t.Fatalf("len %d: %s, want %s", n, got, want)
		}
	}
}

func FuzzAppendB64(f *testing.F) {
	f.Add([]byte("hello"), []byte("pre"))
	f.Fuzz(func(t *testing.T, src, pre []byte) {
		want := base64.RawURLEncoding.AppendEncode(bytes.Clone(pre), src)
		if got := appendB64(bytes.Clone(pre), src); !bytes.Equal(got, want) {
			t.Fatalf("%x: %s, want %s", src, got, want)
		}
	})
}

// refDecodeB64 is the reference decoder: canonical unpadded base64url.
func refDecodeB64(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") { // which encoding/base64 skips
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return b, err == nil
}

var b64Seeds = []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "QQ", "QR", "QUE", "QUF", "eyJhbGciOiJIUzI1NiJ9",
	"ab+/", "ab==", "a=", "Zm9v\n", "Zm9v\rYmFy", "Zm 9v", "Zm9v\x80", "-_-_", "____", "_w", "_x", "__8", "__9"}

func TestDecodeB64(t *testing.T) {
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i*7 + 3)
	}
	for n := range len(src) {
		enc := base64.RawURLEncoding.EncodeToString(src[:n])
		got, err := decodeB64([]byte("garbage"), enc)
		if err != nil || !bytes.Equal(got, src[:n]) {
			t.Fatalf("len %d: %x, %v", n, got, err)
		}
	}
	for _, s := range b64Seeds {
		want, ok := refDecodeB64(s)
		if got, err := decodeB64(nil, s); (err == nil) != ok || ok && !bytes.Equal(got, want) {
			t.Errorf("%q: %x, %v; want %x, %v", s, got, err, want, ok)
		}
	}
}

func FuzzDecodeB64(f *testing.F) {
	for _, s := range b64Seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, ok := refDecodeB64(s)
		if got, err := decodeB64(nil, s); (err == nil) != ok || ok && !bytes.Equal(got, want) {
			t.Fatalf("%q: %x, %v; want %x, %v", s, got, err, want, ok)
		}
	})
}

func BenchmarkDecodeB64(b *testing.B) {
	src := make([]byte, 280)
	enc := base64.RawURLEncoding.EncodeToString(src)
	dst := make([]byte, 0, 512)
	b.Run("stdlib", func(b *testing.B) {
		for b.Loop() {
			n, _ := base64.RawURLEncoding.Strict().Decode(dst[:cap(dst)], []byte(enc))
			dst = dst[:n]
		}
	})
	b.Run("tables", func(b *testing.B) {
		for b.Loop() {
			dst, _ = decodeB64(dst, enc)
		}
	})
}

func BenchmarkB64(b *testing.B) {
	src := make([]byte, 280)
	dst := make([]byte, 0, 512)
	b.Run("stdlib", func(b *testing.B) {
		for b.Loop() {
			dst = base64.RawURLEncoding.AppendEncode(dst[:0], src)
		}
	})
	b.Run("pairs", func(b *testing.B) {
		for b.Loop() {
			dst = appendB64(dst[:0], src)
		}
	})
}
