package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"sigs.k8s.io/yaml"
)

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestExampleValuesMatchTheStack: the values the chart's examples and the
// VM's configuration fill in are the outputs reporter.yaml gives for the
// example parameters, so the walkthrough's values agree everywhere.
func TestExampleValuesMatchTheStack(t *testing.T) {
	rep := raw(t, "reporter.yaml")
	def := func(p string) string { return fmt.Sprint(at(t, rep, "Parameters", p, "Default")) }
	want := map[string]string{
		"externalId":     exampleParameters["ExternalId"].(string),
		"bucket":         exampleParameters["BucketName"].(string),
		"auditRoleName":  def("AuditRoleName"),
		"prefix":         def("ArchivePrefix"),
		"objectLockMode": def("ObjectLockMode"),
		"retainDays":     def("RetainDays"),
	}
	roleArn := regexp.MustCompile(`^arn:aws:iam::[0-9]{12}:role/` + regexp.QuoteMeta(def("ReporterRoleName")) + `$`)
	keyArn := regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$`)

	examples, _ := filepath.Glob(filepath.Join(chartDir, "examples", "*.yaml"))
	if len(examples) == 0 {
		t.Fatal("no chart examples")
	}
	for _, f := range examples {
		v := readYAML(t, f)
		got := map[string]string{
			"externalId": fmt.Sprint(at(t, v, "aws", "externalId")), "auditRoleName": fmt.Sprint(at(t, v, "aws", "auditRoleName")),
			"bucket": fmt.Sprint(at(t, v, "archive", "bucket")), "prefix": fmt.Sprint(at(t, v, "archive", "prefix")),
			"objectLockMode": fmt.Sprint(at(t, v, "archive", "objectLockMode")), "retainDays": fmt.Sprint(at(t, v, "archive", "retainDays")),
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s = %q, the stack gives %q", filepath.Base(f), k, got[k], w)
			}
		}
		if r := fmt.Sprint(at(t, v, "aws", "roleArn")); !roleArn.MatchString(r) {
			t.Errorf("%s: aws.roleArn %q is not the stack's ReporterRoleArn", filepath.Base(f), r)
		}
		if k := fmt.Sprint(at(t, v, "archive", "kmsKeyArn")); !keyArn.MatchString(k) {
			t.Errorf("%s: archive.kmsKeyArn %q is not a key ARN (the bucket policy requires the key's ARN, not an alias)", filepath.Base(f), k)
		}
	}

	// The chart's ServiceAccount is the one the stack's trust names.
	values := readYAML(t, filepath.Join(chartDir, "values.yaml"))
	if sa := fmt.Sprint(at(t, values, "serviceAccount", "name")); sa != def("KubernetesServiceAccount") {
		t.Errorf("the chart's ServiceAccount is %q, the stack trusts %q", sa, def("KubernetesServiceAccount"))
	}
	if ns := def("KubernetesNamespace"); ns != "iam-audit" {
		t.Errorf("the stack trusts namespace %q; docs/deployment.md installs into iam-audit", ns)
	}

	// The VM's configuration.
	vm := readYAML(t, "../systemd/reporter.yaml")
	for k, path := range map[string][]string{
		"externalId": {"aws", "external_id"}, "auditRoleName": {"aws", "role_name"}, "bucket": {"s3", "bucket"},
		"prefix": {"s3", "prefix"}, "objectLockMode": {"s3", "object_lock_mode"}, "retainDays": {"s3", "retain_days"},
	} {
		if got := fmt.Sprint(at(t, vm, path...)); got != want[k] {
			t.Errorf("deploy/systemd/reporter.yaml: %v = %q, the stack gives %q", path, got, want[k])
		}
	}
}
