// Package iampolicy reads the IAM policy documents shipped in deploy/ and
// answers, for the tests that hold them to the calls the code makes,
// whether a request is allowed. It covers the subset those policies use:
// Allow statements, Action and Resource with * and ? wildcards, and
// StringEquals / StringLike conditions. A statement with anything else
// (Deny, NotAction, NotResource, another condition operator) is an error,
// so a policy can never be judged by rules this package does not know.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	Statements []Statement
}

// Statement is one Allow statement.
type Statement struct {
	Sid       string
	Actions   []string
	Resources []string
	// Conditions maps an operator (StringEquals, StringLike) to the
	// values each condition key must have (any one of them).
	Conditions map[string]map[string][]string
}

// Request is one authorized call: its action, its resource ARN and the
// condition keys it carries (e.g. s3:prefix).
type Request struct {
	Action   string
	Resource string
	Context  map[string]string
}

// String names the call for test failures: the action, the resource and
// any condition keys.
func (r Request) String() string {
	s := r.Action + " on " + r.Resource
	if len(r.Context) > 0 {
		s += fmt.Sprintf(" %v", r.Context)
	}
	return s
}

// Parse reads a policy document, refusing what this package cannot judge.
func Parse(doc []byte) (Policy, error) {
	var raw struct {
		Version   string
		Statement []map[string]json.RawMessage
	}
	if err := json.Unmarshal(doc, &raw); err != nil {
		return Policy{}, err
	}
	if raw.Version != "2012-10-17" {
		return Policy{}, fmt.Errorf("policy version %q, want 2012-10-17", raw.Version)
	}
	var p Policy
	for i, st := range raw.Statement {
		var s Statement
		for k, v := range st {
			var err error
			switch k {
			case "Sid":
				err = json.Unmarshal(v, &s.Sid)
			case "Effect":
				var e string
				if err = json.Unmarshal(v, &e); err == nil && e != "Allow" {
					err = fmt.Errorf("effect %q (only Allow is judged)", e)
				}
			case "Action":
				s.Actions, err = strings1(v)
			case "Resource":
				s.Resources, err = strings1(v)
			case "Condition":
				s.Conditions, err = conditions(v)
			default:
				err = fmt.Errorf("element %s is not judged", k)
			}
			if err != nil {
				return Policy{}, fmt.Errorf("statement %d (%s): %w", i, s.Sid, err)
			}
		}
		if len(s.Actions) == 0 || len(s.Resources) == 0 {
			return Policy{}, fmt.Errorf("statement %d (%s): no Action or no Resource", i, s.Sid)
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

// strings1 reads a string or a list of strings.
func strings1(v json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(v, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	err := json.Unmarshal(v, &many)
	return many, err
}

func conditions(v json.RawMessage) (map[string]map[string][]string, error) {
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return nil, err
	}
	out := map[string]map[string][]string{}
	for op, keys := range raw {
		if op != "StringEquals" && op != "StringLike" {
			return nil, fmt.Errorf("condition operator %s is not judged", op)
		}
		out[op] = map[string][]string{}
		for k, vals := range keys {
			list, err := strings1(vals)
			if err != nil {
				return nil, err
			}
			out[op][k] = list
		}
	}
	return out, nil
}

// Allows reports whether a statement of p allows r.
func (p Policy) Allows(r Request) bool {
	for _, s := range p.Statements {
		if s.allows(r) {
			return true
		}
	}
	return false
}

func (s Statement) allows(r Request) bool {
	return anyMatch(s.Actions, r.Action, true) && anyMatch(s.Resources, r.Resource, false) && s.conditionsHold(r.Context)
}

func (s Statement) conditionsHold(ctx map[string]string) bool {
	for op, keys := range s.Conditions {
		for k, want := range keys {
			got, ok := ctx[k]
			if !ok {
				return false // a missing key never satisfies a positive operator
			}
			if !anyMatch(want, got, false) || (op == "StringEquals" && !contains(want, got)) {
				return false
			}
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// anyMatch matches s against IAM wildcard patterns (* and ?); actions
// compare without regard to case, as IAM does.
func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches the IAM pattern p, where * matches any
// run of characters (slashes included) and ? any one character.
func Match(p, s string) bool {
	// IAM's * crosses '/' (path.Match's does not): match the pieces of
	// the pattern between the stars in order.
	if !strings.Contains(p, "*") {
		return len(p) == len(s) && prefixMatch(p, s)
	}
	parts := strings.Split(p, "*")
	if !prefixMatch(parts[0], s) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && prefixMatch(last, s[len(s)-len(last):])
}

// prefixMatch: s starts with p, where ? in p matches any one character.
func prefixMatch(p, s string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '?' && p[i] != s[i] {
			return false
		}
	}
	return true
}

// index finds p (with ? wildcards) in s.
func index(s, p string) int {
	for i := 0; i+len(p) <= len(s); i++ {
		if prefixMatch(p, s[i:]) {
			return i
		}
	}
	return -1
}

// Grants are the (action, resource pattern) pairs p allows, one per
// action and resource of each statement, for the check that the code
// uses every one of them.
func (p Policy) Grants() []Grant {
	var out []Grant
	for _, s := range p.Statements {
		for _, a := range s.Actions {
			for _, r := range s.Resources {
				out = append(out, Grant{Sid: s.Sid, Action: a, Resource: r, statement: s})
			}
		}
	}
	return out
}

// Grant is one action on one resource pattern of a statement.
type Grant struct {
	Sid, Action, Resource string
	statement             Statement
}

// Covers reports whether r is a request this grant (with its statement's
// conditions) allows.
func (g Grant) Covers(r Request) bool {
	return anyMatch([]string{g.Action}, r.Action, true) && Match(g.Resource, r.Resource) && g.statement.conditionsHold(r.Context)
}
