package admin

import "net/http"

// userRemove removes a user, and so ends their sessions. The last admin
// stays.
func (h *handler) userRemove(w http.ResponseWriter, r *http.Request, s *session) {
	u, ok := h.userByID(w, r, s)
	if !ok {
		return
	}
	if err := RemoveUser(r.Context(), h.acc, s.Actor(), u.Name); err != nil {
		h.fail(w, r, s, "/admin/users", err)
		return
	}
	if u.ID == s.User.ID {
		h.setCookie(w, r, sessionCookie, "", -1)
		h.done(w, r, "/admin/sign-in", "Your user is removed.")
		return
	}
	h.done(w, r, "/admin/users", u.Name+" is removed, and signed out.")
}
