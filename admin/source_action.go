package admin

import (
	"fmt"
	"net/http"

	"github.com/bulletin-app/bulletin/store"
)

// source reads the form's source, one that config names.
func (h *handler) source(w http.ResponseWriter, r *http.Request, s *session) (string, bool) {
	name := r.PostFormValue("name")
	sources, err := h.app.Sources(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return "", false
	}
	for _, src := range sources {
		if src.Name == name {
			return name, true
		}
	}
	h.failed(w, r, "/admin/sources", fmt.Sprintf("There is no source %q in config.yaml.", name))
	return "", false
}

// sourceFetch reads one source now, as collect does.
func (h *handler) sourceFetch(w http.ResponseWriter, r *http.Request, s *session) {
	name, ok := h.source(w, r, s)
	if !ok {
		return
	}
	what, err := h.app.FetchSource(r.Context(), name)
	if err != nil {
		h.audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: AuditSourceFetch, Source: name, Detail: "failed: " + err.Error()})
		h.failed(w, r, "/admin/sources", fmt.Sprintf("%s: %s", name, sentence(err.Error())))
		return
	}
	h.audit(r.Context(), store.AuditEntry{Actor: s.Actor(), Action: AuditSourceFetch, Source: name, Detail: what})
	h.done(w, r, "/admin/sources", fmt.Sprintf("%s read: %s.", name, what))
}

func (h *handler) sourcePause(w http.ResponseWriter, r *http.Request, s *session) {
	name, ok := h.source(w, r, s)
	if !ok {
		return
	}
	changed, err := h.app.PauseSource(r.Context(), name, s.Actor())
	if err != nil {
		h.fail(w, r, s, "/admin/sources", err)
		return
	}
	if !changed {
		h.done(w, r, "/admin/sources", name+" was paused already.")
		return
	}
	h.done(w, r, "/admin/sources", name+" is paused: collect skips it until it is resumed.")
}

func (h *handler) sourceResume(w http.ResponseWriter, r *http.Request, s *session) {
	name, ok := h.source(w, r, s)
	if !ok {
		return
	}
	changed, err := h.app.ResumeSource(r.Context(), name, s.Actor())
	if err != nil {
		h.fail(w, r, s, "/admin/sources", err)
		return
	}
	if !changed {
		h.done(w, r, "/admin/sources", name+" was not paused.")
		return
	}
	h.done(w, r, "/admin/sources", name+" is collected again.")
}
