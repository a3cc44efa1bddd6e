package docscheck

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository root, seen from this package's folder.
const repoRoot = "../.."

// page is one Markdown file: its lines, links and the anchors its headings make.
type page struct {
	path    string // relative to the root, with slashes
	lines   []string
	links   []link
	anchors map[string]bool
}

// link is one inline link or image outside code.
type link struct {
	line   int
	target string
}

var (
	// inlineLink matches [text](target) and ![alt](target); the text may
	// hold code spans but no brackets, as in every link we write.
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	codeSpan   = regexp.MustCompile("`+[^`]*`+")
	heading    = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	linkText   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
)

// readPage reads the Markdown file rel under root and collects its links
// and anchors. Fenced code blocks are skipped: a `# comment` in a shell
// example is no heading, and a [x](y) in one is no link.
func readPage(root, rel string) (*page, error) {
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	p := &page{path: rel, lines: strings.Split(string(b), "\n"), anchors: map[string]bool{}}
	seen := map[string]int{}
	fence := ""
	for i, ln := range p.lines {
		trimmed := strings.TrimLeft(ln, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		if m := heading.FindStringSubmatch(ln); m != nil {
			s := slug(m[2])
			if n, dup := seen[s]; dup {
				seen[s] = n + 1
				s = fmt.Sprintf("%s-%d", s, n+1)
			} else {
				seen[s] = 0
			}
			p.anchors[s] = true
		}
		for _, m := range inlineLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(ln, ""), -1) {
			p.links = append(p.links, link{line: i + 1, target: m[1]})
		}
	}
	return p, nil
}

// slug is the anchor GitHub gives a heading: link targets dropped, lower
// case, every character but letters, digits, '-', '_' and spaces removed,
// spaces turned into '-'. A repeated heading gets -1, -2… (readPage).
func slug(h string) string {
	h = linkText.ReplaceAllString(h, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// loadPages reads README.md and every Markdown file under docs/ of root.
func loadPages(root string) (map[string]*page, error) {
	readme, err := readPage(root, "README.md")
	if err != nil {
		return nil, err
	}
	all := map[string]*page{"README.md": readme}
	err = filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		all[rel], err = readPage(root, rel)
		return err
	})
	return all, err
}

// checkLinks returns one line for every relative link of the pages that
// names no file or folder of the repository under root, and for every
// #anchor that names no heading of the page it points into.
func checkLinks(root string, all map[string]*page) []string {
	var problems []string
	for _, name := range slices.Sorted(mapKeys(all)) {
		p := all[name]
		for _, l := range p.links {
			if strings.Contains(l.target, "://") || strings.HasPrefix(l.target, "mailto:") {
				continue
			}
			where := fmt.Sprintf("%s:%d: link %q", p.path, l.line, l.target)
			file, anchor, _ := strings.Cut(l.target, "#")
			target := p.path
			if file != "" {
				if strings.HasPrefix(file, "/") {
					problems = append(problems, where+": an absolute path; write it relative to "+p.path)
					continue
				}
				target = filepath.ToSlash(filepath.Join(filepath.Dir(p.path), file))
				if target == ".." || strings.HasPrefix(target, "../") {
					problems = append(problems, where+": leaves the repository")
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(target))); err != nil {
					problems = append(problems, fmt.Sprintf("%s: %s does not exist", where, target))
					continue
				}
			}
			if anchor == "" {
				continue
			}
			tp, ok := all[target]
			if !ok {
				var err error
				if !strings.HasSuffix(target, ".md") {
					problems = append(problems, fmt.Sprintf("%s: an anchor into %s, which is not Markdown", where, target))
					continue
				}
				if tp, err = readPage(root, target); err != nil {
					problems = append(problems, fmt.Sprintf("%s: %v", where, err))
					continue
				}
			}
			if !tp.anchors[anchor] {
				problems = append(problems, fmt.Sprintf("%s: %s has no heading with anchor #%s", where, target, anchor))
			}
		}
	}
	return problems
}

func mapKeys(m map[string]*page) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestLinksResolve checks that every relative link of README.md and
// docs/ names a file or folder of the repository, and that every #anchor
// names a heading of the page it points into.
func TestLinksResolve(t *testing.T) {
	all, err := loadPages(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for _, p := range all {
		links += len(p.links)
	}
	if len(all) < 2 || links < 20 {
		t.Fatalf("read %d pages with %d links: README.md and docs/ not found where expected", len(all), links)
	}
	for _, problem := range checkLinks(repoRoot, all) {
		t.Error(problem)
	}
}

// TestReadmeIsTheFrontDoor keeps README.md short, the two quick-start
// commands on its first screen (CI runs them, newcomers copy them), and
// every page of docs/ reachable from it.
func TestReadmeIsTheFrontDoor(t *testing.T) {
	all, err := loadPages(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	readme := all["README.md"]
	if n := len(readme.lines); n > 200 {
		t.Errorf("README.md has %d lines; keep it under 200 and move the rest into docs/", n)
	}
	for _, cmd := range []string{
		"go run ./cmd/reporter run --source sample --out ./reports",
		"go test -race ./...",
	} {
		at := slices.IndexFunc(readme.lines, func(ln string) bool { return strings.HasPrefix(ln, cmd) })
		if at < 0 || at >= 30 {
			t.Errorf("README.md: %q is not on the first screen (the first 30 lines)", cmd)
		}
	}
	linked := map[string]bool{}
	for _, l := range readme.links {
		file, _, _ := strings.Cut(l.target, "#")
		linked[file] = true
	}
	for name := range all {
		if strings.HasPrefix(name, "docs/") && !linked[name] {
			t.Errorf("README.md does not link %s", name)
		}
	}
}

// TestSlug pins the anchor rules on headings of these docs.
func TestSlug(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"Exit status", "exit-status"},
		{"The directory source (`--source dir:PATH`)", "the-directory-source---source-dirpath"},
		{"Step 1, every path: the AWS side", "step-1-every-path-the-aws-side"},
		{"What verify detects (the forgery model)", "what-verify-detects-the-forgery-model"},
		{"End to end: 5,000 accounts × 200 users (1,005,000 credential rows, 1,635,152 findings)",
			"end-to-end-5000-accounts--200-users-1005000-credential-rows-1635152-findings"},
		{"findings.json: the contract", "findingsjson-the-contract"},
		{"See [Run status](x.md#run-status)", "see-run-status"},
		{"S3 archive settings (`s3:`)", "s3-archive-settings-s3"},
		{"Über die Prüfung", "über-die-prüfung"},
	} {
		if got := slug(tc.heading); got != tc.want {
			t.Errorf("slug(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}

// TestLinksAreChecked runs the checker on a small repository of bad links:
// it must name each, and pass over links inside code.
func TestLinksAreChecked(t *testing.T) {
	root := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# Tool\n\n## Exit status\n\n[a](docs/a.md) [b](docs/a.md#part-one) [c](docs/a.md#part-two)\n"+
		"[d](#exit-status) [e](#exit-statuses) [f](docs/gone.md) [g](../outside.md) [h](/etc/passwd)\n"+
		"[i](LICENSE#top) [j](https://example.com/x#y) ![pic](docs/images/p.png)\n")
	write("LICENSE", "text\n")
	write("docs/images/p.png", "png\n")
	write("docs/a.md", "# A\n\n## Part one\n\n## Part one\n\n[back](../README.md#exit-status) [dup](#part-one-1)\n"+
		"`[in code](nowhere.md)`\n```sh\n[in a fence](nowhere.md)\n# not a heading\n```\n[fence](#not-a-heading)\n")
	all, err := loadPages(root)
	if err != nil {
		t.Fatal(err)
	}
	got := checkLinks(root, all)
	want := []string{
		`README.md:5: link "docs/a.md#part-two": docs/a.md has no heading with anchor #part-two`,
		`README.md:6: link "#exit-statuses": README.md has no heading with anchor #exit-statuses`,
		`README.md:6: link "docs/gone.md": docs/gone.md does not exist`,
		`README.md:6: link "../outside.md": leaves the repository`,
		`README.md:6: link "/etc/passwd": an absolute path; write it relative to README.md`,
		`README.md:7: link "LICENSE#top": an anchor into LICENSE, which is not Markdown`,
		`docs/a.md:13: link "#not-a-heading": docs/a.md has no heading with anchor #not-a-heading`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkLinks() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
