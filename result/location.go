package result

import "time"

// Location says where a finished run can be found: its local folder and,
// once archived, its place in the archive and the links that open it.
type Location struct {
	// Dir is the local run folder.
	Dir string
	// ArchiveURI is the run's archive location (e.g. s3://bucket/prefix/2026/11/RUN-ID/), when archived.
	ArchiveURI string
	// ConsoleURL opens the run's folder in the AWS S3 console, when the
	// archive is in an AWS partition that has one. It does not expire:
	// IAM decides who may read the folder.
	ConsoleURL string
	// WorkbookURL is a link to audit.xlsx a reader can open (a presigned
	// URL), when configured.
	WorkbookURL string
	// LinksExpire is when WorkbookURL and the teams' WorkbookURL stop
	// working, LinkLifetime how long they were made to work; zero when
	// there are none.
	LinksExpire  time.Time
	LinkLifetime time.Duration
	// LinkWarning says why the presigned links expire sooner than
	// configured (the credentials that signed them expire first), or why
	// there are none although they are configured; empty otherwise.
	LinkWarning string
	// Teams are the archived team folders (teams/<folder>/ of the run),
	// by folder name.
	Teams map[string]TeamLocation
}

// TeamLocation is where one team's files of an archived run are.
type TeamLocation struct {
	// ArchiveURI is the team folder in the archive, ending in "/".
	ArchiveURI string
	// ConsoleURL opens the team folder in the AWS S3 console, when the
	// run's ConsoleURL is set.
	ConsoleURL string
	// WorkbookURL is a presigned link to the team's audit.xlsx, when
	// configured.
	WorkbookURL string
}
