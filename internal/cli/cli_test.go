package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// tool is a small command tree configured as the reporter's: a group
// command, a command with grouped flags and an optional-value flag, and
// a command that fails with a chosen status.
func tool(stdout, stderr *bytes.Buffer) *cobra.Command {
	root := &cobra.Command{Use: "tool", Args: SubcommandArgs, RunE: NeedSubcommand}
	root.SetOut(stdout)
	root.SetErr(stderr)
	Configure(root)
	root.AddGroup(&cobra.Group{ID: "main", Title: "Main:"})
	var mode, name string
	var n int
	build := &cobra.Command{Use: "build", Short: "Build it", Args: NoArgs, RunE: func(*cobra.Command, []string) error { return nil }}
	build.Flags().StringVar(&name, "name", "", "the name")
	FlagSection(build, "Output", func(fs *pflag.FlagSet) {
		fs.StringVar(&mode, "dry-run", "", "print instead, text|json")
		fs.Lookup("dry-run").NoOptDefVal = "text"
		fs.IntVar(&n, "count", 1, "how many")
	})
	FlagSection(build, "General", func(fs *pflag.FlagSet) { fs.String("config", "", "file") })
	fail := &cobra.Command{Use: "fail CODE", Args: ExactArgs(1, "CODE"), RunE: func(_ *cobra.Command, args []string) error {
		switch args[0] {
		case "quiet":
			return Exit(4, nil)
		case "loud":
			return Exit(5, errors.New("it broke"))
		case "usage":
			return Usagef("bad %s", "input")
		}
		return nil
	}}
	group := &cobra.Command{Use: "group", Args: SubcommandArgs, RunE: NeedSubcommand}
	group.AddCommand(&cobra.Command{Use: "list", Run: func(*cobra.Command, []string) {}})
	root.AddCommand(Group("main", build), Group("main", fail), Group("main", group))
	return root
}

func TestExecute(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout []string
		wantStderr string // the whole of stderr, when set
		inStderr   []string
	}{
		{name: "ok", args: []string{"build", "--name", "x"}},
		{name: "both flag forms", args: []string{"build", "--name=x", "--count", "3"}},
		{name: "optional value with =", args: []string{"build", "--dry-run=json"}},
		{name: "optional value without =", args: []string{"build", "--dry-run", "json"}, want: StatusUsage,
			wantStderr: "tool build: unexpected argument \"json\"; write --dry-run=json\nRun 'tool build --help' for usage.\n"},
		{name: "mistyped command", args: []string{"biuld"}, want: StatusUsage,
			wantStderr: "tool: unknown command \"biuld\" for \"tool\" (did you mean build?)\nRun 'tool --help' for usage.\n"},
		{name: "mistyped subcommand", args: []string{"group", "lst"}, want: StatusUsage,
			inStderr: []string{`unknown command "lst" for "tool group" (did you mean list?)`}},
		{name: "near flag", args: []string{"build", "--nmae", "x"}, want: StatusUsage,
			wantStderr: "tool build: unknown flag: --nmae (did you mean --name?)\nRun 'tool build --help' for usage.\n"},
		{name: "flag prefix", args: []string{"build", "--cou", "2"}, want: StatusUsage, inStderr: []string{"(did you mean --count?)"}},
		{name: "nothing near", args: []string{"build", "--frobnicate"}, want: StatusUsage,
			wantStderr: "tool build: unknown flag: --frobnicate\nRun 'tool build --help' for usage.\n"},
		{name: "long flag with one dash", args: []string{"build", "-name", "x"}, want: StatusUsage,
			inStderr: []string{"long flags take two dashes: --name"}},
		{name: "bad flag value", args: []string{"build", "--count", "many"}, want: StatusUsage, inStderr: []string{`invalid argument "many" for "--count"`}},
		{name: "missing argument", args: []string{"fail"}, want: StatusUsage, inStderr: []string{"want 1 argument(s), CODE, got []"}},
		{name: "status without message", args: []string{"fail", "quiet"}, want: 4, wantStderr: "-"},
		{name: "status with message, no pointer to the help", args: []string{"fail", "loud"}, want: 5, wantStderr: "tool fail: it broke\n"},
		{name: "usage error", args: []string{"fail", "usage"}, want: StatusUsage, wantStderr: "tool fail: bad input\nRun 'tool fail --help' for usage.\n"},
		{name: "group alone prints its usage to stderr", args: []string{"group"}, want: StatusUsage, inStderr: []string{"tool group [command]"}},
		{name: "no command", args: nil, want: StatusUsage, inStderr: []string{"Main:\n  build"}},
		{name: "flags in groups, own flags first", args: []string{"build", "--help"},
			wantStdout: []string{"Flags:\n      --name string", "\n\nOutput:\n      --dry-run string[=\"text\"]", "      --count int", "\n\nGeneral:\n      --config string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := Execute(context.Background(), tool(&stdout, &stderr), tt.args)
			if got != tt.want {
				t.Fatalf("Execute(%q) = %d, want %d\nstderr:\n%s", tt.args, got, tt.want, stderr.String())
			}
			switch tt.wantStderr {
			case "":
			case "-":
				if stderr.Len() != 0 {
					t.Errorf("stderr = %q, want nothing", stderr.String())
				}
			default:
				if stderr.String() != tt.wantStderr {
					t.Errorf("stderr = %q, want %q", stderr.String(), tt.wantStderr)
				}
			}
			for _, w := range tt.inStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			for _, w := range tt.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
		})
	}
}

func TestExit(t *testing.T) {
	if err := Exit(0, nil); err != nil {
		t.Errorf("Exit(0, nil) = %v, want nil", err)
	}
	var ee *ExitError
	if err := Exit(3, nil); !errors.As(err, &ee) || ee.Code != 3 || err.Error() != "exit status 3" {
		t.Errorf("Exit(3, nil) = %#v", err)
	}
	cause := errors.New("cause")
	if err := Exit(0, cause); !errors.As(err, &ee) || ee.Code != 0 || err.Error() != "cause" {
		t.Errorf("Exit(0, cause) = %#v: an error is never dropped", err)
	}
}

func TestFlagValue(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--config", "a.yaml"}, "a.yaml"},
		{[]string{"run", "--config=b.yaml", "--out", "x"}, "b.yaml"},
		{[]string{"run", "--config"}, ""},
		{[]string{"run", "--", "--config", "c.yaml"}, ""},
		{[]string{"run", "--configs", "d.yaml"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := FlagValue(tt.args, "config"); got != tt.want {
			t.Errorf("FlagValue(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	ids := []string{"access-key-not-rotated", "access-key-unused", "root-mfa-disabled", "user-inactive"}
	tests := []struct {
		typed string
		want  []string
	}{
		{"access-key-rotated", []string{"access-key-not-rotated"}},
		{"root-mfa-disabld", []string{"root-mfa-disabled"}},
		{"inactive", []string{"user-inactive"}},
		{"access-key", []string{"access-key-not-rotated", "access-key-unused"}},
		{"nonsense", nil},
	}
	for _, tt := range tests {
		if got := Suggest(tt.typed, ids); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Suggest(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"source", "sourc", 1}, {"source", "sorce", 1},
		{"kitten", "sitting", 3}, {"run", "rnu", 2},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		level, format string
		want          string // in the output, or the error
	}{
		{"info", "text", "level=INFO msg=hello"},
		{"info", "json", `"msg":"hello"`},
		{"info", "auto", `"msg":"hello"`}, // a buffer is no terminal
		{"error", "text", ""},
		{"loud", "text", "--log-level"},
		{"info", "xml", "--log-format xml: want text, json or auto"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log, err := NewLogger(&buf, tt.level, tt.format)
		if err != nil {
			if tt.want == "" || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewLogger(%q, %q) error %v, want %q", tt.level, tt.format, err, tt.want)
			}
			continue
		}
		log.Info("hello")
		if !strings.Contains(buf.String(), tt.want) || (tt.want == "" && buf.Len() > 0) {
			t.Errorf("NewLogger(%q, %q) wrote %q, want %q", tt.level, tt.format, buf.String(), tt.want)
		}
	}
}
