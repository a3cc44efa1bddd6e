package runfolder

import "strings"

// TeamsDir is the folder of a run holding one folder per routed team,
// teams/<folder>/, with the team's audit.xlsx and audit.md.
const TeamsDir = "teams"

// maxTeamFolder bounds the length of a team folder name.
const maxTeamFolder = 64

// TeamFolder turns a team's name (a Slack route's name, or its channel)
// into a safe folder name: ASCII letters in lower case and digits, every
// other run of characters one "-", no leading or trailing "-", at most 64
// bytes, and "-team" added to a name Windows reserves for a device
// ("con", "lpt1"). "#Payments Team" gives "payments-team". It returns ""
// when name has no ASCII letter or digit: such a name cannot name a
// folder.
func TeamFolder(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > maxTeamFolder {
		s = strings.TrimRight(s[:maxTeamFolder], "-")
	}
	if windowsDevice(s) {
		s += "-team"
	}
	return s
}

// windowsDevice reports whether name is one Windows reserves for a
// device, which no folder can have there: an archived run copied to a
// Windows disk would lose the team's files.
func windowsDevice(name string) bool {
	switch name {
	case "con", "prn", "aux", "nul":
		return true
	}
	if len(name) == 4 && (strings.HasPrefix(name, "com") || strings.HasPrefix(name, "lpt")) {
		return name[3] >= '0' && name[3] <= '9'
	}
	return false
}

// TeamPath is the slash-separated path, relative to the run folder, of a
// file of the team folder folder: TeamPath("payments", "audit.xlsx") is
// "teams/payments/audit.xlsx"; with no file it is the folder, ending in
// "/".
func TeamPath(folder, file string) string {
	return TeamsDir + "/" + folder + "/" + file
}

// TeamOf returns the team folder a manifest path is in and the file's
// name within it, or ok false when the path is not a file of a team
// folder.
func TeamOf(path string) (folder, file string, ok bool) {
	rest, found := strings.CutPrefix(path, TeamsDir+"/")
	if !found {
		return "", "", false
	}
	folder, file, found = strings.Cut(rest, "/")
	if !found || folder == "" || file == "" || strings.Contains(file, "/") || TeamFolder(folder) != folder {
		return "", "", false
	}
	return folder, file, true
}
