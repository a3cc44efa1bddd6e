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
)

// ParseError locates a problem in a credential report.
type ParseError struct {
	Account string // account ID, when known
	Line    int    // 1-based line of the record in the input
	Column  string // column name, or "" for a whole-record problem
	Err     error
}

// Error implements error.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Account != "" {
		fmt.Fprintf(&b, "account %s: ", e.Account)
	}
	fmt.Fprintf(&b, "credential report line %d", e.Line)
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

// Reader reads rows from a credential report one at a time.
type Reader struct {
	csv     *csv.Reader
	account string
	header  []string
	index   map[string]int
}

// NewReader reads the header of the report in src and returns a Reader for
// its rows. account is used only to label errors.
func NewReader(src io.Reader, account string) (*Reader, error) {
	cr := csv.NewReader(src)
	cr.ReuseRecord = true
	r := &Reader{csv: cr, account: account}
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
	r.index = make(map[string]int, len(r.header))
	for i, name := range r.header {
		r.index[strings.TrimSpace(name)] = i
	}
	_, hasUser := r.index["user"]
	_, hasARN := r.index["arn"]
	if !hasUser || !hasARN {
		return nil, &ParseError{Account: account, Line: 1, Err: ErrNotCredentialReport}
	}
	return r, nil
}

// Header returns the report's column names as they appear in the input.
func (r *Reader) Header() []string { return r.header }

// Next returns the next row, or io.EOF after the last one.
func (r *Reader) Next() (Row, error) {
	rec, err := r.csv.Read()
	if err != nil {
		if err == io.EOF {
			return Row{}, io.EOF
		}
		return Row{}, r.csvError(err)
	}
	line, _ := r.csv.FieldPos(0)
	p := rowParser{rec: rec, index: r.index}
	row := Row{
		Line:                 line,
		User:                 p.str("user"),
		ARN:                  p.str("arn"),
		UserCreationTime:     p.time("user_creation_time"),
		PasswordEnabled:      p.bool("password_enabled"),
		PasswordLastUsed:     p.time("password_last_used"),
		PasswordLastChanged:  p.time("password_last_changed"),
		PasswordNextRotation: p.time("password_next_rotation"),
		MFAActive:            p.bool("mfa_active"),
	}
	for i := range row.AccessKeys {
		prefix := fmt.Sprintf("access_key_%d_", i+1)
		row.AccessKeys[i] = AccessKey{
			Active:          p.bool(prefix + "active"),
			LastRotated:     p.time(prefix + "last_rotated"),
			LastUsed:        p.time(prefix + "last_used_date"),
			LastUsedRegion:  text(p.str(prefix + "last_used_region")),
			LastUsedService: text(p.str(prefix + "last_used_service")),
		}
		cert := fmt.Sprintf("cert_%d_", i+1)
		row.Certs[i] = Cert{Active: p.bool(cert + "active"), LastRotated: p.time(cert + "last_rotated")}
	}
	if p.badColumn != "" {
		return Row{}, &ParseError{Account: r.account, Line: line, Column: p.badColumn, Err: p.err}
	}
	if row.User == "" {
		return Row{}, &ParseError{Account: r.account, Line: line, Column: "user", Err: ErrUser}
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
	index     map[string]int
	badColumn string
	err       error
}

func (p *rowParser) str(col string) string {
	i, ok := p.index[col]
	if !ok || i >= len(p.rec) {
		return ""
	}
	return p.rec[i]
}

func (p *rowParser) time(col string) Time {
	i, ok := p.index[col]
	if !ok || i >= len(p.rec) {
		return Time{}
	}
	t, ok := parseTime(p.rec[i])
	if !ok {
		p.fail(col, fmt.Errorf("%w %q", ErrTimestamp, p.rec[i]))
	}
	return t
}

func (p *rowParser) bool(col string) Bool {
	i, ok := p.index[col]
	if !ok || i >= len(p.rec) {
		return Bool{}
	}
	b, ok := parseBool(p.rec[i])
	if !ok {
		p.fail(col, fmt.Errorf("%w %q", ErrBoolean, p.rec[i]))
	}
	return b
}

func (p *rowParser) fail(col string, err error) {
	if p.badColumn == "" {
		p.badColumn, p.err = col, err
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
