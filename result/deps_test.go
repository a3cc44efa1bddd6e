package result_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/reporter-dev/reporter/"

// goListDeps returns every package the patterns import, directly or not,
// themselves included (go list -deps).
func goListDeps(t *testing.T, patterns ...string) []string {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go tool is not on PATH (%v): cannot list dependencies", err)
	}
	out, err := exec.Command(gotool, append([]string{"list", "-deps"}, patterns...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list -deps %s: %v\n%s", strings.Join(patterns, " "), err, ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v", strings.Join(patterns, " "), err)
	}
	return strings.Fields(string(out))
}

// TestNoExcelizeOutsideTheWorkbook: the packages that only need the run
// model (the archive, the notifiers, history, metrics) do not link the
// workbook's library.
func TestNoExcelizeOutsideTheWorkbook(t *testing.T) {
	const excelize = "github.com/xuri/excelize"
	for _, pkg := range []string{"archive", "notify/...", "internal/history", "internal/metrics", "result"} {
		t.Run(pkg, func(t *testing.T) {
			for _, dep := range goListDeps(t, module+pkg) {
				if strings.HasPrefix(dep, excelize) {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		})
	}
	// The check can fail: the workbook itself does link it.
	if !slices.ContainsFunc(goListDeps(t, module+"report/xlsx"), func(d string) bool { return strings.HasPrefix(d, excelize) }) {
		t.Error("report/xlsx does not link excelize: the check above proves nothing")
	}
}

// TestModelIsALeaf: result imports no project package but audit (and
// what audit imports).
func TestModelIsALeaf(t *testing.T) {
	allowed := map[string]bool{module + "result": true}
	for _, dep := range goListDeps(t, module+"audit") {
		allowed[dep] = true
	}
	for _, dep := range goListDeps(t, module+"result") {
		if strings.HasPrefix(dep, module) && !allowed[dep] {
			t.Errorf("result depends on %s", dep)
		}
	}
}
