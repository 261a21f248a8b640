package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/go-playground/validator/v10"
	json "github.com/goccy/go-json"
	"github.com/quickjwt/quickjwt/issuer"
)

// claimSet is the service's payload: the claims a client asked for, as one
// JSON object. It writes and reads its own JSON, so the claims need no Go
// type; the issuer adds and strips the registered claims around it.
type claimSet struct{ raw []byte }

func (c *claimSet) AppendJSON(dst []byte) []byte { return append(dst, c.raw...) }

func (c *claimSet) UnmarshalJSON(b []byte) error {
	c.raw = bytes.Clone(b)
	return nil
}

// headerValue returns claim name as an HTTP header value: a string as it is,
// any other JSON value as its JSON text. ok is false when the claim is
// missing, or holds a control character that has no place in a header.
func (c claimSet) headerValue(name string) (v []byte, ok bool) {
	raw, ok := issuer.LookupMember(c.raw, name)
	if !ok {
		return nil, false
	}
	if raw[0] == '"' {
		if bytes.IndexByte(raw, '\\') < 0 {
			raw = raw[1 : len(raw)-1]
		} else {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, false
			}
			raw = []byte(s)
		}
	}
	for _, b := range raw {
		if b < 0x20 || b == 0x7f {
			return nil, false
		}
	}
	return raw, true
}

// reserved are the registered claims the issuer writes; clients cannot ask
// for them.
var reserved = []string{"iss", "aud", "exp", "nbf", "iat", "jti", "fam"}

// claimRules checks the claims a client asks for against claims.rules.
type claimRules struct {
	v            *validator.Validate
	rules        map[string]string
	names        []string // sorted, for stable error order
	allowUnknown bool
}

func newClaimRules(cfg ClaimsConfig) (*claimRules, error) {
	r := &claimRules{v: validator.New(), rules: map[string]string{}, allowUnknown: cfg.AllowUnknown}
	var errs []string
	for name, rule := range cfg.Rules {
		if slices.Contains(reserved, name) {
			errs = append(errs, fmt.Sprintf("claims.rules.%s: a registered claim is the issuer's, not a client's", name))
			continue
		}
		if err := r.tryRule(rule); err != nil {
			errs = append(errs, fmt.Sprintf("claims.rules.%s: %v", name, err))
			continue
		}
		r.rules[name] = rule
		r.names = append(r.names, name)
	}
	slices.Sort(r.names)
	slices.Sort(errs)
	if len(errs) > 0 {
		return nil, fmt.Errorf("config: %s", strings.Join(errs, "; "))
	}
	return r, nil
}

// tryRule checks that rule parses: the validator panics on an unknown tag.
func (r *claimRules) tryRule(rule string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("bad rule %q: %v", rule, p)
		}
	}()
	_ = r.v.Var("", rule)
	return nil
}

// check applies rule to v. The validator panics when a rule does not fit the
// value's type (max on a bool, say): a client's mistake, so an error here.
func (r *claimRules) check(v any, rule string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	return r.v.Var(v, rule)
}

// parse checks a request body and returns its claims, or an
// *issuer.PayloadError listing every problem (a 400).
func (r *claimRules) parse(body []byte) (claimSet, error) {
	var values map[string]any
	if err := json.Unmarshal(body, &values); err != nil || values == nil {
		return claimSet{}, &issuer.PayloadError{Err: fmt.Errorf("the body must be one JSON object of claims")}
	}
	var bad []issuer.FieldViolation
	for _, name := range r.names {
		v, present := values[name]
		if !present {
			v = nil
		}
		if err := r.check(v, r.rules[name]); err != nil {
			if verrs, ok := err.(validator.ValidationErrors); ok {
				for _, fe := range verrs {
					bad = append(bad, issuer.FieldViolation{Field: name, Rule: fe.Tag(), Param: fe.Param()})
				}
				continue
			}
			bad = append(bad, issuer.FieldViolation{Field: name, Rule: r.rules[name]})
		}
	}
	if v, ok := values["sub"]; ok && !slices.ContainsFunc(bad, func(f issuer.FieldViolation) bool { return f.Field == "sub" }) {
		if _, ok := v.(string); !ok { // RFC 7519 section 4.1.2; a check would refuse the token
			bad = append(bad, issuer.FieldViolation{Field: "sub", Rule: "string"})
		}
	}
	for name := range values {
		if _, known := r.rules[name]; known {
			continue
		}
		switch {
		case slices.Contains(reserved, name):
			bad = append(bad, issuer.FieldViolation{Field: name, Rule: "reserved"})
		case !r.allowUnknown:
			bad = append(bad, issuer.FieldViolation{Field: name, Rule: "unknown"})
		}
	}
	if len(bad) > 0 {
		slices.SortStableFunc(bad, func(a, b issuer.FieldViolation) int { return strings.Compare(a.Field, b.Field) })
		return claimSet{}, &issuer.PayloadError{Fields: bad}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return claimSet{}, &issuer.PayloadError{Err: fmt.Errorf("the body must be one JSON object of claims")}
	}
	return claimSet{raw: compact.Bytes()}, nil
}
