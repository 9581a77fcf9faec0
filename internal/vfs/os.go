package vfs

import (
	"io/fs"
	"os"
)

// OS is the operating system's filesystem.
var OS FS = osFS{}

type osFS struct{}

// osFile adds Datasync to *os.File; every other method is the os one, so
// the seam costs one interface call per operation.
type osFile struct{ *os.File }

func (f osFile) Datasync() error { return datasync(f.File) }

func wrap(f *os.File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Create(name string) (File, error) {
	return wrap(os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600))
}

func (osFS) CreateTrunc(name string) (File, error) {
	return wrap(os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600))
}

func (osFS) Open(name string) (File, error) { return wrap(os.Open(name)) }

func (osFS) OpenReadWrite(name string) (File, error) { return wrap(os.OpenFile(name, os.O_RDWR, 0)) }

func (osFS) OpenAppend(name string) (File, error) {
	return wrap(os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0))
}

func (osFS) Rename(oldname, newname string) error       { return os.Rename(oldname, newname) }
func (osFS) Remove(name string) error                   { return os.Remove(name) }
func (osFS) RemoveAll(name string) error                { return os.RemoveAll(name) }
func (osFS) Mkdir(name string) error                    { return os.Mkdir(name, 0o700) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }

func (osFS) SyncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
