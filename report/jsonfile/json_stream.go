package jsonfile

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// ReadStreaming reads a findings.json without holding its findings:
// it returns the run with everything but the findings (run, summary,
// changes, accounts, resolved, exceptions) and passes the findings to
// add one account at a time, in the file's order. Memory does not grow
// with the number of findings (Read takes ~1 GB for 1.6 million).
//
// An account whose findings are not together in the file is an error,
// as findings.json is written in audit.Less order.
func ReadStreaming(r io.Reader, add func(fs []audit.Finding) error) (*result.Run, error) {
	p, err := NewReader(r)
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
		ok, err := p.Next(&f)
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

	fields := maps.Clone(p.header)
	tail, err := p.rest()
	if err != nil {
		return nil, err
	}
	maps.Copy(fields, tail)
	doc, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	run := &result.Run{}
	if err := json.Unmarshal(doc, run); err != nil {
		return nil, fmt.Errorf("findings.json: %w", err)
	}
	return run, nil
}
