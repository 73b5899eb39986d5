package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bulletin-app/bulletin/newsletter"
	"github.com/bulletin-app/bulletin/store"
)

// The desk's users are managed here, for the command line (bulletin admin)
// and the users' page alike: names, roles and addresses are checked the
// same way, passwords hashed the same way, and each change is written to
// the audit log under actor.

// InputError is a request refused for what it asked. It wraps
// store.ErrInvalid.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }
func (e *InputError) Unwrap() error { return store.ErrInvalid }

func invalid(format string, args ...any) error { return &InputError{fmt.Sprintf(format, args...)} }

// CleanUserName checks a user's name and returns it in lower case: 1 to 64
// letters a-z, digits, dots, hyphens or underscores, starting with a
// letter or digit.
func CleanUserName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || len(n) > 64 {
		return "", invalid("a user's name is 1 to 64 characters long")
	}
	for i, c := range n {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '.' || c == '-' || c == '_') && i > 0:
		default:
			return "", invalid("%q: a user's name is made of letters a-z, digits, and . - _ after the first", name)
		}
	}
	return n, nil
}

// cleanEmail checks the address of a user's test copies; empty is none.
func cleanEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", nil
	}
	addr, err := newsletter.ValidEmail(email)
	if err != nil {
		return "", invalid("%v", err)
	}
	return addr, nil
}

// AddUser adds a user of the desk.
func AddUser(ctx context.Context, acc Accounts, actor, name string, role store.AdminRole, email, password string) (store.AdminUser, error) {
	name, err := CleanUserName(name)
	if err != nil {
		return store.AdminUser{}, err
	}
	if role, err = store.ParseAdminRole(string(role)); err != nil {
		return store.AdminUser{}, invalid("role %q: want admin or editor", role)
	}
	if email, err = cleanEmail(email); err != nil {
		return store.AdminUser{}, err
	}
	if err := CheckNewPassword(password); err != nil {
		return store.AdminUser{}, &InputError{err.Error()}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return store.AdminUser{}, err
	}
	u, err := acc.AddAdminUser(ctx, store.AdminUser{Name: name, Email: email, Role: role, PasswordHash: hash})
	if errors.Is(err, store.ErrExists) {
		return store.AdminUser{}, invalid("there is a user %s already", name)
	}
	if err != nil {
		return store.AdminUser{}, err
	}
	detail := fmt.Sprintf("%s, %s", u.Name, u.Role)
	if u.Email != "" {
		detail += ", " + u.Email
	}
	return u, acc.AddAudit(ctx, store.AuditEntry{Actor: actor, Action: AuditUserAdd, Detail: detail})
}

// user looks a user up by name, checked.
func user(ctx context.Context, acc Accounts, name string) (store.AdminUser, error) {
	n, err := CleanUserName(name)
	if err != nil {
		return store.AdminUser{}, err
	}
	u, err := acc.AdminUserByName(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return store.AdminUser{}, fmt.Errorf("there is no user %s: %w", n, store.ErrNotFound)
	}
	return u, err
}

// SetPassword gives user name a new password, and ends every session of
// the user but keep (a session id; "" for none).
func SetPassword(ctx context.Context, acc Accounts, actor, name, password, keep string) error {
	u, err := user(ctx, acc, name)
	if err != nil {
		return err
	}
	if err := CheckNewPassword(password); err != nil {
		return &InputError{err.Error()}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := acc.SetAdminPassword(ctx, u.ID, hash, keep); err != nil {
		return err
	}
	return acc.AddAudit(ctx, store.AuditEntry{Actor: actor, Action: AuditUserPassword, Detail: u.Name})
}

// SetRole gives user name a role. The last admin stays one.
func SetRole(ctx context.Context, acc Accounts, actor, name string, role store.AdminRole) error {
	u, err := user(ctx, acc, name)
	if err != nil {
		return err
	}
	if role, err = store.ParseAdminRole(string(role)); err != nil {
		return invalid("role %q: want admin or editor", role)
	}
	if u.Role == role {
		return nil
	}
	if err := acc.SetAdminRole(ctx, u.ID, role); err != nil {
		if errors.Is(err, store.ErrLastAdmin) {
			return invalid("%s is the last admin: make another user an admin first", u.Name)
		}
		return err
	}
	return acc.AddAudit(ctx, store.AuditEntry{Actor: actor, Action: AuditUserRole, Detail: fmt.Sprintf("%s: %s", u.Name, role)})
}

// SetEmail sets the address user name's test copies go to.
func SetEmail(ctx context.Context, acc Accounts, actor, name, email string) error {
	u, err := user(ctx, acc, name)
	if err != nil {
		return err
	}
	if email, err = cleanEmail(email); err != nil {
		return err
	}
	if err := acc.SetAdminEmail(ctx, u.ID, email); err != nil {
		return err
	}
	return acc.AddAudit(ctx, store.AuditEntry{Actor: actor, Action: AuditUserEmail, Detail: fmt.Sprintf("%s: %s", u.Name, email)})
}

// RemoveUser removes user name, and so ends the user's sessions. The last
// admin stays.
func RemoveUser(ctx context.Context, acc Accounts, actor, name string) error {
	u, err := user(ctx, acc, name)
	if err != nil {
		return err
	}
	if err := acc.RemoveAdminUser(ctx, u.ID); err != nil {
		if errors.Is(err, store.ErrLastAdmin) {
			return invalid("%s is the last admin: make another user an admin first", u.Name)
		}
		return err
	}
	return acc.AddAudit(ctx, store.AuditEntry{Actor: actor, Action: AuditUserRemove, Detail: u.Name})
}
