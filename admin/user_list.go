package admin

import (
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

// userListPage lists the desk's users, for an admin, with the form that
// adds one.
type userListPage struct {
	page
	Users []store.AdminUser
	// What the add form was given and why it was refused.
	AddName, AddEmail, AddError string
	AddRole                     store.AdminRole
}

func (h *handler) userList(w http.ResponseWriter, r *http.Request, s *session) {
	h.showUsers(w, r, s, http.StatusOK, nil)
}

func (h *handler) showUsers(w http.ResponseWriter, r *http.Request, s *session, status int, adjust func(*userListPage)) {
	users, err := h.acc.AdminUsers(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p := &userListPage{page: page{Title: "Users", Section: "users"}, Users: users, AddRole: store.RoleEditor}
	if adjust != nil {
		adjust(p)
	}
	h.render(w, r, status, "user_list", s, p)
}

func (h *handler) userAdd(w http.ResponseWriter, r *http.Request, s *session) {
	name, email, role := r.PostFormValue("name"), r.PostFormValue("email"), store.AdminRole(r.PostFormValue("role"))
	u, err := AddUser(r.Context(), h.acc, s.Actor(), name, role, email, r.PostFormValue("password"))
	if refused(err) {
		h.showUsers(w, r, s, http.StatusUnprocessableEntity, func(p *userListPage) {
			p.AddName, p.AddEmail, p.AddRole, p.AddError = name, email, role, sentence(err.Error())
		})
		return
	}
	if err != nil {
		h.fail(w, r, s, "/admin/users", err)
		return
	}
	h.done(w, r, "/admin/users", u.Name+" can sign in now, as "+string(u.Role)+".")
}
