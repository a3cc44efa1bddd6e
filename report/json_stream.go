package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/reporter-dev/reporter/audit"
)

// ReadJSONFindings reads a findings.json without holding its findings:
// it returns the run with everything but the findings (run, summary,
// changes, accounts, resolved, exceptions) and passes the findings to
// add one account at a time, in the file's order. It reads r twice, so
// memory does not grow with the number of findings: ~1 GB for 1.6
// million findings read whole by ReadJSON.
//
// An account whose findings are not together in the file is an error,
// as findings.json is written in audit.Less order.
func ReadJSONFindings(r io.ReadSeeker, add func(fs []audit.Finding) error) (*Run, error) {
	run, list, err := readJSONWithoutFindings(r)
	if err != nil || !list {
		return run, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	p, err := openPrevious(r)
	if err != nil {
		return nil, err
	}
	var (
		group []audit.Finding
		seen  = map[string]bool{}
		f     audit.Finding
	)
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		id := group[0].AccountID
		if seen[id] {
			return fmt.Errorf("findings.json: the findings of account %s are not together (the file is not in report order)", id)
		}
		seen[id] = true
		err := add(group)
		group = group[:0]
		return err
	}
	for {
		ok, err := p.next(&f)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if len(group) > 0 && group[0].AccountID != f.AccountID {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		group = append(group, f)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return run, nil
}

// readJSONWithoutFindings decodes a findings.json token by token,
// skipping the findings one element at a time (a json.Decoder buffers a
// whole value before decoding it), and decodes the other fields. list
// says whether there was a list of findings (rather than none or null).
func readJSONWithoutFindings(r io.Reader) (run *Run, list bool, err error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, false, err
	}
	rest := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false, fmt.Errorf("findings.json: %w", err)
		}
		key, _ := tok.(string)
		if key != "findings" {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return nil, false, fmt.Errorf("findings.json %s: %w", key, err)
			}
			rest[key] = v
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, false, fmt.Errorf("findings.json findings: %w", err)
		}
		if tok == nil {
			continue // null: no findings
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return nil, false, fmt.Errorf("findings.json findings: want a list, found %v", tok)
		}
		for dec.More() {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, false, fmt.Errorf("findings.json findings: %w", err)
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return nil, false, err
		}
		list = true
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, false, err
	}
	doc, err := json.Marshal(rest)
	if err != nil {
		return nil, false, err
	}
	run = &Run{}
	if err := json.Unmarshal(doc, run); err != nil {
		return nil, false, fmt.Errorf("findings.json: %w", err)
	}
	return run, list, nil
}
