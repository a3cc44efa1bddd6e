// Package jsonfile writes and reads findings.json, the machine-readable
// contract of a run: Write streams a result.Run into it, Read reads one
// whole, and Reader, ReadStreaming and ReadHeader read one without
// holding its findings (package compare merges earlier runs through
// Reader).
package jsonfile

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// Write writes r as findings.json, indented by two spaces. Lists are
// never null. Lists are written one element at a time, so memory does not
// grow with the number of findings.
func Write(w io.Writer, r *result.Run) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	jw := jsonWriter{w: bw}
	jw.raw("{\n")
	jw.field("run", r.Run, false)
	jw.field("summary", r.Summary, false)
	jw.field("changes", r.Changes, false)
	writeList(&jw, "accounts", r.Accounts, false)
	writeFindings(&jw, r.FindingSet())
	writeList(&jw, "resolved", r.Resolved, false)
	writeList(&jw, "exceptions", r.Exceptions, true)
	jw.raw("}\n")
	if jw.err != nil {
		return jw.err
	}
	return bw.Flush()
}

// jsonWriter writes an indented JSON object field by field.
type jsonWriter struct {
	w   *bufio.Writer
	err error
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

// value writes v indented as an element at the given depth.
func (j *jsonWriter) value(v any, depth int) {
	if j.err != nil {
		return
	}
	prefix := strings.Repeat("  ", depth)
	data, err := json.MarshalIndent(v, prefix, "  ")
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(data)
}

func (j *jsonWriter) field(key string, v any, last bool) {
	j.raw("  " + strconv.Quote(key) + ": ")
	j.value(v, 1)
	j.end(last)
}

func (j *jsonWriter) end(last bool) {
	if last {
		j.raw("\n")
	} else {
		j.raw(",\n")
	}
}

// writeFindings writes the "findings" list one account at a time.
func writeFindings(j *jsonWriter, set result.FindingSet) {
	j.raw("  \"findings\": ")
	if set.Len() == 0 {
		j.raw("[]")
		j.end(false)
		return
	}
	j.raw("[\n")
	first := true
	var buf []byte
	err := set.EachAccount(func(fs []audit.Finding) error {
		for i := range fs {
			if !first {
				j.raw(",\n")
			}
			first = false
			j.raw("    ")
			var err error
			if buf, err = appendFindingJSON(buf[:0], &fs[i]); err != nil {
				return err
			}
			if _, err := j.w.Write(buf); err != nil {
				return err
			}
		}
		return j.err
	})
	if err != nil && j.err == nil {
		j.err = err
	}
	j.raw("\n  ]")
	j.end(false)
}

func writeList[T any](j *jsonWriter, key string, list []T, last bool) {
	j.raw("  " + strconv.Quote(key) + ": ")
	if len(list) == 0 {
		j.raw("[]")
		j.end(last)
		return
	}
	j.raw("[\n")
	for i := range list {
		j.raw("    ")
		j.value(&list[i], 2)
		j.end(i == len(list)-1)
	}
	j.raw("  ]")
	j.end(last)
}

// Read reads a findings.json document whole, its findings into a
// result.Findings slice.
func Read(rd io.Reader) (*result.Run, error) {
	var doc struct {
		result.Run
		Findings []audit.Finding `json:"findings"`
	}
	if err := json.NewDecoder(rd).Decode(&doc); err != nil {
		return nil, err
	}
	r := &doc.Run
	r.Findings = result.Findings(doc.Findings)
	return r, nil
}
