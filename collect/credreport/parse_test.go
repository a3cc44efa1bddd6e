package credreport

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// root is a valid root row for account 111122223333.
const root = "<root_account>,arn:aws:iam::111122223333:root,2017-06-10T02:35:07+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"

// TestParseSamples parses public credential-report fixtures copied into
// testdata (their sources are in testdata/SOURCES.md).
func TestParseSamples(t *testing.T) {
	tests := []struct {
		file      string
		rows      int
		firstUser string
		err       error
	}{
		{"oil-iambarrel-test.csv", 4, RootUser, nil},
		{"prowler-iam_avoid_root_usage.csv", 1, RootUser, nil},
		// A synthetic single-user fixture: AWS always sends the root row.
		{"selefra-credential-reports-test.csv", 0, "", ErrNoRoot},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := Parse(data, "123456789012")
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Parse(%s) error = %v, want %v", tt.file, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s) error = %v", tt.file, err)
			}
			if len(rows) != tt.rows || rows[0].User != tt.firstUser {
				t.Fatalf("Parse(%s) = %d rows, first %q; want %d rows, first %q", tt.file, len(rows), rows[0].User, tt.rows, tt.firstUser)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	data := header + "\n" +
		"<root_account>,arn:aws:iam::111122223333:root,2017-06-10T02:35:07+00:00,not_supported,2017-10-22T08:11:09+00:00,not_supported,not_supported,TRUE,false,N/A,N/A,N/A,N/A,False,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n" +
		`"a,b",arn:aws:iam::111122223333:user/a,b,2020-01-01T00:00:00Z,true,no_information,2020-01-02T00:00:00+02:00,N/A,false,true,2020-01-03T00:00:00+00:00,2020-02-01T10:00:00+00:00,eu-west-1,s3,true,2020-01-04T00:00:00+00:00,N/A,N/A,N/A,true,2020-01-05T00:00:00+00:00,false,N/A`
	// The second row's quoted user name contains a comma; its arn does not need quotes here.
	data = strings.Replace(data, "arn:aws:iam::111122223333:user/a,b,", `"arn:aws:iam::111122223333:user/a,b",`, 1)
	rows, err := Parse([]byte(data), "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	root, u := rows[0], rows[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"root is root", root.IsRoot(), true},
		{"root line", root.Line, 2},
		{"root password_enabled kind", root.PasswordEnabled.Kind, NotSupported},
		{"root password_last_changed kind", root.PasswordLastChanged.Kind, NotSupported},
		{"root password_last_used", root.PasswordLastUsed.Time, mustTime(t, "2017-10-22T08:11:09Z")},
		{"root mfa upper-case TRUE", root.MFAActive.True(), true},
		{"root key 2 mixed-case False", root.AccessKeys[1].Active.False(), true},
		{"root key 1 last rotated N/A", root.AccessKeys[0].LastRotated.Kind, NotApplicable},
		{"user with comma", u.User, "a,b"},
		{"arn with comma", u.ARN, "arn:aws:iam::111122223333:user/a,b"},
		{"user is not root", u.IsRoot(), false},
		{"Z timestamp", u.UserCreationTime.Time, mustTime(t, "2020-01-01T00:00:00Z")},
		{"offset timestamp normalised to UTC", u.PasswordLastChanged.Time, mustTime(t, "2020-01-01T22:00:00Z")},
		{"no_information", u.PasswordLastUsed.Kind, NoInformation},
		{"password enabled", u.PasswordEnabled.True(), true},
		{"mfa false", u.MFAActive.False(), true},
		{"key 1 region", u.AccessKeys[0].LastUsedRegion, "eu-west-1"},
		{"key 1 service", u.AccessKeys[0].LastUsedService, "s3"},
		{"key 2 region N/A is empty", u.AccessKeys[1].LastUsedRegion, ""},
		{"key 2 last used N/A", u.AccessKeys[1].LastUsed.Valid(), false},
		{"cert 1 active", u.Certs[0].Active.True(), true},
		{"cert 2 rotated N/A", u.Certs[1].LastRotated.Kind, NotApplicable},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseLayouts(t *testing.T) {
	row := "alice,arn:aws:iam::111122223333:user/alice,2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	tests := []struct {
		name string
		data string
		rows int
	}{
		{"LF with final newline", header + "\n" + root + "\n" + row + "\n", 2},
		{"LF without final newline", header + "\n" + root + "\n" + row, 2},
		{"CRLF", header + "\r\n" + root + "\r\n" + row + "\r\n" + strings.ReplaceAll(row, "alice", "bob") + "\r\n", 3},
		{"UTF-8 BOM", "\ufeff" + header + "\n" + root + "\n" + row, 2},
		{"root row only", header + "\n" + root + "\n", 1},
		{"root row last", header + "\n" + row + "\n" + root, 2},
		{"unknown extra column", header + ",future_column\n" + root + ",x\n" + row + ",whatever", 2},
		{"columns in another order", reorder(header) + "\n" + reorder(root) + "\n" + reorder(row), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Parse([]byte(tt.data), "111122223333")
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if len(rows) != tt.rows {
				t.Fatalf("Parse() = %d rows, want %d", len(rows), tt.rows)
			}
		})
	}
}

// reorder swaps the first two fields of a CSV line without quotes.
func reorder(line string) string {
	f := strings.Split(line, ",")
	f[0], f[1] = f[1], f[0]
	return strings.Join(f, ",")
}

func TestParseMapsByName(t *testing.T) {
	rows, err := Parse([]byte(reorder(header)+"\n"+reorder(root)+"\n"), "111122223333")
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.User != RootUser || r.ARN != "arn:aws:iam::111122223333:root" || !r.MFAActive.True() {
		t.Errorf("Parse() = %+v; columns not mapped by name", r)
	}
}

func TestParseErrors(t *testing.T) {
	row := func(mfa, created string) string {
		return "alice,arn:aws:iam::111122223333:user/alice," + created + ",true,N/A,N/A,N/A," + mfa + ",false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	}
	good := row("true", "2020-01-01T00:00:00+00:00")
	tests := []struct {
		name   string
		data   string
		line   int
		column string
		want   error
	}{
		{"empty", "", 1, "", ErrEmpty},
		{"HTML error page", "<html><body>Access denied</body></html>\n", 1, "", ErrNotCredentialReport},
		{"JSON instead of CSV", `{"Content": "dXNlcg=="}`, 1, "", ErrNotCredentialReport},
		{"bad boolean", header + "\n" + good + "\n" + row("yes", "2020-01-01T00:00:00+00:00"), 3, "mfa_active", ErrBoolean},
		{"bad timestamp", header + "\n" + row("true", "01/02/2020"), 2, "user_creation_time", ErrTimestamp},
		{"timestamp without zone", header + "\n" + row("true", "2020-01-01T00:00:00"), 2, "user_creation_time", ErrTimestamp},
		{"empty user", header + "\n" + strings.Replace(good, "alice,", ",", 1), 2, "user", ErrUser},
		// The last copy of mfa_active would otherwise win and hide root-mfa-disabled.
		{"duplicated mfa_active", header + ",mfa_active\n" + strings.Replace(root, ",true,", ",false,", 1) + ",true", 1, "mfa_active", ErrDuplicateColumn},
		{"duplicated column with spaces", header + ", arn \n" + root + ",x", 1, "arn", ErrDuplicateColumn},
		{"duplicated unknown column", header + ",extra,extra\n" + root + ",x,y", 1, "extra", ErrDuplicateColumn},
		{"mfa_active missing", strings.Replace(header, ",mfa_active", "", 1) + "\n" + strings.Replace(root, ",true,", ",", 1), 1, "", ErrMissingColumns},
		{"16-column layout", "arn,user,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_2_active,access_key_2_last_rotated,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
			"arn:aws:iam::1:user/bob,bob,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2020-01-01T00:00:00+00:00,false,N/A,false,N/A,false,N/A", 1, "", ErrMissingColumns},
		{"header only", header + "\n", 0, "", ErrNoRoot},
		{"users without root", header + "\n" + good + "\n" + strings.ReplaceAll(good, "alice", "bob"), 0, "", ErrNoRoot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), "111122223333")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse() error = %v, want a *ParseError", err)
			}
			if !errors.Is(err, tt.want) || pe.Line != tt.line || pe.Column != tt.column || pe.Account != "111122223333" {
				t.Fatalf("Parse() error = %#v (%v), want %v at line %d column %q", pe, err, tt.want, tt.line, tt.column)
			}
			if !strings.Contains(err.Error(), "account 111122223333") {
				t.Errorf("error %q does not name the account", err)
			}
		})
	}
}

func TestParseFieldCount(t *testing.T) {
	data := header + "\n" + root + "\nalice,arn,2020-01-01T00:00:00+00:00\n"
	_, err := Parse([]byte(data), "111122223333")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 {
		t.Fatalf("Parse() error = %v, want a ParseError at line 3", err)
	}
}

func TestReaderStreams(t *testing.T) {
	data := header + "\n" + root + "\n"
	for _, u := range []string{"u1", "u2", "u3"} {
		data += u + ",arn:aws:iam::1:user/" + u + ",2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	}
	rd, err := NewReader(strings.NewReader(data), "1")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rd.Header()); got != 22 {
		t.Errorf("Header() has %d columns, want 22", got)
	}
	lines := []int{}
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, r.Line)
	}
	if len(lines) != 4 || lines[1] != 3 || lines[3] != 5 {
		t.Errorf("row lines = %v, want [2 3 4 5]", lines)
	}
}

func TestParseNamesEveryMissingColumn(t *testing.T) {
	gone := []string{"password_last_used", "mfa_active", "cert_2_last_rotated"}
	var keep []string
	for _, c := range Columns {
		if !slices.Contains(gone, c) {
			keep = append(keep, c)
		}
	}
	_, err := Parse([]byte(strings.Join(keep, ",")+"\n"), "111122223333")
	if !errors.Is(err, ErrMissingColumns) {
		t.Fatalf("Parse() error = %v, want %v", err, ErrMissingColumns)
	}
	want := "account 111122223333: credential report line 1: missing columns password_last_used, mfa_active, cert_2_last_rotated (AWS always sends all 22)"
	if err.Error() != want {
		t.Errorf("Parse() error = %q, want %q", err, want)
	}
}

// A user given twice (root included) is refused: the row the checks would
// believe cannot be known, and a forged second root row without
// credentials would hide root-mfa-disabled and root-hardware-mfa-missing.
func TestParseRefusesRepeatedUser(t *testing.T) {
	user := func(name string) string {
		return name + ",arn:aws:iam::111122223333:user/" + name + ",2020-01-01T00:00:00+00:00,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	}
	// rootNoCredentials is a root row as for centrally managed root access:
	// no password, no key, so no root MFA check applies to it.
	rootNoCredentials := "<root_account>,arn:aws:iam::111122223333:root,2017-06-10T02:35:07+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	tests := []struct {
		name string
		rows []string // after the header, from line 2
		want string   // the error, or "" when the report is valid
	}{
		{"root twice, the second without credentials", []string{root, user("alice"), rootNoCredentials},
			`account 111122223333: credential report line 4, column user: user "<root_account>" appears twice: lines 2 and 4`},
		{"root twice, identical rows", []string{root, root},
			`credential report line 3, column user: user "<root_account>" appears twice: lines 2 and 3`},
		{"user twice, adjacent", []string{root, user("alice"), user("alice")},
			`credential report line 4, column user: user "alice" appears twice: lines 3 and 4`},
		{"user twice, far apart", []string{root, user("alice"), user("bob"), user("carol"), user("dave"), user("erin"), user("frank"), user("alice")},
			`credential report line 9, column user: user "alice" appears twice: lines 3 and 9`},
		{"user twice before the root row", []string{user("alice"), user("alice"), root},
			`credential report line 3, column user: user "alice" appears twice: lines 2 and 3`},
		// The name is quoted: a control character in it cannot rewrite the log line.
		{"hostile name twice", []string{root, user("\u202eeliv"), user("\u202eeliv")},
			`user "\u202eeliv" appears twice: lines 3 and 4`},
		// Names are compared as they are: the reference facts say nothing
		// of IAM folding case, and a differently cased name is no root row.
		{"names differing in case", []string{root, user("alice"), user("Alice")}, ""},
		{"root's name differing in case", []string{root, user("<ROOT_ACCOUNT>")}, ""},
		{"a user named like root's ARN", []string{root, user("root")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := header + "\n" + strings.Join(tt.rows, "\n") + "\n"
			rows, err := Parse([]byte(data), "111122223333")
			if tt.want == "" {
				if err != nil || len(rows) != len(tt.rows) {
					t.Fatalf("Parse() = %d rows, %v; want %d rows", len(rows), err, len(tt.rows))
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrDuplicateUser) || pe.Column != "user" {
				t.Fatalf("Parse() error = %v, want a ParseError of column user wrapping %v", err, ErrDuplicateUser)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() error = %q, want it to contain %q", err, tt.want)
			}
			if strings.ContainsRune(err.Error(), '\u202e') {
				t.Errorf("Parse() error %q holds a raw bidi control", err)
			}
		})
	}
}

// The rows before a repeated user are delivered; the repeat is an error,
// not io.EOF, so a streaming caller cannot take the report as complete.
func TestReaderStopsAtRepeatedUser(t *testing.T) {
	data := header + "\n" + root + "\n" + root + "\n"
	rd, err := NewReader(strings.NewReader(data), "1")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := rd.Next(); err != nil || !r.IsRoot() {
		t.Fatalf("first Next() = %+v, %v; want the root row", r, err)
	}
	if _, err := rd.Next(); !errors.Is(err, ErrDuplicateUser) {
		t.Fatalf("second Next() error = %v, want %v", err, ErrDuplicateUser)
	}
}
