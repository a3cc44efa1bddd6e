// Package redact takes secrets (Slack tokens, webhook URLs, AWS external
// IDs) out of errors and text before they reach a log, a report or a
// message.
package redact

import (
	"net/url"
	"strings"
)

// Placeholder replaces a secret.
const Placeholder = "<redacted>"

// replacer replaces every form in which a secret can appear: as given;
// for a URL also query-escaped, by its path (the secret part of a Slack
// webhook), by its query string and by each query value.
func replacer(secrets []string) *strings.Replacer {
	var repl []string
	add := func(s string) {
		if len(s) > 1 {
			repl = append(repl, s, Placeholder)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		add(s)
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			continue
		}
		if q := url.QueryEscape(s); q != s {
			add(q)
		}
		add(u.EscapedPath())
		if u.Path != u.EscapedPath() {
			add(u.Path)
		}
		add(u.RawQuery)
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
				add(url.QueryEscape(v))
			}
		}
	}
	if len(repl) == 0 {
		return nil
	}
	return strings.NewReplacer(repl...)
}

// String returns s with every secret replaced by Placeholder.
func String(s string, secrets ...string) string {
	if r := replacer(secrets); r != nil {
		return r.Replace(s)
	}
	return s
}

// Error returns err with every occurrence of the secrets replaced by
// Placeholder, and the URL of any *url.Error in its chain replaced too
// (an HTTP client error quotes the whole URL, and a webhook URL is a
// secret). errors.Is and errors.As still see the original chain.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	redactURLs(err)
	msg := err.Error()
	if r := replacer(secrets); r != nil {
		msg = r.Replace(msg)
	}
	return &redactedError{msg: msg, err: err}
}

// redactURLs replaces the URL of every *url.Error in err's chain.
func redactURLs(err error) {
	for e := err; e != nil; {
		if ue, ok := e.(*url.Error); ok {
			ue.URL = Placeholder
		}
		switch x := e.(type) {
		case interface{ Unwrap() error }:
			e = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, inner := range x.Unwrap() {
				redactURLs(inner)
			}
			e = nil
		default:
			e = nil
		}
	}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
