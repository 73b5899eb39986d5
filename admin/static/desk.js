// The desk's only script. It adds to pages that work without it: it asks
// before forms marked data-confirm are sent, and it keeps the live view of
// a send up to date by asking for its progress every few seconds.
"use strict";

document.addEventListener("submit", (ev) => {
  const msg = ev.target.dataset && ev.target.dataset.confirm;
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
  }
});

(() => {
  const box = document.getElementById("progress");
  if (!box || !box.dataset.poll) {
    return;
  }
  const every = 2000;
  const show = (p) => {
    document.getElementById("progress-status").textContent = p.status;
    const bar = document.getElementById("progress-bar");
    bar.value = p.percent;
    bar.textContent = p.percent + "%";
    for (const el of box.querySelectorAll("[data-field]")) {
      const v = p[el.dataset.field];
      if (v !== undefined) {
        el.textContent = String(v);
      }
    }
    document.getElementById("progress-note").textContent = p.over
      ? "This page shows the send as it ended."
      : "This page follows the send as it goes, every few seconds.";
  };
  const poll = async () => {
    try {
      const res = await fetch(box.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (res.status === 401) {
        document.getElementById("progress-note").textContent = "Your session ended: sign in again to follow the send.";
        return;
      }
      if (res.ok) {
        const p = await res.json();
        show(p);
        if (p.over) {
          return;
        }
      }
    } catch (e) {
      // The server may be restarting: try again.
    }
    setTimeout(poll, every);
  };
  if (box.dataset.over !== "true") {
    setTimeout(poll, every);
  }
})();
