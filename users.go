package bulletin

import (
	"context"

	"github.com/bulletin-app/bulletin/admin"
	"github.com/bulletin-app/bulletin/store"
)

// The editor's desk's users, for bulletin admin: the same checks, hashing
// and audit log entries as the desk's own users' page.

// AddUser adds a user who may sign in to the desk. An empty role makes the
// first user an admin (someone must manage the others) and any later one
// an editor.
func (a *App) AddUser(ctx context.Context, actor, name string, role store.AdminRole, email, password string) (store.AdminUser, error) {
	if role == "" {
		role = store.RoleEditor
		if users, err := a.Store.AdminUsers(ctx); err == nil && len(users) == 0 {
			role = store.RoleAdmin
		}
	}
	return admin.AddUser(ctx, a.Store, actor, name, role, email, password)
}

// Users returns the desk's users, by name.
func (a *App) Users(ctx context.Context) ([]store.AdminUser, error) { return a.Store.AdminUsers(ctx) }

// RemoveUser removes a user of the desk, and ends their sessions.
func (a *App) RemoveUser(ctx context.Context, actor, name string) error {
	return admin.RemoveUser(ctx, a.Store, actor, name)
}

// SetUserPassword gives a user of the desk a new password, and ends their
// sessions.
func (a *App) SetUserPassword(ctx context.Context, actor, name, password string) error {
	return admin.SetPassword(ctx, a.Store, actor, name, password, "")
}
