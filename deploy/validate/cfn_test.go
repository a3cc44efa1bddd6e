package validate

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
)

const cfnDir = "../cloudformation"

// exampleParameters are the values the walkthrough of docs/deployment.md deploys with;
// the chart's example values use the same (TestExampleValuesMatchTheStack).
var exampleParameters = map[string]any{
	"ExternalId": "5f1c0a7e-iam-audit", "BucketName": "acme-iam-audit-111122223333",
	"ReporterPrincipalArn": "arn:aws:iam::111122223333:role/IAMCredentialReporter",
	"Image":                "111122223333.dkr.ecr.eu-west-1.amazonaws.com/reporter:v0.1.0",
	"VpcId":                "vpc-0123456789abcdef0", "SubnetIdA": "subnet-0123456789abcdef0", "SubnetIdB": "subnet-0fedcba9876543210",
	"MemberTargetOUs": []any{"r-abcd"}, "EksClusterName": "prod",
	"AuditorRoleArn":            "arn:aws:iam::111122223333:role/IAMAuditReader",
	"MemberStackSetTemplateURL": "https://acme-cfn.s3.eu-west-1.amazonaws.com/member-audit-role.yaml",
	"SlackTokenSecretArn":       "arn:aws:secretsmanager:eu-west-1:111122223333:secret:reporter/slack-bot-token-AbCdEf",
}

// raw reads a template with its intrinsic functions left as they are, in
// their long JSON form ({"Ref": ...}, {"Fn::Sub": ...}).
func raw(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cfnDir, name))
	if err != nil {
		t.Fatal(err)
	}
	js, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at walks m along path (map keys and, for lists, decimal indexes).
func at(t *testing.T, m any, path ...string) any {
	t.Helper()
	cur := m
	for i, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p]
			if !ok {
				t.Fatalf("%s: no %q", strings.Join(path[:i], "."), p)
			}
			cur = v
		case []any:
			var n int
			for _, r := range p {
				n = n*10 + int(r-'0')
			}
			if n >= len(c) {
				t.Fatalf("%s: no item %d", strings.Join(path[:i], "."), n)
			}
			cur = c[n]
		default:
			t.Fatalf("%s is %T, not a map or list", strings.Join(path[:i], "."), cur)
		}
	}
	return cur
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// strictType is t's struct type without its methods: goformation's
// resources unmarshal themselves (leniently); this copy lets
// encoding/json's DisallowUnknownFields see every property.
func strictType(t reflect.Type) reflect.Type {
	var fields []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		fields = append(fields, f)
	}
	return reflect.StructOf(fields)
}

// TestTemplatesAreTyped parses every template with goformation, with the
// example parameters and conditions evaluated, and decodes each resource's
// properties strictly into its typed struct: a misspelt or misplaced
// property fails here instead of at deploy time.
func TestTemplatesAreTyped(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(cfnDir, "*.yaml"))
	if len(files) < 3 {
		t.Fatalf("found %d templates in %s, want the 3 shipped", len(files), cfnDir)
	}
	all := cloudformation.AllResources()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			opts := &intrinsics.ProcessorOptions{ParameterOverrides: exampleParameters}
			tmpl, err := goformation.OpenWithOptions(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(tmpl.Resources) == 0 {
				t.Fatal("no resources")
			}
			data, _ := os.ReadFile(f)
			js, err := intrinsics.ProcessYAML(data, opts)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Resources map[string]struct {
					Type       string
					Properties json.RawMessage
				}
			}
			if err := json.Unmarshal(js, &doc); err != nil {
				t.Fatal(err)
			}
			for name, r := range doc.Resources {
				proto, ok := all[r.Type]
				if !ok {
					t.Errorf("%s: unknown resource type %s", name, r.Type)
					continue
				}
				v := reflect.New(strictType(reflect.TypeOf(proto).Elem()))
				dec := json.NewDecoder(bytes.NewReader(r.Properties))
				dec.DisallowUnknownFields()
				if err := dec.Decode(v.Interface()); err != nil {
					t.Errorf("%s (%s): %v", name, r.Type, err)
				}
			}
		})
	}
}

// allowedActions collects the actions of the Allow statements of a policy
// document, by Sid.
func allowedActions(t *testing.T, doc any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, s := range at(t, doc, "Statement").([]any) {
		st := s.(map[string]any)
		if st["Effect"] != "Allow" {
			continue
		}
		sid, _ := st["Sid"].(string)
		switch a := st["Action"].(type) {
		case string:
			out[sid] = append(out[sid], a)
		case []any:
			for _, x := range a {
				out[sid] = append(out[sid], x.(string))
			}
		}
		slices.Sort(out[sid])
	}
	return out
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// TestReporterRoleMatchesTheIAMFiles: the stack's policies grant exactly
// what deploy/iam documents (which the collector and archive tests check
// against the calls the code makes).
func TestReporterRoleMatchesTheIAMFiles(t *testing.T) {
	r := raw(t, "reporter.yaml")
	inline := at(t, r, "Resources", "ReporterRole", "Properties", "Policies").([]any)
	if len(inline) != 1 {
		t.Fatalf("ReporterRole has %d inline policies, want 1", len(inline))
	}
	for _, c := range []struct {
		doc  any
		file string
	}{
		{at(t, inline[0], "PolicyDocument"), "../iam/reporter-management-policy.json"},
		{at(t, r, "Resources", "ReporterArchivePolicy", "Properties", "PolicyDocument"), "../iam/reporter-archive-policy.json"},
	} {
		got, want := allowedActions(t, c.doc), allowedActions(t, readJSON(t, c.file))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("the stack allows %v; %s allows %v", got, c.file, want)
		}
	}
	m := raw(t, "member-audit-role.yaml")
	got := allowedActions(t, at(t, m, "Resources", "AuditRole", "Properties", "Policies", "0", "PolicyDocument"))
	if want := allowedActions(t, readJSON(t, "../iam/member-audit-role-policy.json")); !reflect.DeepEqual(got, want) {
		t.Errorf("member-audit-role.yaml allows %v; member-audit-role-policy.json allows %v", got, want)
	}
}

// TestCrossStackInvariants: one external ID, one audit role name, one
// reporter role, one bucket and one key flow from reporter.yaml into the
// member StackSet and the ECS task.
func TestCrossStackInvariants(t *testing.T) {
	rep, mem, ecs := raw(t, "reporter.yaml"), raw(t, "member-audit-role.yaml"), raw(t, "ecs-scheduled-task.yaml")

	// The parameters both stacks take accept the same values.
	for _, p := range []string{"ExternalId", "AuditRoleName"} {
		a, b := at(t, rep, "Parameters", p).(map[string]any), at(t, mem, "Parameters", p).(map[string]any)
		for _, k := range []string{"Type", "MinLength", "MaxLength", "AllowedPattern", "Default"} {
			if jsonOf(a[k]) != jsonOf(b[k]) {
				t.Errorf("parameter %s: %s is %s in reporter.yaml, %s in member-audit-role.yaml", p, k, jsonOf(a[k]), jsonOf(b[k]))
			}
		}
	}

	// The member role trusts the reporter's role only with the external ID.
	trust := at(t, mem, "Resources", "AuditRole", "Properties", "AssumeRolePolicyDocument", "Statement").([]any)
	if len(trust) != 1 {
		t.Fatalf("the audit role has %d trust statements, want 1", len(trust))
	}
	if got := jsonOf(at(t, trust[0], "Condition", "StringEquals", "sts:ExternalId")); got != `{"Ref":"ExternalId"}` {
		t.Errorf("the audit role's sts:ExternalId condition is %s, want the ExternalId parameter", got)
	}
	if got := jsonOf(at(t, trust[0], "Principal", "AWS")); got != `{"Ref":"ReporterPrincipalArn"}` {
		t.Errorf("the audit role trusts %s, want ReporterPrincipalArn", got)
	}
	if got := jsonOf(at(t, mem, "Resources", "AuditRole", "Properties", "RoleName")); got != `{"Ref":"AuditRoleName"}` {
		t.Errorf("the audit role is named %s, want AuditRoleName", got)
	}

	// The StackSet passes every parameter the member template requires,
	// from this stack's own values.
	wantPass := map[string]string{
		"ReporterPrincipalArn": `{"Fn::GetAtt":"ReporterRole.Arn"}`,
		"ExternalId":           `{"Ref":"ExternalId"}`,
		"AuditRoleName":        `{"Ref":"AuditRoleName"}`,
	}
	passed := map[string]string{}
	for _, p := range at(t, rep, "Resources", "MemberAuditRoleStackSet", "Properties", "Parameters").([]any) {
		passed[at(t, p, "ParameterKey").(string)] = jsonOf(at(t, p, "ParameterValue"))
	}
	if !reflect.DeepEqual(passed, wantPass) {
		t.Errorf("the StackSet passes %v, want %v", passed, wantPass)
	}
	for name := range at(t, mem, "Parameters").(map[string]any) {
		if _, ok := wantPass[name]; !ok {
			t.Errorf("member-audit-role.yaml has parameter %s, which the StackSet does not pass", name)
		}
	}

	// The reporter may assume exactly the audit role the members create.
	if got := jsonOf(at(t, rep, "Resources", "ReporterRole", "Properties", "Policies", "0", "PolicyDocument", "Statement", "1", "Resource")); got != `{"Fn::Sub":"arn:${AWS::Partition}:iam::*:role/${AuditRoleName}"}` {
		t.Errorf("the reporter may assume %s, want the AuditRoleName role in any account", got)
	}

	// Every import of the ECS stack names an export of reporter.yaml, and
	// the task's configuration takes each value from it.
	exports := map[string]string{}
	for name, o := range at(t, rep, "Outputs").(map[string]any) {
		exp := jsonOf(at(t, o, "Export", "Name"))
		if exp != `{"Fn::Sub":"${AWS::StackName}-`+name+`"}` {
			t.Errorf("output %s is exported as %s, want ${AWS::StackName}-%s", name, exp, name)
		}
		exports[name] = jsonOf(at(t, o, "Value"))
	}
	imports := map[string]bool{}
	walk(at(t, ecs, "Resources"), func(m map[string]any) {
		if v, ok := m["Fn::ImportValue"]; ok {
			s := jsonOf(v)
			name, ok := strings.CutPrefix(s, `{"Fn::Sub":"${ReporterStackName}-`)
			if !ok {
				t.Errorf("ImportValue %s does not name an export of the ReporterStackName stack", s)
				return
			}
			name = strings.TrimSuffix(name, `"}`)
			if _, ok := exports[name]; !ok {
				t.Errorf("ecs-scheduled-task.yaml imports %s, which reporter.yaml does not export", name)
			}
			imports[name] = true
		}
	})
	container := at(t, ecs, "Resources", "TaskDefinition", "Properties", "ContainerDefinitions", "0")
	env := map[string]string{}
	for _, e := range at(t, container, "Environment").([]any) {
		env[at(t, e, "Name").(string)] = jsonOf(at(t, e, "Value"))
	}
	imported := func(name string) string { return `{"Fn::ImportValue":{"Fn::Sub":"${ReporterStackName}-` + name + `"}}` }
	for envName, output := range map[string]string{
		"REPORTER_AWS_EXTERNAL_ID": "ExternalId", "REPORTER_AWS_ROLE_NAME": "AuditRoleName",
		"REPORTER_S3_BUCKET": "ArchiveBucket", "REPORTER_S3_PREFIX": "ArchivePrefix", "REPORTER_S3_REGION": "ArchiveRegion",
		"REPORTER_S3_KMS_KEY_ID": "KmsKeyArn", "REPORTER_S3_OBJECT_LOCK_MODE": "ObjectLockMode", "REPORTER_S3_RETAIN_DAYS": "RetainDays",
	} {
		if env[envName] != imported(output) {
			t.Errorf("the task's %s is %s, want the stack's %s output", envName, env[envName], output)
		}
	}
	if got := jsonOf(at(t, ecs, "Resources", "TaskDefinition", "Properties", "TaskRoleArn")); got != imported("ReporterRoleArn") {
		t.Errorf("the task role is %s, want the stack's ReporterRoleArn", got)
	}
	for _, name := range []string{"ExternalId", "ReporterRoleArn", "KmsKeyArn", "ArchiveBucket"} {
		if !imports[name] {
			t.Errorf("the ECS stack does not import %s", name)
		}
	}
	// The outputs name the resources that hold those values.
	for name, want := range map[string]string{
		"ReporterRoleArn": `{"Fn::GetAtt":"ReporterRole.Arn"}`, "ExternalId": `{"Ref":"ExternalId"}`,
		"ArchiveBucket": `{"Ref":"ArchiveBucket"}`, "KmsKeyArn": `{"Fn::GetAtt":"ArchiveKey.Arn"}`,
		"ObjectLockMode": `{"Ref":"ObjectLockMode"}`, "RetainDays": `{"Ref":"RetainDays"}`, "AuditRoleName": `{"Ref":"AuditRoleName"}`,
	} {
		if exports[name] != want {
			t.Errorf("output %s = %s, want %s", name, exports[name], want)
		}
	}
}

// walk calls f on every map in v.
func walk(v any, f func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, c := range x {
			walk(c, f)
		}
	case []any:
		for _, c := range x {
			walk(c, f)
		}
	}
}

// TestArchiveIsWriteOnce: versioning and Object Lock with the stack's mode
// and days, KMS with the stack's key, and a bucket policy that refuses
// plain HTTP, deletions and puts without that key.
func TestArchiveIsWriteOnce(t *testing.T) {
	rep := raw(t, "reporter.yaml")
	b := at(t, rep, "Resources", "ArchiveBucket", "Properties")
	checks := map[string][2]string{
		"versioning":  {jsonOf(at(t, b, "VersioningConfiguration", "Status")), `"Enabled"`},
		"object lock": {jsonOf(at(t, b, "ObjectLockEnabled")), `true`},
		"lock mode":   {jsonOf(at(t, b, "ObjectLockConfiguration", "Rule", "DefaultRetention", "Mode")), `{"Ref":"ObjectLockMode"}`},
		"lock days":   {jsonOf(at(t, b, "ObjectLockConfiguration", "Rule", "DefaultRetention", "Days")), `{"Ref":"RetainDays"}`},
		"kms key":     {jsonOf(at(t, b, "BucketEncryption", "ServerSideEncryptionConfiguration", "0", "ServerSideEncryptionByDefault", "KMSMasterKeyID")), `{"Fn::GetAtt":"ArchiveKey.Arn"}`},
		"retained":    {jsonOf(at(t, rep, "Resources", "ArchiveBucket", "DeletionPolicy")), `"Retain"`},
	}
	for what, c := range checks {
		if c[0] != c[1] {
			t.Errorf("bucket %s: %s, want %s", what, c[0], c[1])
		}
	}
	denied := map[string]string{} // action → condition
	for _, s := range at(t, rep, "Resources", "ArchiveBucketPolicy", "Properties", "PolicyDocument", "Statement").([]any) {
		st, ok := s.(map[string]any)
		if !ok || st["Effect"] != "Deny" {
			continue
		}
		if jsonOf(st["Principal"]) != `"*"` {
			t.Errorf("deny statement %v is not for every principal", st["Sid"])
		}
		acts := st["Action"]
		if a, ok := acts.(string); ok {
			acts = []any{a}
		}
		for _, a := range acts.([]any) {
			denied[a.(string)] += jsonOf(st["Condition"])
		}
	}
	for action, cond := range map[string]string{
		"s3:*":                         `{"Bool":{"aws:SecureTransport":"false"}}`,
		"s3:DeleteObjectVersion":       `null`,
		"s3:DeleteObject":              `null`,
		"s3:BypassGovernanceRetention": `null`,
	} {
		if denied[action] != cond {
			t.Errorf("the bucket policy denies %s under %q, want %q", action, denied[action], cond)
		}
	}
	put := denied["s3:PutObject"]
	for _, want := range []string{`"s3:x-amz-server-side-encryption":"aws:kms"`, `"s3:x-amz-server-side-encryption-aws-kms-key-id":{"Fn::GetAtt":"ArchiveKey.Arn"}`} {
		if !strings.Contains(put, want) {
			t.Errorf("the bucket policy's PutObject denials %s lack %s", put, want)
		}
	}
}

// TestKeyPolicy: only the reporter encrypts; only the reporter and the
// auditors decrypt; the account administers the key without using it.
func TestKeyPolicy(t *testing.T) {
	rep := raw(t, "reporter.yaml")
	users := map[string][]string{} // action → principals
	for _, s := range at(t, rep, "Resources", "ArchiveKey", "Properties", "KeyPolicy", "Statement").([]any) {
		st := s.(map[string]any)
		if _, ok := st["Fn::If"]; ok { // the statement it adds when the condition holds
			st = at(t, st, "Fn::If", "1").(map[string]any)
		}
		p := jsonOf(at(t, st, "Principal", "AWS"))
		acts := st["Action"]
		if a, ok := acts.(string); ok {
			acts = []any{a}
		}
		for _, a := range acts.([]any) {
			users[a.(string)] = append(users[a.(string)], p)
		}
	}
	for _, a := range []string{"kms:*", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"} {
		if len(users[a]) > 0 {
			t.Errorf("the key policy grants %s to %v", a, users[a])
		}
	}
	reporter, auditor := `{"Fn::GetAtt":"ReporterRole.Arn"}`, `{"Ref":"AuditorRoleArn"}`
	if got := users["kms:GenerateDataKey"]; !slices.Equal(got, []string{reporter}) {
		t.Errorf("kms:GenerateDataKey is granted to %v, want only the reporter's role", got)
	}
	got := users["kms:Decrypt"]
	sort.Strings(got)
	if !slices.Equal(got, []string{reporter, auditor}) {
		t.Errorf("kms:Decrypt is granted to %v, want the reporter's and the auditors' roles", got)
	}
}

// TestECSTaskRunsOnce: the schedule starts `reporter run` (one audit, then
// the task stops) as the image's user on an access point of that user,
// with JSON logs and a stop timeout Fargate accepts.
func TestECSTaskRunsOnce(t *testing.T) {
	ecs := raw(t, "ecs-scheduled-task.yaml")
	c := at(t, ecs, "Resources", "TaskDefinition", "Properties", "ContainerDefinitions", "0")
	for what, v := range map[string][2]string{
		"command":      {jsonOf(at(t, c, "Command")), `["run"]`},
		"user":         {jsonOf(at(t, c, "User")), `"65532:65532"`},
		"read-only fs": {jsonOf(at(t, c, "ReadonlyRootFilesystem")), `true`},
		"log driver":   {jsonOf(at(t, c, "LogConfiguration", "LogDriver")), `"awslogs"`},
		"mount":        {jsonOf(at(t, c, "MountPoints", "0", "ContainerPath")), `"/var/lib/reporter"`},
		"ap uid":       {jsonOf(at(t, ecs, "Resources", "AccessPoint", "Properties", "PosixUser")), `{"Gid":"65532","Uid":"65532"}`},
		"ap owner":     {jsonOf(at(t, ecs, "Resources", "AccessPoint", "Properties", "RootDirectory", "CreationInfo", "OwnerUid")), `"65532"`},
		"efs via ap":   {jsonOf(at(t, ecs, "Resources", "TaskDefinition", "Properties", "Volumes", "0", "EFSVolumeConfiguration", "AuthorizationConfig", "AccessPointId")), `{"Ref":"AccessPoint"}`},
		"target":       {jsonOf(at(t, ecs, "Resources", "Schedule", "Properties", "Target", "EcsParameters", "TaskDefinitionArn")), `{"Ref":"TaskDefinition"}`},
		"one task":     {jsonOf(at(t, ecs, "Resources", "Schedule", "Properties", "Target", "EcsParameters", "TaskCount")), `1`},
	} {
		if v[0] != v[1] {
			t.Errorf("%s: %s, want %s", what, v[0], v[1])
		}
	}
	if st := at(t, c, "StopTimeout").(float64); st < 60 || st > 120 {
		t.Errorf("StopTimeout %v: Fargate allows at most 120 s, and the run needs up to 30 s to release its lease", st)
	}
	env := map[string]string{}
	for _, e := range at(t, c, "Environment").([]any) {
		env[at(t, e, "Name").(string)] = jsonOf(at(t, e, "Value"))
	}
	if env["REPORTER_LOG_FORMAT"] != `"json"` || env["REPORTER_SOURCE"] != `"org"` {
		t.Errorf("log format %s, source %s; want json and org", env["REPORTER_LOG_FORMAT"], env["REPORTER_SOURCE"])
	}
	for _, k := range []string{"REPORTER_OUT", "REPORTER_S3_SPOOL_DIR"} {
		if !strings.HasPrefix(env[k], `"/var/lib/reporter/`) {
			t.Errorf("%s = %s is not on the EFS volume", k, env[k])
		}
	}
}
