package jsonfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/reporter-dev/reporter/audit"
	"github.com/reporter-dev/reporter/result"
)

// Reader reads a findings.json in one pass: its "run" and "accounts"
// whole (NewReader), then its findings one at a time (Next). Both must
// come before "findings", as Write writes them. Memory does not grow with
// the number of findings.
//
// The document is read by a jsontext.Decoder (github.com/go-json-
// experiment/json, the basis of encoding/json/v2), which checks the
// syntax, rejects duplicate member names and invalid UTF-8, and holds
// only the value being read. Each finding is decoded by json v2
// (UnmarshalDecode) with its defaults: member names matched exactly,
// unknown members ignored (findings.json only ever adds members). The
// other members, small, are decoded by encoding/json as Read
// decodes them.
type Reader struct {
	dec      *jsontext.Decoder
	run      result.RunInfo
	accounts []result.Account
	// header holds every member before the findings, as read.
	header map[string]json.RawMessage
	// list is true when the document has a list of findings; inList is
	// true while Next is inside it.
	list, inList bool
	// err, once set, is returned by every later Next: the document
	// cannot be read past it.
	err error
	// f is what each finding is decoded into before it is copied out.
	f audit.Finding
	// skipDerived is set by SkipDerived; each finding is then decoded
	// into g.
	skipDerived bool
	g           findingSkipDerived
}

// SkipDerived makes Next leave out what a run derives from a finding,
// its key and its first sighting (its ID, Remediation, Due and
// OverdueDays): their members are checked as JSON and skipped, not
// decoded, and the fields are zero. A reader that only compares
// findings (compare) needs none of them, and the remediation is most
// of a finding's bytes.
func (p *Reader) SkipDerived() { p.skipDerived = true }

// findingSkipDerived decodes a finding but the members SkipDerived
// leaves out: they are named at a shallower depth than the embedded
// Finding's fields, which they hide, and skip their values.
type findingSkipDerived struct {
	audit.Finding
	ID          skipped `json:"id"`
	Remediation skipped `json:"remediation"`
	Due         skipped `json:"due"`
	OverdueDays skipped `json:"overdue_days"`
}

// skipped is a member whose value is read and dropped.
type skipped struct{}

// UnmarshalJSONFrom implements json v2's UnmarshalerFrom: it skips the
// value, after checking its syntax.
func (skipped) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return dec.SkipValue() }

// previousReadSize is the buffer a findings.json file is read through.
const previousReadSize = 256 << 10

// FindingsError locates a problem in a findings.json: where the decoder
// stopped and in which value.
type FindingsError struct {
	// Offset is the byte offset in the document at or after which the
	// problem is.
	Offset int64
	// Pointer is the JSON pointer (RFC 6901) of the value at fault, such
	// as /findings/12/age_days; empty for the document itself.
	Pointer string
	// Err is the decoder's error (a *jsontext.SyntacticError, a
	// *json.SemanticError of json v2, or the reader's error).
	Err error
}

// Error implements error: where, in which value, and the decoder's words.
func (e *FindingsError) Error() string {
	where := "findings.json at byte " + strconv.FormatInt(e.Offset, 10)
	if e.Pointer != "" {
		where += " " + e.Pointer
	}
	// The location is said once, in front: the cause's own text
	// without the location json v2 adds to it.
	var se *jsontext.SyntacticError
	var me *jsonv2.SemanticError
	switch {
	case errors.Is(e.Err, io.ErrUnexpectedEOF):
		return where + ": the document ends early"
	case errors.As(e.Err, &me):
		cause := "cannot read JSON"
		if me.JSONKind != 0 {
			cause += " " + kindName(me.JSONKind)
		}
		if me.GoType != nil {
			cause += " as " + me.GoType.String()
		}
		if me.Err != nil {
			var inner *jsontext.SyntacticError
			if errors.As(me.Err, &inner) {
				cause += ": " + inner.Err.Error()
			} else {
				cause += ": " + me.Err.Error()
			}
		}
		return where + ": " + cause
	case errors.As(e.Err, &se) && se.Err != nil:
		return where + ": " + se.Err.Error()
	}
	return where + ": " + e.Err.Error()
}

// Unwrap returns the decoder's error.
func (e *FindingsError) Unwrap() error { return e.Err }

// kindName names the kind of a JSON value in an error.
func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return k.String()
}

// locate turns a decoder error into a FindingsError: the offset and
// pointer the error carries, or else where dec stands.
func locate(dec *jsontext.Decoder, err error) error {
	if err == nil {
		return nil
	}
	fe := &FindingsError{Offset: dec.InputOffset(), Pointer: string(dec.StackPointer()), Err: err}
	var se *jsontext.SyntacticError
	var me *jsonv2.SemanticError
	switch {
	case errors.As(err, &me):
		fe.Offset, fe.Pointer = me.ByteOffset, string(me.JSONPointer)
	case errors.As(err, &se):
		fe.Offset, fe.Pointer = se.ByteOffset, string(se.JSONPointer)
	}
	return fe
}

// NewReader reads the document up to its first finding.
func NewReader(r io.Reader) (*Reader, error) {
	// The decoder reads 4 KiB at a time: a file is read through a
	// buffer, in fewer system calls. What reads from memory or is
	// buffered already (an io.ByteScanner) is read as it is.
	if _, buffered := r.(io.ByteScanner); !buffered {
		r = bufio.NewReaderSize(r, previousReadSize)
	}
	p := &Reader{dec: jsontext.NewDecoder(r), header: map[string]json.RawMessage{}}
	dec := p.dec
	if err := expectKind(dec, '{', "the document"); err != nil {
		return nil, err
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, locate(dec, err)
		}
		key := tok.String()
		at := dec.InputOffset()
		if key == "findings" {
			if p.run.AsOf.IsZero() {
				return nil, &FindingsError{Offset: at, Pointer: "/findings", Err: errors.New("findings come before the run they belong to")}
			}
			if err := expectKind(dec, '[', "findings"); err != nil {
				return nil, err
			}
			p.list, p.inList = true, true
			return p, nil
		}
		raw, err := readMember(dec)
		if err != nil {
			return nil, err
		}
		p.header[key] = raw
		switch key {
		case "run":
			err = json.Unmarshal(raw, &p.run)
		case "accounts":
			err = json.Unmarshal(raw, &p.accounts)
		}
		if err != nil {
			return nil, &FindingsError{Offset: at, Pointer: "/" + key, Err: err}
		}
	}
	// The object ends without findings (or is broken: ReadToken says).
	if _, err := dec.ReadToken(); err != nil {
		return nil, locate(dec, err)
	}
	return p, nil
}

// readMember reads the value of a member other than "findings", whole,
// for encoding/json to decode as Read does. As there, a name that
// repeats inside it is taken (the last one counts): encoding/json writes
// map keys that differ only in invalid UTF-8 as the same name.
func readMember(dec *jsontext.Decoder) (json.RawMessage, error) {
	var raw jsontext.Value
	if err := jsonv2.UnmarshalDecode(dec, &raw, jsontext.AllowDuplicateNames(true)); err != nil {
		return nil, locate(dec, err)
	}
	return json.RawMessage(raw), nil
}

// expectKind reads the next token, which must start a value of kind
// want ('{' or '['); what names the value in the error.
func expectKind(dec *jsontext.Decoder, want jsontext.Kind, what string) error {
	if k := dec.PeekKind(); k != want {
		if k == 0 { // invalid or the end: ReadToken says which
			_, err := dec.ReadToken()
			return locate(dec, err)
		}
		return &FindingsError{Offset: dec.InputOffset(), Pointer: string(dec.StackPointer()),
			Err: fmt.Errorf("%s: want %q, found %v", what, want.String(), k)}
	}
	_, err := dec.ReadToken()
	return locate(dec, err)
}

// Info returns the document's "run".
func (p *Reader) Info() result.RunInfo { return p.run }

// Accounts returns the document's "accounts".
func (p *Reader) Accounts() []result.Account { return p.accounts }

// Next decodes the next finding into f, overwriting it; false after the
// last. An error stops the list: every later call returns it again.
func (p *Reader) Next(f *audit.Finding) (bool, error) {
	if p.err != nil {
		return false, p.err
	}
	if !p.inList {
		return false, nil
	}
	switch k := p.dec.PeekKind(); k {
	case '{':
		// Decoded into a fresh finding of p's own, so that members the
		// element leaves out are zero and f needs no allocation of its
		// own.
		var err error
		if p.skipDerived {
			p.g = findingSkipDerived{}
			err = jsonv2.UnmarshalDecode(p.dec, &p.g)
			*f = p.g.Finding
		} else {
			p.f = audit.Finding{}
			err = jsonv2.UnmarshalDecode(p.dec, &p.f)
			*f = p.f
		}
		if err != nil {
			return false, p.fail(err)
		}
		return true, nil
	case ']', 0: // the end of the list, or what ReadToken says is wrong
		if _, err := p.dec.ReadToken(); err != nil {
			return false, p.fail(err)
		}
		p.inList = false
		return false, nil
	default:
		// The element's pointer: the list's and the element's index.
		list := p.dec.StackPointer() // the list's, or its last element's
		_, n := p.dec.StackIndex(p.dec.StackDepth())
		if n > 0 {
			list = list.Parent()
		}
		return false, p.fail(&FindingsError{Offset: p.dec.InputOffset(), Pointer: string(list) + "/" + strconv.FormatInt(n, 10),
			Err: errors.New("a finding must be an object, found " + kindName(k))})
	}
}

// fail makes err, located, the error of every later next.
func (p *Reader) fail(err error) error {
	p.inList = false
	if _, ok := err.(*FindingsError); !ok {
		err = locate(p.dec, err)
	}
	p.err = err
	return err
}

// rest reads the members that follow the findings list up to the end of
// the document, once next has returned false without an error, and
// checks that nothing but whitespace follows the document.
func (p *Reader) rest() (map[string]json.RawMessage, error) {
	fields := map[string]json.RawMessage{}
	if !p.list {
		return fields, p.end()
	}
	for p.dec.PeekKind() == '"' {
		tok, err := p.dec.ReadToken()
		if err != nil {
			return nil, locate(p.dec, err)
		}
		key := tok.String() // before the next read, which reuses its bytes
		raw, err := readMember(p.dec)
		if err != nil {
			return nil, err
		}
		fields[key] = raw
	}
	if _, err := p.dec.ReadToken(); err != nil { // }
		return nil, locate(p.dec, err)
	}
	return fields, p.end()
}

// end checks that the document is followed by nothing but whitespace.
func (p *Reader) end() error {
	if _, err := p.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errors.New("text after the document")
		}
		return locate(p.dec, err)
	}
	return nil
}
