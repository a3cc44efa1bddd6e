// Package docscheck holds the tests that keep the project's Markdown
// (README.md and docs/) whole: every relative link and #anchor resolves,
// README.md stays a short front door that links every page of docs/, and
// the quick-start commands stay on its first screen. It has no code of
// its own; `go test ./...` runs the checks.
package docscheck
