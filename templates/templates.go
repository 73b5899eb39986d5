// Package templates holds the embedded default templates; config may point at
// a folder that overrides them by file name.
package templates

import (
	"embed"
	"errors"
	"io/fs"
	"os"
)

// FS holds the default templates.
//
//go:embed *.tmpl style.css
var FS embed.FS

// Overlay returns the templates with those found in dir taking the place of
// the defaults of the same name. An empty dir gives the defaults.
func Overlay(dir string) fs.FS {
	if dir == "" {
		return FS
	}
	return overlay{top: os.DirFS(dir), base: FS}
}

type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	f, err := o.top.Open(name)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return o.base.Open(name)
}
