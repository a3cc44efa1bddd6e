package passwordpolicy

import (
	"errors"
	"testing"
)

func TestParseCLIOutput(t *testing.T) {
	const policy = `{"MinimumPasswordLength": 14, "RequireSymbols": true, "MaxPasswordAge": 90, "HardExpiry": false}`
	tests := []struct {
		name      string
		data      string
		state     State
		minLength int  // checked when State is Present
		shape     bool // the error wraps ErrShape
		err       bool
	}{
		{"CLI output", `{"PasswordPolicy": ` + policy + `}`, Present, 14, false, false},
		{"--query PasswordPolicy (bare policy)", policy, Present, 14, false, false},
		{"bare policy with a field AWS may add later", `{"MinimumPasswordLength": 8, "RequireEmojis": true}`, Present, 8, false, false},
		{"bare policy with one field", `{"ExpirePasswords": false}`, Present, 0, false, false},
		{"wrapper null", `{"PasswordPolicy": null}`, Absent, 0, false, false},
		{"empty object", `{}`, Absent, 0, false, false},
		{"empty object with spaces", " {\n} ", Absent, 0, false, false},
		{"array", `[` + policy + `]`, NotCollected, 0, true, true},
		{"string", `"none"`, NotCollected, 0, true, true},
		{"null", `null`, NotCollected, 0, true, true},
		{"number", `14`, NotCollected, 0, true, true},
		{"only unknown fields", `{"Policy": {"MinimumPasswordLength": 14}}`, NotCollected, 0, true, true},
		{"wrapper in lower case", `{"passwordPolicy": ` + policy + `}`, NotCollected, 0, true, true},
		{"wrapper beside other keys", `{"PasswordPolicy": ` + policy + `, "MinimumPasswordLength": 4}`, NotCollected, 0, true, true},
		{"wrapper holding an array", `{"PasswordPolicy": [1]}`, NotCollected, 0, false, true},
		{"wrapper holding a string", `{"PasswordPolicy": "x"}`, NotCollected, 0, false, true},
		{"field of the wrong type", `{"MinimumPasswordLength": "14"}`, NotCollected, 0, false, true},
		{"not JSON", `{not json`, NotCollected, 0, false, true},
		{"trailing data", `{} {}`, NotCollected, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCLIOutput([]byte(tt.data))
			if (err != nil) != tt.err || errors.Is(err, ErrShape) != tt.shape {
				t.Fatalf("ParseCLIOutput(%s) error = %v, want error %v (shape %v)", tt.data, err, tt.err, tt.shape)
			}
			if err != nil {
				return
			}
			if got.State != tt.state {
				t.Fatalf("ParseCLIOutput(%s) state = %v, want %v", tt.data, got.State, tt.state)
			}
			if got.State == Present {
				n := 0
				if got.Policy.MinimumPasswordLength != nil {
					n = *got.Policy.MinimumPasswordLength
				}
				if n != tt.minLength {
					t.Errorf("ParseCLIOutput(%s) MinimumPasswordLength = %d, want %d", tt.data, n, tt.minLength)
				}
			}
		})
	}
}

func TestMarshalCLIOutputRoundTrip(t *testing.T) {
	n := 14
	for _, r := range []Result{{State: Absent}, {State: Present, Policy: Policy{MinimumPasswordLength: &n, RequireNumbers: true}}} {
		got, err := ParseCLIOutput(MarshalCLIOutput(r))
		if err != nil || got.State != r.State || got.Policy.RequireNumbers != r.Policy.RequireNumbers {
			t.Errorf("ParseCLIOutput(MarshalCLIOutput(%+v)) = %+v, %v", r, got, err)
		}
	}
}
