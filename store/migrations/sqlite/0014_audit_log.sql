-- Who did what, and when (audit.go): the approvals, schedules, sends and
-- edits of issues, and whatever else an operator or an editor changes.
-- actor is "cli:USER", "admin:NAME", "job:NAME"...; action a dotted name
-- (issue.approve, entry.drop); what it was about is an issue, a
-- subscriber (by id: an address forgotten later is not kept here) or a
-- source, each when it applies.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT    NOT NULL,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    issue_number  INTEGER,
    subscriber_id INTEGER,
    source        TEXT    NOT NULL DEFAULT '',
    detail        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_issue ON audit_log(issue_number, id);
CREATE INDEX audit_log_subscriber ON audit_log(subscriber_id, id);
