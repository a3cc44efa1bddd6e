// Package templates embeds the text templates reports are rendered from.
// A deployment may override them with a directory of files of the same
// names.
package templates

import "embed"

// FS holds the built-in templates.
//
//go:embed *.tmpl
var FS embed.FS
