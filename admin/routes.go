package admin

import "net/http"

// routes is the desk's route table. Nothing answers without a session but
// the sign-in page and the static files; the users' pages want an admin.
func (h *handler) routes() {
	m := h.mux
	m.Handle("GET /admin/static/{file}", staticFiles())
	m.HandleFunc("GET /admin/sign-in", h.signInForm)
	m.HandleFunc("POST /admin/sign-in", h.signIn)

	editor := func(pattern string, f func(http.ResponseWriter, *http.Request, *session)) {
		m.Handle(pattern, h.signedIn(f))
	}
	admin := func(pattern string, f func(http.ResponseWriter, *http.Request, *session)) {
		m.Handle(pattern, h.signedIn(h.adminOnly(f)))
	}

	editor("POST /admin/sign-out", h.signOut)
	editor("GET /admin/{$}", h.dashboard)

	editor("GET /admin/issues", h.issueList)
	editor("GET /admin/issues/{n}", h.issueEdit)
	editor("POST /admin/issues/{n}/subject", h.issueSubject)
	editor("POST /admin/issues/{n}/intro", h.issueIntro)
	editor("POST /admin/issues/{n}/lead", h.issueLead)
	editor("POST /admin/issues/{n}/entries/{id}", h.entryEdit)
	editor("POST /admin/issues/{n}/entries/{id}/move", h.entryMove)
	editor("POST /admin/issues/{n}/entries/{id}/drop", h.entryDrop)
	editor("POST /admin/issues/{n}/entries/{id}/restore", h.entryRestore)
	editor("GET /admin/issues/{n}/preview", h.issuePreview)
	editor("GET /admin/issues/{n}/preview/{part}", h.issuePreviewPart)
	editor("POST /admin/issues/{n}/test", h.issueTestSend)
	editor("POST /admin/issues/{n}/approve", h.issueApprove)
	editor("POST /admin/issues/{n}/schedule", h.issueSchedule)
	editor("POST /admin/issues/{n}/cancel", h.issueCancel)
	editor("GET /admin/issues/{n}/send", h.issueSend)
	editor("GET /admin/issues/{n}/progress", h.issueProgress)

	editor("GET /admin/subscribers", h.subscriberList)
	editor("POST /admin/subscribers", h.subscriberAdd)
	editor("GET /admin/subscribers/import", h.subscribersImportForm)
	editor("POST /admin/subscribers/import", h.subscribersImport)
	editor("GET /admin/subscribers/export", h.subscribersExport)
	editor("GET /admin/subscribers/{id}", h.subscriberShow)
	editor("POST /admin/subscribers/{id}/unsubscribe", h.subscriberUnsubscribe)
	editor("POST /admin/subscribers/{id}/forget", h.subscriberForget)

	editor("GET /admin/sources", h.sourceList)
	editor("POST /admin/sources/fetch", h.sourceFetch)
	editor("POST /admin/sources/pause", h.sourcePause)
	editor("POST /admin/sources/resume", h.sourceResume)

	editor("GET /admin/audit", h.auditList)

	editor("GET /admin/account", h.accountForm)
	editor("POST /admin/account/email", h.accountEmail)
	editor("POST /admin/account/password", h.accountPassword)

	admin("GET /admin/users", h.userList)
	admin("POST /admin/users", h.userAdd)
	admin("POST /admin/users/{id}/role", h.userRole)
	admin("POST /admin/users/{id}/password", h.userPassword)
	admin("POST /admin/users/{id}/remove", h.userRemove)

	// Anything else under /admin/ is not found, for those signed in; the
	// others are sent to sign in first, as for any page.
	editor("/admin/", h.notFound)
}
