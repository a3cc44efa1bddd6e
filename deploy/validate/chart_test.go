package validate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const chartDir = "../helm/reporter"

// helmBinary finds helm: $HELM, PATH, or GOPATH/bin (where .ci/run
// installs it). Without it the chart tests skip, and fail in CI.
func helmBinary(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	if h, err := exec.LookPath("helm"); err == nil {
		return h
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		h := filepath.Join(strings.TrimSpace(string(out)), "bin", "helm")
		if _, err := os.Stat(h); err == nil {
			return h
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("helm is not installed (.ci/run installs it)")
	}
	t.Skip("helm is not installed: go install helm.sh/helm/v3/cmd/helm@v3.21.4")
	return ""
}

// render runs helm template and splits the output into documents.
func render(t *testing.T, args ...string) [][]byte {
	t.Helper()
	cmd := exec.Command(helmBinary(t), append([]string{"template", "reporter", chartDir, "--namespace", "iam-audit"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template %v: %v\n%s", args, err, stderr.String())
	}
	var docs [][]byte
	for _, d := range bytes.Split(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(d []byte) []byte {
	var b bytes.Buffer
	for _, l := range bytes.Split(d, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) && !bytes.Equal(bytes.TrimSpace(l), []byte("---")) {
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// serviceMonitor is the part of the Prometheus Operator's ServiceMonitor
// the chart uses (its Go types would pull the whole operator in).
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// objects are the rendered objects by kind and name.
type objects struct {
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	accounts   map[string]*corev1.ServiceAccount
	claims     map[string]*corev1.PersistentVolumeClaim
	services   map[string]*corev1.Service
	policies   []*networkingv1.NetworkPolicy
	monitors   []*serviceMonitor
	cronJobs   []*batchv1.CronJob
	deploys    []*appsv1.Deployment
}

// strictDecode decodes a YAML document as the API server reads JSON:
// field names match case-sensitively, and an unknown or duplicate field
// is an error (encoding/json alone would accept readOnlyRootFileSystem).
func strictDecode(doc []byte, into any) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(js, into, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// decode decodes every document strictly into its API type: an unknown
// or misplaced field is an error, as is a kind the chart should not make.
func decode(t *testing.T, docs [][]byte) *objects {
	t.Helper()
	o := &objects{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		accounts: map[string]*corev1.ServiceAccount{}, claims: map[string]*corev1.PersistentVolumeClaim{}, services: map[string]*corev1.Service{}}
	for _, d := range docs {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(d, &tm); err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		var into any
		var keep func() // files the decoded object under its name
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 ConfigMap":
			v := &corev1.ConfigMap{}
			into, keep = v, func() { o.configMaps[v.Name] = v }
		case "v1 Secret":
			v := &corev1.Secret{}
			into, keep = v, func() { o.secrets[v.Name] = v }
		case "v1 ServiceAccount":
			v := &corev1.ServiceAccount{}
			into, keep = v, func() { o.accounts[v.Name] = v }
		case "v1 PersistentVolumeClaim":
			v := &corev1.PersistentVolumeClaim{}
			into, keep = v, func() { o.claims[v.Name] = v }
		case "v1 Service":
			v := &corev1.Service{}
			into, keep = v, func() { o.services[v.Name] = v }
		case "networking.k8s.io/v1 NetworkPolicy":
			v := &networkingv1.NetworkPolicy{}
			into, keep = v, func() { o.policies = append(o.policies, v) }
		case "monitoring.coreos.com/v1 ServiceMonitor":
			v := &serviceMonitor{}
			into, keep = v, func() { o.monitors = append(o.monitors, v) }
		case "batch/v1 CronJob":
			v := &batchv1.CronJob{}
			into, keep = v, func() { o.cronJobs = append(o.cronJobs, v) }
		case "apps/v1 Deployment":
			v := &appsv1.Deployment{}
			into, keep = v, func() { o.deploys = append(o.deploys, v) }
		default:
			t.Fatalf("the chart renders %s %s, which this test does not know", tm.APIVersion, tm.Kind)
		}
		if err := strictDecode(d, into); err != nil {
			t.Errorf("%s: %v", tm.Kind, err)
			continue
		}
		keep()
	}
	return o
}

// pod is a rendered workload's pod template.
type pod struct {
	kind string
	meta metav1.ObjectMeta
	spec corev1.PodSpec
}

func (o *objects) pods() []pod {
	var ps []pod
	for _, c := range o.cronJobs {
		ps = append(ps, pod{"CronJob", c.Spec.JobTemplate.Spec.Template.ObjectMeta, c.Spec.JobTemplate.Spec.Template.Spec})
	}
	for _, d := range o.deploys {
		ps = append(ps, pod{"Deployment", d.Spec.Template.ObjectMeta, d.Spec.Template.Spec})
	}
	return ps
}

// preexisting names what a values set says exists outside the chart.
type preexisting struct{ serviceAccount, secret, claim string }

var valueSets = []struct {
	name   string
	args   []string
	mode   string
	before preexisting
}{
	{"defaults (plus the required external ID)", []string{"--set", "aws.externalId=5f1c0a7e-iam-audit"}, "cronjob", preexisting{}},
	{"examples/cronjob-pod-identity.yaml", []string{"-f", chartDir + "/examples/cronjob-pod-identity.yaml"}, "cronjob",
		preexisting{secret: "reporter-slack"}},
	{"examples/daemon-irsa.yaml", []string{"-f", chartDir + "/examples/daemon-irsa.yaml"}, "daemon", preexisting{}},
	{"daemon with everything pre-existing", []string{"--set", "mode=daemon,aws.externalId=x,serviceAccount.create=false,serviceAccount.name=audit-sa," +
		"persistence.existingClaim=audit-data,slack.existingSecret=audit-slack,slack.existingSecretKey=token,networkPolicy.enabled=false"}, "daemon",
		preexisting{serviceAccount: "audit-sa", secret: "audit-slack", claim: "audit-data"}},
}

// TestChartObjects renders the chart with each values set, decodes every
// object strictly into the Kubernetes API types, and checks that every
// reference resolves to an object of the chart or to the documented
// pre-existing one, and that the pods run locked down.
func TestChartObjects(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			o := decode(t, render(t, vs.args...))
			ps := o.pods()
			if len(ps) != 1 || strings.ToLower(ps[0].kind) != map[string]string{"cronjob": "cronjob", "daemon": "deployment"}[vs.mode] {
				t.Fatalf("rendered %d workloads (%v), want one for mode %s", len(ps), ps, vs.mode)
			}
			p := ps[0]
			checkReferences(t, o, p, vs.before)
			checkLockedDown(t, p)
			if vs.mode == "daemon" {
				checkDaemon(t, o, p)
			} else if c := o.cronJobs[0]; c.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || *c.Spec.JobTemplate.Spec.BackoffLimit != 0 {
				t.Errorf("CronJob: concurrencyPolicy %s, backoffLimit %d; want Forbid and 0 (one audit per schedule)", c.Spec.ConcurrencyPolicy, *c.Spec.JobTemplate.Spec.BackoffLimit)
			}
			for _, np := range o.policies {
				checkNetworkPolicy(t, np, p)
			}
		})
	}
}

func checkReferences(t *testing.T, o *objects, p pod, before preexisting) {
	sa := p.spec.ServiceAccountName
	if _, ok := o.accounts[sa]; !ok && sa != before.serviceAccount {
		t.Errorf("the pod uses ServiceAccount %q, which is neither rendered nor a documented pre-existing one", sa)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range p.spec.Volumes {
		volumes[v.Name] = v
		switch {
		case v.ConfigMap != nil:
			if _, ok := o.configMaps[v.ConfigMap.Name]; !ok {
				t.Errorf("volume %s: ConfigMap %q is not rendered", v.Name, v.ConfigMap.Name)
			}
		case v.PersistentVolumeClaim != nil:
			if _, ok := o.claims[v.PersistentVolumeClaim.ClaimName]; !ok && v.PersistentVolumeClaim.ClaimName != before.claim {
				t.Errorf("volume %s: PVC %q is neither rendered nor the existing claim", v.Name, v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
	if before.claim != "" && len(o.claims) > 0 {
		t.Errorf("persistence.existingClaim is set, yet the chart renders PVCs %v", o.claims)
	}
	for _, c := range p.spec.Containers {
		for _, m := range c.VolumeMounts {
			if _, ok := volumes[m.Name]; !ok {
				t.Errorf("container %s mounts volume %q, which the pod does not have", c.Name, m.Name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				continue
			}
			ref := e.ValueFrom.SecretKeyRef
			if s, ok := o.secrets[ref.Name]; ok {
				if _, ok := s.StringData[ref.Key]; !ok {
					t.Errorf("env %s: Secret %s has no key %q", e.Name, ref.Name, ref.Key)
				}
			} else if ref.Name != before.secret {
				t.Errorf("env %s: Secret %q is neither rendered nor the existing secret", e.Name, ref.Name)
			}
		}
	}
}

func checkLockedDown(t *testing.T, p pod) {
	sc := p.spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want non-root uid 65532 and seccomp RuntimeDefault", sc)
	}
	if p.spec.AutomountServiceAccountToken == nil || *p.spec.AutomountServiceAccountToken {
		t.Error("the pod mounts the Kubernetes API token, which the reporter never uses")
	}
	for _, c := range p.spec.Containers {
		cs := c.SecurityContext
		if cs == nil || cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem ||
			cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation ||
			cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("container %s securityContext %+v: want a read-only root, no privilege escalation, every capability dropped", c.Name, cs)
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() {
			t.Errorf("container %s: resources %+v, want CPU and memory requests and a memory limit", c.Name, c.Resources)
		}
	}
}

func checkDaemon(t *testing.T, o *objects, p pod) {
	c := p.spec.Containers[0]
	if !slices.Contains(c.Args, "--listen") || c.Args[slices.Index(c.Args, "--listen")+1] != ":9090" {
		t.Errorf("daemon args %v: want --listen :9090 (the image's EXPOSE)", c.Args)
	}
	ports := map[string]bool{}
	for _, cp := range c.Ports {
		ports[cp.Name] = true
	}
	for probe, want := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || !ports[probe.HTTPGet.Port.StrVal] {
			t.Errorf("probe %+v: want GET %s on a named container port", probe, want)
		}
	}
	if d := o.deploys[0]; *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("Deployment: %d replicas, strategy %s; want 1 and Recreate (one daemon on a ReadWriteOnce volume)", *d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	for _, svc := range o.services {
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.meta.Labels)) {
			t.Errorf("Service %s selects %v, not the pod (%v)", svc.Name, svc.Spec.Selector, p.meta.Labels)
		}
		for _, sp := range svc.Spec.Ports {
			if !ports[sp.TargetPort.StrVal] {
				t.Errorf("Service %s targets port %q, which the container does not name", svc.Name, sp.TargetPort.StrVal)
			}
		}
	}
	for _, m := range o.monitors {
		sel, err := metav1.LabelSelectorAsSelector(&m.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, svc := range o.services {
			if sel.Matches(labels.Set(svc.Labels)) {
				found = true
				for _, ep := range m.Spec.Endpoints {
					if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == ep.Port }) {
						t.Errorf("ServiceMonitor scrapes port %q, which Service %s does not name", ep.Port, svc.Name)
					}
				}
			}
		}
		if !found {
			t.Errorf("ServiceMonitor %s selects no Service", m.Name)
		}
	}
}

func checkNetworkPolicy(t *testing.T, np *networkingv1.NetworkPolicy, p pod) {
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil || !sel.Matches(labels.Set(p.meta.Labels)) {
		t.Errorf("NetworkPolicy %s does not select the pod (%v)", np.Name, err)
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("NetworkPolicy %s does not restrict egress", np.Name)
	}
	for _, rule := range np.Spec.Egress {
		for _, port := range rule.Ports {
			if n := port.Port.IntValue(); n != 53 && n != 443 && n != 80 {
				t.Errorf("NetworkPolicy %s allows egress to port %d; want DNS, HTTPS and the Pod Identity agent only", np.Name, n)
			}
			if port.Port.IntValue() == 80 && (len(rule.To) != 1 || rule.To[0].IPBlock == nil || rule.To[0].IPBlock.CIDR != "169.254.170.23/32") {
				t.Errorf("NetworkPolicy %s allows port 80 beyond the Pod Identity agent: %+v", np.Name, rule.To)
			}
		}
	}
}

// TestChartConfigIsValid feeds each rendered ConfigMap to the reporter's
// own `config check`, so a key the chart writes and the reporter does not
// know (or a bad value) fails here.
func TestChartConfigIsValid(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the reporter")
	}
	bin := reporterBinary(t)
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			o := decode(t, render(t, vs.args...))
			if len(o.configMaps) != 1 {
				t.Fatalf("%d ConfigMaps, want 1", len(o.configMaps))
			}
			dir := t.TempDir()
			var cm *corev1.ConfigMap
			for _, v := range o.configMaps {
				cm = v
			}
			args := []string{"config", "check", "--config", filepath.Join(dir, "reporter.yaml"), "--out", filepath.Join(dir, "reports")}
			for name, content := range cm.Data {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if _, ok := cm.Data["exceptions.yaml"]; ok {
				args = append(args, "--exceptions", filepath.Join(dir, "exceptions.yaml"))
			}
			if !strings.Contains(cm.Data["reporter.yaml"], "external_id:") {
				t.Error("the rendered configuration has no aws.external_id: every AssumeRole into a member would be denied")
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN=xoxb-test", "AWS_REGION=eu-west-1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("reporter config check: %v\n%s", err, out)
			}
		})
	}
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// reporterBinary builds the reporter of this checkout once per test run.
func reporterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "reporter-validate")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "reporter")
		if runtime.GOOS == "windows" {
			built += ".exe"
		}
		cmd := exec.Command("go", "build", "-o", built, "./cmd/reporter")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

// TestSystemdConfigIsValid: the VM example configuration passes the
// reporter's own check, with the token file systemd would pass.
func TestSystemdConfigIsValid(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the reporter")
	}
	out, err := exec.Command(reporterBinary(t), "config", "check", "--config", "../systemd/reporter.yaml", "--out", t.TempDir()).CombinedOutput()
	if err != nil {
		t.Errorf("reporter config check deploy/systemd/reporter.yaml: %v\n%s", err, out)
	}
	// config check prints the external ID redacted, so the stack's example
	// outputs are looked for in the file itself.
	file, err := os.ReadFile("../systemd/reporter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"external_id: 5f1c0a7e-iam-audit", "bucket: acme-iam-audit-111122223333", "role_name: IAMCredentialAuditRole"} {
		if !strings.Contains(string(file), want) {
			t.Errorf("the VM configuration lacks %q (the stack's example outputs)", want)
		}
	}
}

// TestChartRefusesAMissingExternalID: without aws.externalId the chart
// does not render (the member roles would refuse every AssumeRole).
func TestChartRefusesAMissingExternalID(t *testing.T) {
	out, err := exec.Command(helmBinary(t), "template", "reporter", chartDir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "aws.externalId is required") {
		t.Errorf("helm template without aws.externalId: %v\n%s\nwant a failure naming aws.externalId", err, out)
	}
}

// TestPlainManifestIsGenerated: deploy/kubernetes/reporter.yaml is the
// chart rendered with the cron example, as generate.sh writes it.
func TestPlainManifestIsGenerated(t *testing.T) {
	cmd := exec.Command("bash", "../kubernetes/generate.sh", "--check")
	cmd.Env = append(os.Environ(), "HELM="+helmBinary(t))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%v\n%s", err, out)
	}
}
