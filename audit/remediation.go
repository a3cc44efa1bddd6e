package audit

// Remediation tells a reader how to fix the findings of one check.
type Remediation struct {
	// Rule is when the check fires, in one sentence: the exact rule.
	Rule string `json:"rule"`
	// Action is what to do, in one to three sentences.
	Action string `json:"action"`
	// Commands are AWS CLI commands that fix a finding. Placeholders in
	// angle brackets (e.g. <user>, <key-id>) are filled in per finding
	// where the finding says what they are (RemediationFor).
	Commands []string `json:"commands,omitempty"`
	// Console is where the fix is made in the AWS console.
	Console string `json:"console,omitempty"`
	// DocURL is the AWS documentation page for the fix.
	DocURL string `json:"doc_url,omitempty"`
}

// remediations holds the Remediation of each check ID of Checks.
var remediations = map[string]Remediation{}

// RemediationOf returns how to fix the findings of check id, and whether
// the catalog has it.
func RemediationOf(id string) (Remediation, bool) {
	r, ok := remediations[id]
	return r, ok
}
