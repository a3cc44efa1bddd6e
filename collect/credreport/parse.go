package credreport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// RootUser is the user name of the root row.
const RootUser = "<root_account>"

// Columns are the 22 columns of a current credential report, in AWS's order.
var Columns = []string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// Errors a ParseError may wrap.
var (
	// ErrNotCredentialReport means the input lacks the user and arn columns.
	ErrNotCredentialReport = errors.New("not a credential report: header has no user and arn columns")
	// ErrEmpty means the input has no header row at all.
	ErrEmpty = errors.New("empty credential report")
	// ErrTimestamp means a timestamp cell holds neither an ISO 8601 time nor a special value.
	ErrTimestamp = errors.New("invalid timestamp")
	// ErrBoolean means a boolean cell holds neither true/false nor a special value.
	ErrBoolean = errors.New("invalid boolean")
	// ErrUser means a row has an empty user name.
	ErrUser = errors.New("empty user name")
	// ErrDuplicateColumn means the header names a column twice: which
	// copy holds the truth cannot be known.
	ErrDuplicateColumn = errors.New("duplicated column")
	// ErrMissingColumns means the header lacks some of the columns AWS
	// always sends, so the checks reading them could not run.
	ErrMissingColumns = errors.New("missing columns")
	// ErrNoRoot means the report has no <root_account> row, which AWS
	// always sends, so the root checks could not run.
	ErrNoRoot = errors.New("no " + RootUser + " row (AWS always sends one)")
	// ErrDuplicateUser means two rows name the same user (root
	// included): which row holds the truth cannot be known, and a forged
	// second row could hide the first one's findings.
	ErrDuplicateUser = errors.New("duplicated user")
)

// duplicateUserError names a user given twice and both lines. It is an
// ErrDuplicateUser.
type duplicateUserError struct {
	user        string
	first, line int
}

func (e *duplicateUserError) Error() string {
	return fmt.Sprintf("user %q appears twice: lines %d and %d", e.user, e.first, e.line)
}

func (e *duplicateUserError) Is(target error) bool { return target == ErrDuplicateUser }

// ParseError locates a problem in a credential report.
type ParseError struct {
	Account string // account ID, when known
	Line    int    // 1-based line of the record in the input; 0 for the whole report
	Column  string // column name, or "" for a whole-record problem
	Err     error
}

// Error implements error.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Account != "" {
		fmt.Fprintf(&b, "account %s: ", e.Account)
	}
	b.WriteString("credential report")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// AccessKey is one of a user's two access-key slots.
type AccessKey struct {
	Active          Bool
	LastRotated     Time
	LastUsed        Time
	LastUsedRegion  string
	LastUsedService string
}

// Cert is one of a user's two X.509 signing-certificate slots.
type Cert struct {
	Active      Bool
	LastRotated Time
}

// Row is one principal of a credential report.
type Row struct {
	Line                 int // 1-based line in the report
	User                 string
	ARN                  string
	UserCreationTime     Time
	PasswordEnabled      Bool
	PasswordLastUsed     Time
	PasswordLastChanged  Time
	PasswordNextRotation Time
	MFAActive            Bool
	AccessKeys           [2]AccessKey
	Certs                [2]Cert
}

// IsRoot reports whether r is the account's root user.
func (r *Row) IsRoot() bool { return r.User == RootUser }

// The positions of Columns, for looking cells up without a map.
const (
	colUser = iota
	colARN
	colUserCreationTime
	colPasswordEnabled
	colPasswordLastUsed
	colPasswordLastChanged
	colPasswordNextRotation
	colMFAActive
	colKey1  // access_key_1_active; the key's 5 columns follow
	colKey2  = colKey1 + 5
	colCert1 = colKey2 + 5 // cert_1_active, cert_1_last_rotated
	colCert2 = colCert1 + 2
)

// Reader reads rows from a credential report one at a time.
type Reader struct {
	csv     *csv.Reader
	account string
	header  []string
	// pos maps each of Columns to its position in this report.
	pos [len(columnsArray)]int
	// root is set once the <root_account> row has been read.
	root bool
	// lines maps each user name read so far (root included) to its
	// line. The keys share the records' strings, so no row costs a copy;
	// they keep the rows' text alive until the Reader is dropped, about
	// the size of the report, which the caller holds anyway.
	lines map[string]int
}

// columnsArray fixes the length of Columns at compile time.
var columnsArray [22]string

// NewReader reads the header of the report in src and returns a Reader for
// its rows. account is used only to label errors.
func NewReader(src io.Reader, account string) (*Reader, error) {
	cr := csv.NewReader(src)
	cr.ReuseRecord = true
	r := &Reader{csv: cr, account: account, lines: make(map[string]int)}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{Account: account, Line: 1, Err: ErrEmpty}
	}
	if err != nil {
		return nil, &ParseError{Account: account, Line: 1, Err: fmt.Errorf("%w (%v)", ErrNotCredentialReport, unwrapCSV(err))}
	}
	r.header = append([]string(nil), header...)
	if len(r.header) > 0 {
		r.header[0] = strings.TrimPrefix(r.header[0], "\ufeff")
	}
	index := make(map[string]int, len(r.header))
	for i, name := range r.header {
		name = strings.TrimSpace(name)
		if _, dup := index[name]; dup && name != "" {
			return nil, &ParseError{Account: account, Line: 1, Column: name, Err: ErrDuplicateColumn}
		}
		index[name] = i
	}
	var missing []string
	for i, name := range Columns {
		p, ok := index[name]
		if !ok {
			missing = append(missing, name)
		}
		r.pos[i] = p
	}
	if _, ok := index["user"]; !ok {
		return nil, &ParseError{Account: account, Line: 1, Err: ErrNotCredentialReport}
	}
	if _, ok := index["arn"]; !ok {
		return nil, &ParseError{Account: account, Line: 1, Err: ErrNotCredentialReport}
	}
	if len(missing) > 0 {
		return nil, &ParseError{Account: account, Line: 1, Err: fmt.Errorf("%w %s (AWS always sends all %d)",
			ErrMissingColumns, strings.Join(missing, ", "), len(Columns))}
	}
	return r, nil
}

// Header returns the report's column names as they appear in the input.
func (r *Reader) Header() []string { return r.header }

// Next returns the next row, or io.EOF after the last one. A report that
// ends without a <root_account> row ends with an ErrNoRoot ParseError
// instead of io.EOF.
func (r *Reader) Next() (Row, error) {
	rec, err := r.csv.Read()
	if err != nil {
		if err == io.EOF {
			if !r.root {
				return Row{}, &ParseError{Account: r.account, Err: ErrNoRoot}
			}
			return Row{}, io.EOF
		}
		return Row{}, r.csvError(err)
	}
	line, _ := r.csv.FieldPos(0)
	p := rowParser{rec: rec, pos: &r.pos}
	row := Row{
		Line:                 line,
		User:                 p.str(colUser),
		ARN:                  p.str(colARN),
		UserCreationTime:     p.time(colUserCreationTime),
		PasswordEnabled:      p.bool(colPasswordEnabled),
		PasswordLastUsed:     p.time(colPasswordLastUsed),
		PasswordLastChanged:  p.time(colPasswordLastChanged),
		PasswordNextRotation: p.time(colPasswordNextRotation),
		MFAActive:            p.bool(colMFAActive),
	}
	for i, key := range [2]int{colKey1, colKey2} {
		row.AccessKeys[i] = AccessKey{
			Active:          p.bool(key),
			LastRotated:     p.time(key + 1),
			LastUsed:        p.time(key + 2),
			LastUsedRegion:  text(p.str(key + 3)),
			LastUsedService: text(p.str(key + 4)),
		}
	}
	for i, cert := range [2]int{colCert1, colCert2} {
		row.Certs[i] = Cert{Active: p.bool(cert), LastRotated: p.time(cert + 1)}
	}
	if p.badColumn != "" {
		return Row{}, &ParseError{Account: r.account, Line: line, Column: p.badColumn, Err: p.err}
	}
	if row.User == "" {
		return Row{}, &ParseError{Account: r.account, Line: line, Column: "user", Err: ErrUser}
	}
	if first, dup := r.lines[row.User]; dup {
		return Row{}, &ParseError{Account: r.account, Line: line, Column: "user",
			Err: &duplicateUserError{user: row.User, first: first, line: line}}
	}
	r.lines[row.User] = line
	if row.IsRoot() {
		r.root = true
	}
	return row, nil
}

// csvError turns an encoding/csv error into a ParseError.
func (r *Reader) csvError(err error) error {
	var ce *csv.ParseError
	if errors.As(err, &ce) {
		return &ParseError{Account: r.account, Line: ce.Line, Err: ce.Err}
	}
	return &ParseError{Account: r.account, Err: err}
}

// unwrapCSV drops encoding/csv's own position prefix from err.
func unwrapCSV(err error) error {
	var ce *csv.ParseError
	if errors.As(err, &ce) {
		return ce.Err
	}
	return err
}

// rowParser converts the cells of one record, remembering the first bad one.
type rowParser struct {
	rec       []string
	pos       *[len(columnsArray)]int
	badColumn string
	err       error
}

// cell returns the text of column col (an index into Columns). Every
// column is present (NewReader checks) and every record has the header's
// field count (encoding/csv checks).
func (p *rowParser) cell(col int) (string, bool) {
	i := p.pos[col]
	if i >= len(p.rec) {
		return "", false
	}
	return p.rec[i], true
}

func (p *rowParser) str(col int) string {
	s, _ := p.cell(col)
	return s
}

func (p *rowParser) time(col int) Time {
	s, ok := p.cell(col)
	if !ok {
		return Time{}
	}
	t, ok := parseTime(s)
	if !ok {
		p.fail(col, fmt.Errorf("%w %q", ErrTimestamp, s))
	}
	return t
}

func (p *rowParser) bool(col int) Bool {
	s, ok := p.cell(col)
	if !ok {
		return Bool{}
	}
	b, ok := parseBool(s)
	if !ok {
		p.fail(col, fmt.Errorf("%w %q", ErrBoolean, s))
	}
	return b
}

func (p *rowParser) fail(col int, err error) {
	if p.badColumn == "" {
		p.badColumn, p.err = Columns[col], err
	}
}

// Parse reads a whole report held in memory.
func Parse(data []byte, account string) ([]Row, error) {
	r, err := NewReader(bytes.NewReader(data), account)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
}
