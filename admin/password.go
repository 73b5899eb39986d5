package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords are kept as argon2id hashes (RFC 9106) in the PHC string
// format, $argon2id$v=19$m=65536,t=3,p=4$salt$hash, so that each hash says
// how it was made: a hash made with other parameters is still checked, and
// is made again with these at the next sign-in.

// argonParams are the cost of a hash.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

// hashParams are RFC 9106's second recommended option: 64 MiB, three
// passes, four lanes. About a tenth of a second here; sign-ins are few and
// throttled.
var hashParams = argonParams{memory: 64 * 1024, time: 3, threads: 4}

const (
	saltLen = 16
	keyLen  = 32
)

// MinPasswordLength is the shortest password the desk takes, in
// characters.
const MinPasswordLength = 10

// maxPasswordBytes bounds what is hashed.
const maxPasswordBytes = 1024

// CheckNewPassword tells why a password may not be set, or nil.
func CheckNewPassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return errors.New("the password is not valid UTF-8 text")
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return fmt.Errorf("the password is shorter than %d characters", MinPasswordLength)
	case len(pw) > maxPasswordBytes:
		return fmt.Errorf("the password is longer than %d bytes", maxPasswordBytes)
	case strings.TrimSpace(pw) == "":
		return errors.New("the password is blank")
	}
	return nil
}

// HashPassword returns pw's hash, with a salt of its own.
func HashPassword(pw string) (string, error) {
	if err := CheckNewPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	return encodeHash(hashParams, salt, argon2.IDKey([]byte(pw), salt, hashParams.time, hashParams.memory, hashParams.threads, keyLen)), nil
}

func encodeHash(p argonParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Bounds on the parameters a stored hash may ask for: a hash from
// elsewhere must not make a sign-in take a gigabyte or a minute.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 16
	maxThreads = 64
)

var errBadHash = errors.New("not an argon2id hash this desk reads")

// parseHash reads a hash's parameters, salt and key.
func parseHash(hash string) (argonParams, []byte, []byte, error) {
	var p argonParams
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &threads); err != nil {
		return p, nil, nil, errBadHash
	}
	if p.memory < 8 || p.memory > maxMemory || p.time < 1 || p.time > maxTime || threads < 1 || threads > maxThreads {
		return p, nil, nil, errBadHash
	}
	p.threads = uint8(threads)
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// checkPassword tells whether pw is the password of hash, and whether the
// hash should be made again with today's parameters.
func checkPassword(hash, pw string) (ok, rehash bool) {
	if len(pw) > maxPasswordBytes {
		return false, false
	}
	p, salt, key, err := parseHash(hash)
	if err != nil {
		return false, false
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false
	}
	return true, p != hashParams || len(key) != keyLen
}

// decoyHash is checked against when no user has the name signed in with,
// so that a sign-in takes as long whether or not the name exists.
var decoyHash = encodeHash(hashParams, make([]byte, saltLen), make([]byte, keyLen))
