package jsonfile

import (
	"io"

	"github.com/reporter-dev/reporter/result"
)

// ReadHeader reads the "run" and "accounts" of a findings.json and stops
// at its findings, so an earlier run's accounts can be learnt without
// reading (or downloading) the rest of the document.
func ReadHeader(r io.Reader) (result.RunInfo, []result.Account, error) {
	p, err := NewReader(r)
	if err != nil {
		return result.RunInfo{}, nil, err
	}
	return p.run, p.accounts, nil
}
