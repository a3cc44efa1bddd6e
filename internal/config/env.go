package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every environment override.
const EnvPrefix = "REPORTER_"

// ApplyEnv overrides settings from environment variables named after
// their YAML path: REPORTER_ + the keys in upper case joined by "_", e.g.
// REPORTER_OUT, REPORTER_THRESHOLDS_KEY_ROTATION_DAYS, REPORTER_S3_BUCKET,
// REPORTER_DAEMON_SCHEDULE. Lists take comma-separated values; lists of
// mappings (slack.routes) and mappings can only be set in the file.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	return walk(reflect.ValueOf(c).Elem(), "", func(path string, v reflect.Value) error {
		name := EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
		raw, ok := lookup(name)
		if !ok {
			return nil
		}
		if err := setScalar(v, raw); err != nil {
			return fmt.Errorf("%s=%q: %w", name, raw, err)
		}
		return nil
	})
}

// EnvNames lists every environment variable ApplyEnv reads, for docs.
func (c *Config) EnvNames() []string {
	var names []string
	_ = walk(reflect.ValueOf(c).Elem(), "", func(path string, _ reflect.Value) error {
		names = append(names, EnvPrefix+strings.ToUpper(strings.ReplaceAll(path, ".", "_")))
		return nil
	})
	return names
}

// walk calls fn for every settable scalar (or list of scalars) field,
// with its dotted YAML path.
func walk(v reflect.Value, prefix string, fn func(path string, v reflect.Value) error) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		field := t.Field(i)
		key, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || !field.IsExported() {
			continue
		}
		path := key
		if prefix != "" {
			path = prefix + "." + key
		}
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}):
			if err := walk(fv, path, fn); err != nil {
				return err
			}
		case isScalar(fv.Type()) || (fv.Kind() == reflect.Slice && isScalar(fv.Type().Elem())):
			if err := fn(path, fv); err != nil {
				return err
			}
		}
	}
	return nil
}

func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
		return true
	}
	return false
}

// setScalar parses raw into v, which isScalar or a slice of scalars.
func setScalar(v reflect.Value, raw string) error {
	if u, ok := v.Addr().Interface().(interface{ UnmarshalText([]byte) error }); ok {
		return u.UnmarshalText([]byte(raw))
	}
	if u, ok := v.Addr().Interface().(interface{ Set(string) error }); ok {
		return u.Set(raw)
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int64:
		if v.Type() == reflect.TypeOf(time.Duration(0)) {
			d, err := time.ParseDuration(raw)
			if err != nil {
				return err
			}
			v.SetInt(int64(d))
			return nil
		}
		fallthrough
	case reflect.Int, reflect.Int32:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	case reflect.Slice:
		parts := []string{}
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		s := reflect.MakeSlice(v.Type(), len(parts), len(parts))
		for i, p := range parts {
			if err := setScalar(s.Index(i), p); err != nil {
				return err
			}
		}
		v.Set(s)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

// Redacted returns a copy of c whose secret fields (tagged secret:"true")
// read "<secret>" when set, for printing.
func (c Config) Redacted() Config {
	out := c
	redact(reflect.ValueOf(&out).Elem())
	return out
}

func redact(v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		switch {
		case t.Field(i).Tag.Get("secret") == "true" && f.Kind() == reflect.String && f.String() != "":
			f.SetString("<secret>")
		case f.Kind() == reflect.Struct:
			redact(f)
		}
	}
}
