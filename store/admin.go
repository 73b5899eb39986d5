package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AdminRole is what a user of the editor's desk may do.
type AdminRole string

const (
	// RoleAdmin manages the desk's users, and does all an editor does.
	RoleAdmin AdminRole = "admin"
	// RoleEditor edits, previews, schedules and sends issues, and looks
	// after subscribers and sources.
	RoleEditor AdminRole = "editor"
)

// ParseAdminRole checks a role given by a user.
func ParseAdminRole(s string) (AdminRole, error) {
	switch AdminRole(s) {
	case RoleAdmin, RoleEditor:
		return AdminRole(s), nil
	}
	return "", fmt.Errorf("unknown role %q (want admin or editor): %w", s, ErrInvalid)
}

// ErrExists is returned when a name that must be unique is taken.
var ErrExists = errors.New("exists already")

// ErrLastAdmin is returned when the last admin would be removed or made an
// editor: no one could manage the users any more.
var ErrLastAdmin = errors.New("the last admin: make another user an admin first")

// AdminUser is a person who signs in to the desk.
type AdminUser struct {
	ID    int64
	Name  string // lower case, unique
	Email string // where the user's test copies go; may be empty
	Role  AdminRole
	// PasswordHash is the password's hash with its parameters; the
	// password itself is kept nowhere.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastSignIn   time.Time // zero: never signed in
}

func scanAdminUser(row interface{ Scan(...any) error }) (AdminUser, error) {
	var u AdminUser
	err := row.Scan(&u.ID, &u.Name, &u.Email, &u.Role, &u.PasswordHash, scanTime{&u.CreatedAt},
		scanTime{&u.UpdatedAt}, scanTime{&u.LastSignIn})
	return u, err
}

// AddAdminUser stores a new user; a name that is taken is ErrExists.
func (s *Store) AddAdminUser(ctx context.Context, u AdminUser) (AdminUser, error) {
	now := s.timeArg(s.now())
	res, err := s.exec(ctx, qAdminUserAdd, u.Name, u.Email, string(u.Role), u.PasswordHash, now, now)
	if err != nil {
		return AdminUser{}, fmt.Errorf("add user %s: %w", u.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = ErrExists
		}
		return AdminUser{}, fmt.Errorf("add user %s: %w", u.Name, err)
	}
	return s.AdminUserByName(ctx, u.Name)
}

func (s *Store) oneAdminUser(ctx context.Context, what string, id queryID, arg any) (AdminUser, error) {
	u, err := scanAdminUser(s.queryRow(ctx, id, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return AdminUser{}, fmt.Errorf("user %s: %w", what, ErrNotFound)
	}
	if err != nil {
		return AdminUser{}, fmt.Errorf("user %s: %w", what, err)
	}
	return u, nil
}

// AdminUserByName looks a user up by name.
func (s *Store) AdminUserByName(ctx context.Context, name string) (AdminUser, error) {
	return s.oneAdminUser(ctx, name, qAdminUserByName, name)
}

// AdminUser looks a user up by id.
func (s *Store) AdminUser(ctx context.Context, id int64) (AdminUser, error) {
	return s.oneAdminUser(ctx, fmt.Sprint(id), qAdminUserByID, id)
}

// AdminUsers returns every user, by name.
func (s *Store) AdminUsers(ctx context.Context) ([]AdminUser, error) {
	rows, err := s.query(ctx, qAdminUsers)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []AdminUser
	for rows.Next() {
		u, err := scanAdminUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// updateAdminUser runs one update of user id: value, the time, id.
func (s *Store) updateAdminUser(ctx context.Context, id int64, q queryID, value any) error {
	res, err := s.exec(ctx, q, value, s.timeArg(s.now()), id)
	if err != nil {
		return fmt.Errorf("user %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = ErrNotFound
		}
		return fmt.Errorf("user %d: %w", id, err)
	}
	return nil
}

// SetAdminPassword sets user id's password hash and ends every session of
// the user but keep's (none when keep is empty): a changed password signs
// out whoever else knew the old one.
func (s *Store) SetAdminPassword(ctx context.Context, id int64, hash, keep string) error {
	return s.tx(ctx, func(tx runner) error {
		res, err := tx.exec(ctx, qAdminUserSetPassword, hash, s.timeArg(s.now()), id)
		if err != nil {
			return fmt.Errorf("user %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		_, err = tx.exec(ctx, qAdminSessionsRemoveUser, id, keep)
		return err
	})
}

// RehashAdminPassword replaces user id's password hash by another of the
// same password (made with other parameters): the sessions stay.
func (s *Store) RehashAdminPassword(ctx context.Context, id int64, hash string) error {
	return s.updateAdminUser(ctx, id, qAdminUserSetPassword, hash)
}

// SetAdminEmail sets the address user id's test copies go to.
func (s *Store) SetAdminEmail(ctx context.Context, id int64, email string) error {
	return s.updateAdminUser(ctx, id, qAdminUserSetEmail, email)
}

// SetAdminRole gives user id a role. The last admin stays one
// (ErrLastAdmin).
func (s *Store) SetAdminRole(ctx context.Context, id int64, role AdminRole) error {
	return s.tx(ctx, func(tx runner) error {
		if role != RoleAdmin {
			if err := tx.checkNotLastAdmin(ctx, id); err != nil {
				return err
			}
		}
		res, err := tx.exec(ctx, qAdminUserSetRole, string(role), s.timeArg(s.now()), id)
		if err != nil {
			return fmt.Errorf("user %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// RemoveAdminUser deletes user id and its sessions. The last admin stays
// (ErrLastAdmin).
func (s *Store) RemoveAdminUser(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx runner) error {
		if err := tx.checkNotLastAdmin(ctx, id); err != nil {
			return err
		}
		res, err := tx.exec(ctx, qAdminUserRemove, id)
		if err != nil {
			return fmt.Errorf("remove user %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// checkNotLastAdmin refuses a change that would leave no admin, when id is
// the only one. The admins' rows stay locked until tx ends.
func (tx runner) checkNotLastAdmin(ctx context.Context, id int64) error {
	rows, err := tx.query(ctx, qAdminUsersAdmins)
	if err != nil {
		return err
	}
	defer rows.Close()
	var admins []int64
	for rows.Next() {
		var a int64
		if err := rows.Scan(&a); err != nil {
			return err
		}
		admins = append(admins, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(admins) == 1 && admins[0] == id {
		return fmt.Errorf("user %d: %w", id, ErrLastAdmin)
	}
	return nil
}

// AdminSession is a signed-in browser, with its user.
type AdminSession struct {
	ID string
	// SecretHash is the SHA-256 of the secret the cookie carries beside
	// the id, in hex.
	SecretHash string
	User       AdminUser
	CreatedAt  time.Time
	SeenAt     time.Time
	Client     string // the address it signed in from
	UserAgent  string
}

// AddAdminSession stores a new session for its user, and records the
// sign-in on the user; created and seen are the store's now.
func (s *Store) AddAdminSession(ctx context.Context, se AdminSession) (AdminSession, error) {
	now := s.now()
	err := s.tx(ctx, func(tx runner) error {
		if _, err := tx.exec(ctx, qAdminSessionAdd, se.ID, se.SecretHash, se.User.ID, s.timeArg(now), s.timeArg(now),
			se.Client, se.UserAgent); err != nil {
			return err
		}
		_, err := tx.exec(ctx, qAdminUserSignedIn, s.timeArg(now), se.User.ID)
		return err
	})
	if err != nil {
		return AdminSession{}, fmt.Errorf("add session: %w", err)
	}
	return s.AdminSession(ctx, se.ID)
}

// AdminSession looks a session up by id, with its user.
func (s *Store) AdminSession(ctx context.Context, id string) (AdminSession, error) {
	var se AdminSession
	u := &se.User
	err := s.queryRow(ctx, qAdminSessionGet, id).Scan(&se.ID, &se.SecretHash, scanTime{&se.CreatedAt}, scanTime{&se.SeenAt},
		&se.Client, &se.UserAgent, &u.ID, &u.Name, &u.Email, &u.Role, &u.PasswordHash, scanTime{&u.CreatedAt},
		scanTime{&u.UpdatedAt}, scanTime{&u.LastSignIn})
	if errors.Is(err, sql.ErrNoRows) {
		return AdminSession{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return AdminSession{}, fmt.Errorf("session: %w", err)
	}
	return se, nil
}

// TouchAdminSession records that session id was used now.
func (s *Store) TouchAdminSession(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, qAdminSessionSeen, s.timeArg(s.now()), id); err != nil {
		return fmt.Errorf("session: %w", err)
	}
	return nil
}

// RemoveAdminSession ends session id (a sign-out); one that is gone
// already is no error.
func (s *Store) RemoveAdminSession(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, qAdminSessionRemove, id); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// RemoveAdminSessions ends every session of user id.
func (s *Store) RemoveAdminSessions(ctx context.Context, userID int64) error {
	if _, err := s.exec(ctx, qAdminSessionsRemoveUser, userID, ""); err != nil {
		return fmt.Errorf("end sessions of user %d: %w", userID, err)
	}
	return nil
}

// CountAdminSessions counts the sessions of user id.
func (s *Store) CountAdminSessions(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := s.queryRow(ctx, qAdminSessionsCount, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count sessions of user %d: %w", userID, err)
	}
	return n, nil
}

// ExpireAdminSessions deletes the sessions made before createdBefore or
// last used before seenBefore, and returns how many.
func (s *Store) ExpireAdminSessions(ctx context.Context, createdBefore, seenBefore time.Time) (int, error) {
	res, err := s.exec(ctx, qAdminSessionsExpire, s.timeArg(createdBefore), s.timeArg(seenBefore))
	if err != nil {
		return 0, fmt.Errorf("expire sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
