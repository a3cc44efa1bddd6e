package config

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite the key table of docs/configuration.md")

// referenceDoc is the page whose key table TestReferenceIsCurrent keeps
// in step with the Config structs.
const referenceDoc = "../../docs/configuration.md"

// The generated table sits between these two lines of referenceDoc.
const (
	referenceBegin = "<!-- BEGIN key table: generated from internal/config by `go test ./internal/config -run TestReferenceIsCurrent -update`; do not edit -->"
	referenceEnd   = "<!-- END key table -->"
)

// setting is one row of the reference: a key of the YAML file.
type setting struct {
	key, env, flag, def, meaning string
}

// flagTargets maps the address of every field a flag of this package
// binds to the flag. Flags that bind no field of the Config are errors.
func flagTargets(t *testing.T, c *Config) map[uintptr]*pflag.Flag {
	t.Helper()
	fs := pflag.NewFlagSet("reference", pflag.ContinueOnError)
	c.RegisterFlags(fs)
	c.RegisterDaemonFlags(fs)
	targets := map[uintptr]*pflag.Flag{}
	fs.VisitAll(func(f *pflag.Flag) {
		var addr uintptr
		switch v := f.Value.(type) {
		case *awsListFlag:
			addr = reflect.ValueOf(v.list).Pointer()
		default:
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
				addr = rv.Pointer()
			}
		}
		if addr == 0 {
			t.Errorf("flag --%s: cannot tell which setting it binds (%T)", f.Name, f.Value)
			return
		}
		targets[addr] = f
	})
	return targets
}

// fieldDocs reads the doc comments of this package's struct fields:
// type name → field name → comment.
func fieldDocs(t *testing.T) map[string]map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	docs := map[string]map[string]string{}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			fields := map[string]string{}
			for _, fl := range st.Fields.List {
				text := fl.Doc.Text()
				if text == "" {
					text = fl.Comment.Text()
				}
				for _, id := range fl.Names {
					fields[id.Name] = strings.Join(strings.Fields(text), " ")
				}
			}
			docs[ts.Name.Name] = fields
			return true
		})
	}
	return docs
}

// reference lists every key of the Config, in the order of the structs,
// with its environment variable, its flag, its default and its meaning
// (the flag's help, else the field's doc comment).
func reference(t *testing.T) []setting {
	t.Helper()
	c := Default()
	targets := flagTargets(t, &c)
	docs := fieldDocs(t)
	used := map[*pflag.Flag]bool{}
	var rows []setting
	var visit func(v reflect.Value, prefix string)
	visit = func(v reflect.Value, prefix string) {
		typ := v.Type()
		for i := 0; i < typ.NumField(); i++ {
			field := typ.Field(i)
			key, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
			if key == "" || key == "-" || !field.IsExported() {
				continue
			}
			path := prefix + key
			fv := v.Field(i)
			if fv.Kind() == reflect.Struct {
				visit(fv, path+".")
				continue
			}
			row := setting{key: path, env: EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))}
			doc := docs[typ.Name()][field.Name]
			if f := targets[fv.Addr().Pointer()]; f != nil {
				used[f] = true
				row.flag = "--" + f.Name
				row.meaning = flagMeaning(f.Usage, path)
			}
			if row.meaning == "" {
				row.meaning = docMeaning(doc, field.Name)
			}
			if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct {
				row.env = "" // a list of mappings: only in the file
				var sub []string
				et := fv.Type().Elem()
				for j := 0; j < et.NumField(); j++ {
					k, _, _ := strings.Cut(et.Field(j).Tag.Get("yaml"), ",")
					sub = append(sub, "`"+k+"`")
				}
				row.meaning += " Each entry has " + strings.Join(sub, ", ") + "."
			}
			row.def = formatDefault(fv)
			rows = append(rows, row)
		}
	}
	visit(reflect.ValueOf(&c).Elem(), "")
	for _, f := range targets {
		if !used[f] {
			t.Errorf("flag --%s binds no key of the configuration file", f.Name)
		}
	}
	return rows
}

// flagMeaning is a flag's help without the key it already names.
func flagMeaning(usage, key string) string {
	usage = strings.ReplaceAll(usage, "("+key+"; ", "(")
	usage = strings.ReplaceAll(usage, " ("+key+")", "")
	return usage
}

// docMeaning turns "Field is a thing…" into "a thing…".
var docSubject = regexp.MustCompile(`^(\w+)(:| is| are)? `)

func docMeaning(doc, field string) string {
	if m := docSubject.FindStringSubmatch(doc); m != nil && m[1] == field {
		doc = doc[len(m[0]):]
	}
	return doc
}

// formatDefault writes a default as the file would take it.
func formatDefault(v reflect.Value) string {
	if v.Type() == reflect.TypeOf(time.Duration(0)) {
		switch d := v.Interface().(time.Duration); {
		case d != 0 && d%time.Hour == 0:
			return fmt.Sprintf("%dh", d/time.Hour)
		case d != 0 && d%time.Minute == 0:
			return fmt.Sprintf("%dm", d/time.Minute)
		default:
			return d.String()
		}
	}
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	if s, ok := v.Addr().Interface().(fmt.Stringer); ok {
		return s.String()
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			return ""
		}
	case reflect.String:
		return v.String()
	}
	return fmt.Sprint(v.Interface())
}

// renderReference writes the rows as a Markdown table.
func renderReference(rows []setting) string {
	cell := func(s string) string {
		if s == "" {
			return "—"
		}
		return "`" + s + "`"
	}
	text := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	var b strings.Builder
	b.WriteString("| key | environment | flag | default | meaning |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		def := cell(r.def)
		if r.def == "" {
			def = "(none)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", r.key, cell(r.env), cell(r.flag), text(def), text(r.meaning))
	}
	return b.String()
}

// TestReferenceIsCurrent checks that the key table of
// docs/configuration.md is the one the Config structs generate: every
// key, its REPORTER_* variable, its flag and its default. Run it with
// -update after changing a setting.
func TestReferenceIsCurrent(t *testing.T) {
	want := renderReference(reference(t))
	data, err := os.ReadFile(referenceDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	begin := strings.Index(doc, referenceBegin)
	end := strings.Index(doc, referenceEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s: the lines %q and %q are missing", referenceDoc, referenceBegin, referenceEnd)
	}
	got := strings.TrimPrefix(doc[begin+len(referenceBegin):end], "\n")
	if got == want {
		return
	}
	if *update {
		doc = doc[:begin+len(referenceBegin)] + "\n" + want + doc[end:]
		if err := os.WriteFile(referenceDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
	i := 0
	for i < len(gotLines) && i < len(wantLines) && gotLines[i] == wantLines[i] {
		i++
	}
	line := func(ls []string) string {
		if i < len(ls) {
			return ls[i]
		}
		return "(end of table)"
	}
	t.Errorf("%s: the key table is stale; run go test ./internal/config -run TestReferenceIsCurrent -update and review the diff. First difference, row %d:\n got: %s\nwant: %s",
		referenceDoc, i+1, line(gotLines), line(wantLines))
}

// TestReferenceCoversEverySetting guards the generator itself: every key
// ApplyEnv reads is a row with that variable, and the rows name the flags
// a user knows.
func TestReferenceCoversEverySetting(t *testing.T) {
	rows := reference(t)
	byEnv := map[string]setting{}
	for _, r := range rows {
		if r.env != "" {
			byEnv[r.env] = r
		}
	}
	c := Default()
	for _, name := range c.EnvNames() {
		if _, ok := byEnv[name]; !ok {
			t.Errorf("%s is read from the environment but has no row", name)
		}
	}
	for _, tc := range []setting{
		{key: "out", flag: "--out", def: "reports"},
		{key: "thresholds.key_rotation_days", flag: "--rotation-days", def: "90"},
		{key: "listen", flag: "--listen", def: "127.0.0.1:9090"},
		{key: "daemon.run_timeout", flag: "--daemon-run-timeout", def: "6h"},
		{key: "daemon.shutdown_grace", flag: "--shutdown-grace", def: "10m"},
		{key: "aws.account_timeout", flag: "--account-timeout", def: "5m"},
		{key: "aws.include_ous", flag: "--include-ous", def: ""},
		{key: "s3.presign_expiry", flag: "--presign-expiry", def: "off"},
		{key: "slack.max_findings", flag: "", def: "10"},
	} {
		var got *setting
		for i := range rows {
			if rows[i].key == tc.key {
				got = &rows[i]
			}
		}
		if got == nil || got.flag != tc.flag || got.def != tc.def || got.meaning == "" {
			t.Errorf("row %s = %+v, want flag %q, default %q and a meaning", tc.key, got, tc.flag, tc.def)
		}
	}
}
