package bulletin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bulletin-app/bulletin/store"
)

// secretFile is the file in data_dir that keeps the generated key.
const secretFile = "secret"

// minSecret is the least length of a key read from the file: one bulletin
// writes has 64 hex digits; an operator's own needs half that.
const minSecret = 32

// secret is the key that signs subscription links: from config, else made
// once and kept, so links keep working across restarts: in the data folder
// beside a SQLite store, in the database itself on PostgreSQL, where
// replicas on several hosts, each with a data folder of its own, must
// sign and check with one key.
func (a *App) secret() ([]byte, error) {
	if s := a.Config.Newsletter.Secret; s != "" {
		return []byte(s), nil
	}
	path := filepath.Join(a.Config.Resolve(a.Config.DataDir), secretFile)
	if a.Store.Dialect() != "postgres" {
		return loadOrMakeSecret(path)
	}
	return a.databaseSecret(context.Background(), path)
}

// secretSetting is the key's name in the database's settings.
const secretSetting = "newsletter.secret"

// databaseSecret is the key kept in the database. The first process to
// need one there puts in its data folder's key, if it has one (a store
// moved from SQLite by hand: the links of the issues it sent keep
// working), else a new one; every other process then uses that one.
func (a *App) databaseSecret(ctx context.Context, path string) ([]byte, error) {
	local, err := readSecret(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	candidate := string(local)
	if candidate == "" {
		buf := make([]byte, 32)
		rand.Read(buf)
		candidate = hex.EncodeToString(buf)
	}
	kept, err := a.Store.KeepSetting(ctx, secretSetting, candidate)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if local != nil && kept != string(local) {
		a.Log.Warn("the signing key in the data folder is not the database's; the database's signs and checks links", "file", path)
	}
	return []byte(kept), nil
}

// CarrySecretTo puts this store's signing key into dst, a PostgreSQL store
// it was copied to, so that the links of every issue sent so far keep
// working there. A key set in config is left to the config.
func (a *App) CarrySecretTo(ctx context.Context, dst *store.Store) error {
	if a.Config.Newsletter.Secret != "" {
		return nil
	}
	key, err := a.secret()
	if err != nil {
		return err
	}
	return dst.PutSetting(ctx, secretSetting, string(key))
}

// loadOrMakeSecret reads the key kept at path, or makes one and keeps it
// there. The file is written whole or not at all (a temporary file,
// synced, then linked into place, which also keeps two processes starting
// at once from each writing a key), so that a crash or a full disk
// cannot leave it empty or cut short. A bad file is reported by its path,
// with what to do: it is not replaced, since every unsubscribe link in
// the issues sent so far was signed with the key it held.
func loadOrMakeSecret(path string) ([]byte, error) {
	if key, err := readSecret(path); !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	dir := filepath.Dir(path)
	// The folder is there already only if the database is a file in it.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	buf := make([]byte, 32)
	rand.Read(buf)
	key := hex.EncodeToString(buf)
	f, err := os.CreateTemp(dir, "."+secretFile+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(key + "\n")
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: write %s: %w", path, err)
	}
	if testHookSecretWritten != nil {
		testHookSecretWritten(tmp)
	}
	// A link, unlike a rename, fails when path exists: of two processes
	// starting at once, one key is kept, and both use it.
	switch err := os.Link(tmp, path); {
	case errors.Is(err, os.ErrExist):
		return readSecret(path)
	case err != nil:
		// A file system without hard links: a rename, unless the file
		// appeared meanwhile.
		if _, serr := os.Lstat(path); serr == nil {
			return readSecret(path)
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the new name survives a crash too
		d.Close()
	}
	return []byte(key), nil
}

// testHookSecretWritten, when set by a test, is called once the new key is
// in its temporary file, before it is linked into place.
var testHookSecretWritten func(tmp string)

// readSecret reads the key at path; a missing file is os.ErrNotExist, and
// a file that holds no usable key an error that names it and says what to
// do.
func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if len(key) >= minSecret && !strings.ContainsAny(key, "\r\n") {
		return []byte(key), nil
	}
	what := "is empty"
	switch {
	case strings.ContainsAny(key, "\r\n"):
		what = "holds more than one line"
	case key != "":
		what = fmt.Sprintf("holds %d characters, fewer than the %d of a key", len(key), minSecret)
	}
	return nil, fmt.Errorf("signing key file %s %s: it was cut short or changed (a crash, a full disk?). "+
		"It signs the confirmation and unsubscribe links bulletin sends. Restore it from a backup; "+
		"or, if there is none, remove it and bulletin makes a new key, after which the links sent "+
		"before (unsubscribe links in past issues too) no longer work", path, what)
}
