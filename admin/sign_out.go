package admin

import (
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

// signOut ends the session: its row is deleted, so the cookie, wherever a
// copy of it is, signs no one in any more.
func (h *handler) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.acc.RemoveAdminSession(r.Context(), s.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.setCookie(w, r, sessionCookie, "", -1)
	h.audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: AuditSignOut})
	h.done(w, r, "/admin/sign-in", "You are signed out.")
}
