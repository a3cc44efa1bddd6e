// Package yamlfile reads the YAML files the reporter is given (the
// configuration, the exceptions) strictly: a file holds one document, no
// mapping defines a key twice, and errors are located as FILE:LINE.
//
// gopkg.in/yaml.v3 reports a repeated key only when it decodes into a
// struct or a map; decoding into a yaml.Node keeps both keys, and code
// walking the node then silently uses one of them. It also reads only the
// first of several documents. Parse closes both gaps for every reader.
package yamlfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Error is a problem in a YAML file, located by file and line.
type Error struct {
	File string
	Line int // 0 when the parser gave no line
	Err  error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// syntaxLine finds the line in a yaml.v3 syntax error ("yaml: line 3: …").
var syntaxLine = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// Parse parses data, the contents of the file name, and returns the root
// node of its single document (a mapping, a sequence or a scalar), or nil
// when the file holds no document (empty, or only comments). A second
// document and a key repeated in any mapping are errors.
func Parse(data []byte, name string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(name, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(name, err)
	default:
		return nil, &Error{name, next.Line, errors.New("a second YAML document (after ---): the file must hold one")}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if err := checkKeys(root, name); err != nil {
		return nil, err
	}
	return root, nil
}

func syntaxError(name string, err error) error {
	if m := syntaxLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{name, line, errors.New(m[2])}
	}
	return &Error{name, 0, err}
}

// checkKeys reports, in document order, every key defined a second time
// in a mapping. Aliases are not followed: the anchored node they name is
// checked where it is defined.
func checkKeys(n *yaml.Node, name string) error {
	var errs []error
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind != yaml.MappingNode {
			for _, c := range n.Content {
				walk(c)
			}
			return
		}
		first := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if key.Kind == yaml.ScalarNode {
				if line, dup := first[key.Value]; dup {
					errs = append(errs, &Error{name, key.Line, fmt.Errorf("key %q is defined twice (first at line %d)", key.Value, line)})
				} else {
					first[key.Value] = key.Line
				}
			}
			walk(key)
			walk(n.Content[i+1])
		}
	}
	walk(n)
	return errors.Join(errs...)
}
