// Package perm creates the files and folders the reporter writes (run
// folders, evidence, reports, the spool, `archive get` downloads) with
// one set of modes: the owner reads and writes, the group reads (a
// sidecar or an auditors' group), others get nothing. They list every
// IAM user's credential state, so they are never world-readable.
//
// The process umask still applies on top: umask 077 makes files 0600 and
// folders 0700; no umask can make them wider than these modes.
package perm

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// The modes the reporter creates files and folders with.
const (
	File fs.FileMode = 0o640
	Dir  fs.FileMode = 0o750
)

// Create creates the file at path with mode File, or truncates it, for
// writing (os.Create uses 0666).
func Create(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, File)
}

// CreateNew creates the file at path with mode File for writing; it fails
// when the file exists.
func CreateNew(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, File)
}

// WriteFile writes data to the file at path, creating it with mode File.
func WriteFile(path string, data []byte) error { return os.WriteFile(path, data, File) }

// Mkdir creates the folder path with mode Dir.
func Mkdir(path string) error { return os.Mkdir(path, Dir) }

// MkdirAll creates path and its missing parents with mode Dir.
func MkdirAll(path string) error { return os.MkdirAll(path, Dir) }

// MkdirTemp creates a new folder in dir named prefix and a random suffix,
// with mode Dir (os.MkdirTemp uses 0700, which a folder renamed into place
// afterwards would keep).
func MkdirTemp(dir, prefix string) (string, error) {
	for range 100 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		path := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		err := os.Mkdir(path, Dir)
		if !errors.Is(err, fs.ErrExist) {
			return path, err
		}
	}
	return "", &fs.PathError{Op: "mkdirtemp", Path: filepath.Join(dir, prefix+"*"), Err: fs.ErrExist}
}
