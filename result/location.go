package result

// Location says where a finished run can be found: its local folder and,
// once archived, its place in the archive.
type Location struct {
	// Dir is the local run folder.
	Dir string
	// ArchiveURI is the run's archive location (e.g. s3://bucket/prefix/2026/11/RUN-ID/), when archived.
	ArchiveURI string
	// WorkbookURL is a link to audit.xlsx a reader can open (e.g. a presigned URL), when available.
	WorkbookURL string
}
