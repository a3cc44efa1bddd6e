package awsfake

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// A fault file replays a bad day against awsfake: which calls about which
// account fail, and how. It is YAML (JSON is YAML too):
//
//	accounts:
//	  "222222222222":
//	    AssumeRole: {error: AccessDenied}
//	  "333333333333":
//	    latency: 200ms                  # every answer about the account
//	    GetCredentialReport: {error: Throttling, times: 3}
//	    GetAccountPasswordPolicy: {html: 503, rate: 0.5}
//	  "444444444444":
//	    GenerateCredentialReport: {in_progress: forever}
//	  "111111111111":                   # the management account answers Organizations
//	    ListAccounts: {error: ServiceException, after_pages: 1}
//
// Unknown keys, duplicate keys, codes an action does not answer and
// accounts not in the organization are errors naming the file and line.

// FaultFile is a parsed fault file.
type FaultFile struct {
	// Name is the file's name, used in errors.
	Name string
	// Entries are the accounts' faults in file order.
	Entries []FaultEntry
}

// FaultEntry is the faults of one account in a fault file.
type FaultEntry struct {
	Account string
	// Line is the line of the account's key.
	Line  int
	Fault Fault
	// orgLine is the line of the first Organizations action, 0 if none.
	orgLine int
}

// FaultFileError locates a problem in a fault file.
type FaultFileError struct {
	Name         string
	Line, Column int
	Err          error
}

// Error renders "name:line:column: problem".
func (e *FaultFileError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Name, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err)
}

// Unwrap returns the problem.
func (e *FaultFileError) Unwrap() error { return e.Err }

// ReadFaultFile reads and checks the fault file at path.
func ReadFaultFile(path string) (*FaultFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseFaultFile(path, data)
}

// Keys of a fault file, by level.
var (
	actionFaultKeys = []string{"error", "html", "times", "rate", "after_pages", "latency"}
	// reportFaultKeys are the extra keys of the credential report actions.
	reportFaultKeys = map[string][]string{
		"GenerateCredentialReport": {"in_progress"},
		"GetCredentialReport":      {"malformed_csv"},
	}
	yamlLinePattern = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)
)

// ParseFaultFile parses the fault file data; name is used in errors.
func ParseFaultFile(name string, data []byte) (*FaultFile, error) {
	p := faultParser{name: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := yamlLinePattern.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &FaultFileError{Name: name, Line: line, Err: errors.New(m[2])}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &FaultFileError{Name: name, Line: 1, Err: errors.New("empty fault file: want a mapping with the key accounts")}
	}
	ff := &FaultFile{Name: name}
	err := p.mapping(doc.Content[0], "the fault file", func(key, val *yaml.Node) error {
		if key.Value != "accounts" {
			return p.unknown(key, "the fault file", []string{"accounts"})
		}
		return p.mapping(val, "accounts", func(key, val *yaml.Node) error {
			if !accountIDPattern.MatchString(key.Value) {
				return p.errorf(key, "account %q: want a 12-digit account ID (quote it in YAML to keep leading zeros)", key.Value)
			}
			e := FaultEntry{Account: key.Value, Line: key.Line}
			if err := p.account(val, &e); err != nil {
				return err
			}
			ff.Entries = append(ff.Entries, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return ff, nil
}

// Apply sets the faults of the file on org's accounts. An account that is
// not in org, or Organizations actions under an account other than the
// management account, are errors at their line.
func (ff *FaultFile) Apply(org *Org) error {
	mgmt := org.ManagementAccount
	if mgmt == "" && len(org.Accounts) > 0 {
		mgmt = org.Accounts[0].ID
	}
	for _, e := range ff.Entries {
		i := slices.IndexFunc(org.Accounts, func(a Account) bool { return a.ID == e.Account })
		if i < 0 {
			return &FaultFileError{Name: ff.Name, Line: e.Line, Err: fmt.Errorf("account %s is not in the organization served", e.Account)}
		}
		if e.orgLine > 0 && e.Account != mgmt {
			return &FaultFileError{Name: ff.Name, Line: e.orgLine,
				Err: fmt.Errorf("account %s: Organizations actions are answered by the management account (%s): put their faults under it", e.Account, mgmt)}
		}
		org.Accounts[i].Fault = e.Fault
	}
	return nil
}

// faultParser walks the YAML nodes of one fault file.
type faultParser struct{ name string }

func (p faultParser) errorf(n *yaml.Node, format string, args ...any) error {
	return &FaultFileError{Name: p.name, Line: n.Line, Column: n.Column, Err: fmt.Errorf(format, args...)}
}

func (p faultParser) unknown(key *yaml.Node, where string, want []string) error {
	return p.errorf(key, "unknown key %q in %s (want one of %s)", key.Value, where, strings.Join(want, ", "))
}

// mapping calls each with the key and value nodes of the mapping n, in
// order, refusing other kinds of node and duplicate keys.
func (p faultParser) mapping(n *yaml.Node, what string, each func(key, val *yaml.Node) error) error {
	if n.Kind == yaml.AliasNode {
		return p.errorf(n, "%s: aliases are not supported in a fault file", what)
	}
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "%s: want a mapping, got %s", what, kindName(n))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			return p.errorf(key, "%s: want a plain key, got %s", what, kindName(key))
		}
		if line, dup := seen[key.Value]; dup {
			return p.errorf(key, "duplicate key %q in %s (first on line %d)", key.Value, what, line)
		}
		seen[key.Value] = key.Line
		if err := each(key, val); err != nil {
			return err
		}
	}
	return nil
}

// account reads the faults of one account.
func (p faultParser) account(n *yaml.Node, e *FaultEntry) error {
	where := "account " + e.Account
	want := append([]string{"latency"}, slices.Sorted(maps.Keys(actionServices))...)
	return p.mapping(n, where, func(key, val *yaml.Node) error {
		if key.Value == "latency" {
			d, err := p.duration(val, where+": latency")
			e.Fault.Latency = d
			return err
		}
		service, ok := actionServices[key.Value]
		if !ok {
			return p.unknown(key, where, want)
		}
		if service == "organizations" && e.orgLine == 0 {
			e.orgLine = key.Line
		}
		return p.action(key, val, e)
	})
}

// action reads the fault of one action of an account.
func (p faultParser) action(actionKey, n *yaml.Node, e *FaultEntry) error {
	action := actionKey.Value
	where := "account " + e.Account + " " + action
	want := append(slices.Clone(actionFaultKeys), reportFaultKeys[action]...)
	var af ActionFault
	err := p.mapping(n, where, func(key, val *yaml.Node) error {
		var err error
		switch key.Value {
		case "error":
			af.Error, err = p.str(val, where+": error")
		case "html":
			af.HTML, err = p.integer(val, where+": html")
		case "times":
			af.Times, err = p.integer(val, where+": times")
			if err == nil && af.Times < 1 {
				err = p.errorf(val, "%s: times %d: want at least 1 (leave times out for every call)", where, af.Times)
			}
		case "rate":
			af.Rate, err = p.rate(val, where+": rate")
		case "after_pages":
			af.AfterPages, err = p.integer(val, where+": after_pages")
		case "latency":
			af.Latency, err = p.duration(val, where+": latency")
		default:
			if !slices.Contains(reportFaultKeys[action], key.Value) {
				return p.unknown(key, where, want)
			}
			err = p.reportFault(key.Value, val, where, &e.Fault)
		}
		return err
	})
	if err != nil {
		return err
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		return p.errorf(n, "%s: no fault given (want one of %s)", where, strings.Join(want, ", "))
	}
	if err := af.Validate(action); err != nil {
		return p.errorf(n, "account %s %w", e.Account, err)
	}
	if af != (ActionFault{}) {
		if e.Fault.Actions == nil {
			e.Fault.Actions = map[string]ActionFault{}
		}
		e.Fault.Actions[action] = af
	}
	return nil
}

// reportFault reads in_progress (a number of polls, a duration or
// "forever") and malformed_csv (true or false).
func (p faultParser) reportFault(key string, n *yaml.Node, where string, f *Fault) error {
	where += ": " + key
	if key == "malformed_csv" {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return p.errorf(n, "%s: want true or false, got %q", where, n.Value)
		}
		f.MalformedReport = n.Value == "true"
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		polls, err := p.integer(n, where)
		if err == nil && polls < 1 {
			err = p.errorf(n, "%s: %d polls: want at least 1", where, polls)
		}
		f.InProgressPolls = polls
		return err
	}
	d, err := p.duration(n, where+" (a number of polls, a duration or forever)")
	if d == Forever {
		f.ReportStuck = true
	} else {
		f.InProgressFor = d
	}
	return err
}

func (p faultParser) str(n *yaml.Node, where string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || n.Value == "" {
		return "", p.errorf(n, "%s: want a string, got %s", where, kindName(n))
	}
	return n.Value, nil
}

func (p faultParser) integer(n *yaml.Node, where string) (int, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.Atoi(n.Value); err == nil {
			return v, nil
		}
	}
	return 0, p.errorf(n, "%s: want a whole number, got %s", where, kindName(n))
}

// rate reads a fraction in (0, 1] or a percentage ("25%").
func (p faultParser) rate(n *yaml.Node, where string) (float64, error) {
	var v float64
	var err error = errors.New("not a number")
	if n.Kind == yaml.ScalarNode {
		if pct, ok := strings.CutSuffix(n.Value, "%"); ok {
			v, err = strconv.ParseFloat(pct, 64)
			v /= 100
		} else if n.Tag == "!!float" || n.Tag == "!!int" {
			v, err = strconv.ParseFloat(n.Value, 64)
		}
	}
	if err != nil || !(v > 0 && v <= 1) || math.IsNaN(v) {
		return 0, p.errorf(n, "%s: want a fraction in (0, 1] such as 0.25, or a percentage such as 25%%, got %s", where, kindName(n))
	}
	return v, nil
}

// duration reads a Go duration ("250ms", "2s") or "forever".
func (p faultParser) duration(n *yaml.Node, where string) (time.Duration, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		if n.Value == "forever" {
			return Forever, nil
		}
		if d, err := time.ParseDuration(n.Value); err == nil && d >= 0 {
			return d, nil
		}
	}
	return 0, p.errorf(n, "%s: want a duration such as 250ms or 2s, or forever, got %s", where, kindName(n))
}

// kindName describes a node for an error: its value when a scalar.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}
