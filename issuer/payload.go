package issuer

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
	json "github.com/goccy/go-json"
)

// JSONAppender is implemented by payload types that write their own JSON
// object. Such a payload skips reflection when tokens are signed, which makes
// SignPair allocation-free for HMAC keys. AppendJSON must append one JSON
// object; its keys are checked against the registered claims on every token.
type JSONAppender interface {
	AppendJSON(dst []byte) []byte
}

// PayloadValidator is implemented by payload types that check more than their
// validate tags can say. Validate runs after the tags, both when a token is
// created and when one is checked; its error is wrapped in a PayloadError.
type PayloadValidator interface {
	Validate() error
}

// reservedClaims are the claims the issuer writes itself. A payload may not
// carry them (New reports it), except in Compat mode, which writes none.
var reservedClaims = [...]string{"iss", "aud", "exp", "nbf", "iat", "jti", "fam"}

func isReserved(name []byte) bool {
	if len(name) != 3 { // every reserved claim has three letters
		return false
	}
	for _, r := range reservedClaims {
		if strings.EqualFold(string(name), r) {
			return true
		}
	}
	return false
}

// FieldViolation is one failed validate rule of a payload field.
type FieldViolation struct {
	// Field is the field's path by JSON names, such as "sub" or "address.city".
	Field string `json:"field"`
	// Rule is the validate tag that failed, such as "required" or "max".
	Rule string `json:"rule"`
	// Param is the rule's parameter, such as "128" for max=128.
	Param string `json:"param,omitempty"`
}

// PayloadError reports a payload that failed validation or, for a checked
// token, could not be decoded into the payload type. It matches
// ErrInvalidPayload, and also ErrInvalidToken when it came from a token being
// checked. validator.ValidationErrors is reachable through errors.As.
type PayloadError struct {
	// Fields lists every failed validate rule.
	Fields []FieldViolation
	// Err is the error of the payload's Validate method, or of decoding.
	Err error

	verrs   validator.ValidationErrors
	checked bool
}

func (e *PayloadError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidPayload.Error())
	sep := ": "
	for _, f := range e.Fields {
		b.WriteString(sep)
		b.WriteString(f.Field)
		b.WriteString(" failed ")
		b.WriteString(f.Rule)
		if f.Param != "" {
			b.WriteString("=" + f.Param)
		}
		sep = "; "
	}
	if e.Err != nil {
		b.WriteString(sep)
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns ErrInvalidPayload, the validator's errors, Err, and for a
// checked token ErrInvalidToken.
func (e *PayloadError) Unwrap() []error {
	errs := []error{ErrInvalidPayload}
	if e.verrs != nil {
		errs = append(errs, e.verrs)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.checked {
		errs = append(errs, ErrInvalidToken)
	}
	return errs
}

func newPayloadError(err error, checked bool) *PayloadError {
	pe := &PayloadError{checked: checked}
	var verrs validator.ValidationErrors
	if errors.As(err, &verrs) {
		pe.verrs = verrs
		for _, fe := range verrs {
			path := fe.Namespace()
			if _, rest, ok := strings.Cut(path, "."); ok {
				path = rest // drop the payload type's own name
			}
			pe.Fields = append(pe.Fields, FieldViolation{Field: path, Rule: fe.Tag(), Param: fe.Param()})
		}
	} else {
		pe.Err = err
	}
	return pe
}

// newValidator returns the validator an Issuer uses for its payloads; field
// paths in errors use JSON names.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			return ""
		case "":
			return f.Name
		}
		return name
	})
	return v
}

// codec encodes, decodes and validates one payload type. What reflection can
// tell is worked out once, in newCodec.
type codec[P any] struct {
	v        *validator.Validate
	tags     bool // P has validate tags
	hook     bool // *P implements PayloadValidator
	appender bool // *P implements JSONAppender
	custom   bool // P writes its own JSON: its keys are checked per token
	ownDec   bool // P reads its own JSON: it gets only its own members
	compat   bool
	holders  sync.Pool // *P, so that payloads passed by value need not escape
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	unmarshalerType   = reflect.TypeFor[json.Unmarshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func newCodec[P any](v *validator.Validate, compat bool) (*codec[P], error) {
	t := reflect.TypeFor[P]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: payload type %v is not a struct", ErrInvalidConfig, t)
	}
	pt := reflect.PointerTo(t)
	c := &codec[P]{
		v:        v,
		tags:     hasValidateTags(t, map[reflect.Type]bool{}),
		hook:     pt.Implements(reflect.TypeFor[PayloadValidator]()),
		appender: pt.Implements(reflect.TypeFor[JSONAppender]()),
		compat:   compat,
	}
	c.custom = c.appender || pt.Implements(marshalerType)
	c.ownDec = pt.Implements(unmarshalerType) && !compat
	c.holders.New = func() any { return new(P) }
	if !compat && !c.custom {
		var errs []error
		jsonFieldNames(t, map[reflect.Type]bool{}, func(name string, f reflect.StructField) {
			if isReserved([]byte(name)) {
				errs = append(errs, fmt.Errorf("%w: payload %v: field %s (JSON %q) collides with the registered claim the issuer sets; rename it",
					ErrInvalidConfig, t, f.Name, name))
			}
			if name == "sub" {
				if err := subField(f); err != nil {
					errs = append(errs, fmt.Errorf("%w: payload %v: field %s (JSON \"sub\") %v", ErrInvalidConfig, t, f.Name, err))
				}
			}
		})
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
	}
	return c, nil
}

// subField reports why a payload field named "sub" would not always encode
// as a JSON string, which a checked token's sub must be (RFC 7519 section
// 4.1.2): its type must be a string kind, or encode itself (TextMarshaler
// always gives a string; a json.Marshaler is trusted and checked nowhere),
// and a pointer needs omitempty, lest nil be written as null.
func subField(f reflect.StructField) error {
	t := f.Type
	if t.Kind() == reflect.Pointer {
		if _, opts, _ := strings.Cut(f.Tag.Get("json"), ","); !strings.Contains(","+opts+",", ",omitempty,") {
			return errors.New("is a pointer without omitempty: nil would be written as null, and sub must be a string")
		}
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	if t.Kind() == reflect.String || pt.Implements(textMarshalerType) || pt.Implements(marshalerType) {
		return nil
	}
	return fmt.Errorf("has type %v: sub must encode as a JSON string", f.Type)
}

// jsonFieldNames calls fn with the JSON name of every field encoding/json (and
// goccy/go-json) would write for struct type t, following embedded structs.
func jsonFieldNames(t reflect.Type, seen map[reflect.Type]bool, fn func(name string, f reflect.StructField)) {
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if !seen[ft] {
					jsonFieldNames(ft, seen, fn)
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fn(name, f)
	}
}

func hasValidateTags(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("validate"); tag != "" && tag != "-" {
			return true
		}
		if hasValidateTags(f.Type, seen) {
			return true
		}
	}
	return false
}

// validate runs the validate tags, then the Validate method.
func (c *codec[P]) validate(p *P, checked bool) error {
	if c.tags {
		// Validating a copy keeps the struct's fields unaddressable, so the
		// validator does not copy each field to the heap: one allocation for
		// the copy instead of one per field.
		if err := c.v.Struct(*p); err != nil {
			return newPayloadError(err, checked)
		}
	}
	if c.hook {
		if err := any(p).(PayloadValidator).Validate(); err != nil {
			return newPayloadError(err, checked)
		}
	}
	return nil
}

// encode writes p's JSON object into sc.payload and returns it.
func (c *codec[P]) encode(p *P, sc *scratch) ([]byte, error) {
	if c.appender {
		sc.payload = any(p).(JSONAppender).AppendJSON(sc.payload[:0])
	} else {
		sc.payload = sc.payload[:0]
		if err := sc.enc.Encode(p); err != nil {
			return nil, newPayloadError(err, false)
		}
		sc.payload = sc.payload[:len(sc.payload)-1] // the Encoder's newline
	}
	if c.custom {
		if err := checkPayloadJSON(sc.payload, c.compat); err != nil {
			return nil, newPayloadError(err, false)
		}
		return trimWS(sc.payload), nil
	}
	return sc.payload, nil
}

// payloadMembers appends to dst the object claims (valid, checked JSON)
// without the registered claims the issuer writes.
func payloadMembers(dst, claims []byte) []byte {
	dst = append(dst, '{')
	s := scanner{b: claims}
	it := topObject(&s)
	for it.next() {
		if isReserved(it.key()) {
			continue
		}
		if len(dst) > 1 {
			dst = append(dst, ',')
		}
		dst = append(dst, claims[it.ks-1:it.ve]...) // "key" ... value, white space and all
	}
	return append(dst, '}')
}

// LookupMember returns the raw JSON value of the member name of the JSON
// object obj, such as the payload JSON an UnmarshalJSON method receives. It
// does not decode escapes in member names. ok is false when there is no such
// member or obj is not a JSON object.
func LookupMember(obj []byte, name string) (value []byte, ok bool) {
	s := scanner{b: obj}
	it := topObject(&s)
	for it.next() {
		if string(it.key()) == name {
			return it.val(), true
		}
	}
	return nil, false
}

// checkPayloadJSON checks the output of a payload's own encoder: one JSON
// object without duplicate keys and, unless compat, without reserved claims.
func checkPayloadJSON(b []byte, compat bool) error {
	s := scanner{b: b}
	it := topObject(&s)
	for it.next() {
		key := it.name()
		if !compat && isReserved(key) {
			return fmt.Errorf("the payload's JSON has the key %q, a registered claim the issuer sets", key)
		}
		if !compat && string(key) == "sub" && it.val()[0] != '"' {
			return errors.New("the payload's sub is not a JSON string")
		}
	}
	if err := it.finish(); err != nil {
		return errors.New("the payload's JSON encoding is not one JSON object with unique keys")
	}
	return nil
}

// decode fills p from the payload JSON of a checked token: its members
// without the claims the issuer writes. A payload type with its own
// UnmarshalJSON gets it directly (valid JSON already, so not read twice); it
// must copy what it keeps, as encoding/json asks.
func (c *codec[P]) decode(data []byte, p *P) error {
	var err error
	if c.ownDec {
		err = any(p).(json.Unmarshaler).UnmarshalJSON(data)
	} else {
		err = json.Unmarshal(data, p) // p is pooled on the heap: nothing to keep on the stack
	}
	if err != nil {
		return newPayloadError(fmt.Errorf("claims do not fit the payload type: %w", err), true)
	}
	return nil
}

func (c *codec[P]) get() *P { return c.holders.Get().(*P) }

func (c *codec[P]) put(p *P) {
	var zero P
	*p = zero
	c.holders.Put(p)
}
