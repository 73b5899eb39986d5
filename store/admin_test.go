package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAdminUsersAndSessions(t *testing.T) {
	eachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		st := db.open(t)
		now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })

		ann, err := st.AddAdminUser(ctx, AdminUser{Name: "ann", Email: "ann@example.org", Role: RoleAdmin, PasswordHash: "h1"})
		if err != nil {
			t.Fatal(err)
		}
		if ann.ID == 0 || ann.Role != RoleAdmin || !ann.CreatedAt.Equal(now) || !ann.LastSignIn.IsZero() {
			t.Errorf("added %+v", ann)
		}
		if _, err := st.AddAdminUser(ctx, AdminUser{Name: "ann", Role: RoleEditor, PasswordHash: "h"}); !errors.Is(err, ErrExists) {
			t.Errorf("a second ann: %v, want ErrExists", err)
		}
		ed, err := st.AddAdminUser(ctx, AdminUser{Name: "ed", Role: RoleEditor, PasswordHash: "h2"})
		if err != nil {
			t.Fatal(err)
		}
		if users, err := st.AdminUsers(ctx); err != nil || len(users) != 2 || users[0].Name != "ann" || users[1].Name != "ed" {
			t.Errorf("users %+v, %v", users, err)
		}

		// The last admin stays one, and stays.
		if err := st.SetAdminRole(ctx, ann.ID, RoleEditor); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("demoting the last admin: %v, want ErrLastAdmin", err)
		}
		if err := st.RemoveAdminUser(ctx, ann.ID); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("removing the last admin: %v, want ErrLastAdmin", err)
		}
		if err := st.SetAdminRole(ctx, ed.ID, RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := st.SetAdminRole(ctx, ann.ID, RoleEditor); err != nil {
			t.Errorf("demoting one of two admins: %v", err)
		}
		if err := st.SetAdminEmail(ctx, ed.ID, "ed@example.org"); err != nil {
			t.Fatal(err)
		}
		if u, _ := st.AdminUserByName(ctx, "ed"); u.Role != RoleAdmin || u.Email != "ed@example.org" {
			t.Errorf("ed is %+v", u)
		}
		if err := st.SetAdminRole(ctx, 999, RoleEditor); !errors.Is(err, ErrNotFound) {
			t.Errorf("role of no one: %v", err)
		}

		// Sessions: one per browser, with the user, touched, ended.
		s1, err := st.AddAdminSession(ctx, AdminSession{ID: "one", SecretHash: "x1", User: ann, Client: "192.0.2.1", UserAgent: "UA"})
		if err != nil {
			t.Fatal(err)
		}
		if s1.User.Name != "ann" || s1.Client != "192.0.2.1" || !s1.SeenAt.Equal(now) {
			t.Errorf("session %+v", s1)
		}
		if u, _ := st.AdminUser(ctx, ann.ID); !u.LastSignIn.Equal(now) {
			t.Errorf("sign-in not recorded: %+v", u)
		}
		if _, err := st.AddAdminSession(ctx, AdminSession{ID: "two", SecretHash: "x2", User: ann}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddAdminSession(ctx, AdminSession{ID: "three", SecretHash: "x3", User: ed}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		if err := st.TouchAdminSession(ctx, "two"); err != nil {
			t.Fatal(err)
		}
		if s, _ := st.AdminSession(ctx, "two"); !s.SeenAt.Equal(now) || !s.CreatedAt.Equal(now.Add(-time.Hour)) {
			t.Errorf("touched session %+v", s)
		}
		// A new password ends the user's other sessions.
		if err := st.SetAdminPassword(ctx, ann.ID, "h3", "two"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AdminSession(ctx, "one"); !errors.Is(err, ErrNotFound) {
			t.Errorf("session one after a password change: %v", err)
		}
		if s, err := st.AdminSession(ctx, "two"); err != nil || s.User.PasswordHash != "h3" {
			t.Errorf("the session that changed it: %+v, %v", s, err)
		}
		if err := st.RemoveAdminSession(ctx, "two"); err != nil {
			t.Fatal(err)
		}
		if err := st.RemoveAdminSession(ctx, "two"); err != nil {
			t.Errorf("ending an ended session: %v", err)
		}
		if _, err := st.AdminSession(ctx, "two"); !errors.Is(err, ErrNotFound) {
			t.Errorf("session after sign-out: %v", err)
		}
		// Idle and old sessions expire.
		if _, err := st.AddAdminSession(ctx, AdminSession{ID: "four", SecretHash: "x4", User: ed}); err != nil {
			t.Fatal(err)
		}
		if n, err := st.ExpireAdminSessions(ctx, now.Add(-2*time.Hour), now.Add(-30*time.Minute)); err != nil || n != 1 {
			t.Errorf("expired %d, %v; want the session idle for an hour", n, err)
		}
		if _, err := st.AdminSession(ctx, "four"); err != nil {
			t.Errorf("a fresh session expired: %v", err)
		}
		// A removed user's sessions go with it.
		if err := st.RemoveAdminUser(ctx, ed.ID); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("removing the admin left: %v, want ErrLastAdmin", err)
		}
		if err := st.SetAdminRole(ctx, ann.ID, RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := st.RemoveAdminUser(ctx, ed.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AdminSession(ctx, "four"); !errors.Is(err, ErrNotFound) {
			t.Errorf("session of a removed user: %v", err)
		}
		if n, _ := st.CountAdminSessions(ctx, ed.ID); n != 0 {
			t.Errorf("%d sessions of a removed user", n)
		}
	})
}
