// Package mdcheck reads Markdown the way GitHub renders it (goldmark with
// the GitHub-flavoured extensions: tables, autolinks, strikethrough), for
// tests that check a report's text from outside stays inert.
package mdcheck

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	xhtml "golang.org/x/net/html"
)

// The renderer lets raw HTML through, as a permissive viewer would, so
// that any that slips in is seen.
var md = goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))

// Active lists what a renderer would make live in src: links, images,
// autolinks and raw HTML, each with its text.
func Active(src []byte) []string { return ActiveExcept(src, nil) }

// ActiveExcept is Active, leaving out the links and autolinks to the
// URLs in allowed: the report's own links (e.g. to the AWS documentation
// of each check), which text from outside can never produce.
func ActiveExcept(src []byte, allowed map[string]bool) []string {
	doc := md.Parser().Parse(text.NewReader(src))
	var found []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if allowed[string(n.Destination)] {
				return ast.WalkSkipChildren, nil
			}
			found = append(found, fmt.Sprintf("link to %q", n.Destination))
		case *ast.Image:
			found = append(found, fmt.Sprintf("image %q", n.Destination))
		case *ast.AutoLink:
			if allowed[string(n.URL(src))] {
				return ast.WalkContinue, nil
			}
			found = append(found, fmt.Sprintf("autolink %q", n.URL(src)))
		case *ast.RawHTML:
			var b strings.Builder
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				b.Write(seg.Value(src))
			}
			found = append(found, fmt.Sprintf("raw HTML %q", b.String()))
		case *ast.HTMLBlock:
			var b strings.Builder
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				b.Write(seg.Value(src))
			}
			found = append(found, fmt.Sprintf("HTML block %q", b.String()))
		case *extast.Strikethrough:
			found = append(found, "strikethrough")
		case *ast.Emphasis:
			// audit.md uses **bold** for its own words only.
			if n.Level == 1 {
				found = append(found, "emphasis")
			}
		}
		return ast.WalkContinue, nil
	})
	return found
}

// Texts returns the text of every element named tag (td, li, h3, …) of
// the rendered src, in order.
func Texts(src []byte, tag string) ([]string, error) {
	var out bytes.Buffer
	if err := md.Convert(src, &out); err != nil {
		return nil, err
	}
	root, err := xhtml.Parse(&out)
	if err != nil {
		return nil, err
	}
	var texts []string
	var walk func(*xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && n.Data == tag {
			texts = append(texts, textOf(n))
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return texts, nil
}

func textOf(n *xhtml.Node) string {
	if n.Type == xhtml.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}
