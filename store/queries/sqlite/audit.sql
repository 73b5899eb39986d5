-- The audit log (audit.go).

-- name: audit-add
-- Arguments: at, actor, action, issue (NULL), subscriber (NULL), source, detail.
INSERT INTO audit_log (at, actor, action, issue_number, subscriber_id, source, detail)
VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: audit-list
-- Newest first. Each filter is given twice; 0 or '' leaves it out.
-- Arguments: issue ×2, subscriber ×2, source ×2, before id ×2, limit.
SELECT id, at, actor, action, coalesce(issue_number, 0), coalesce(subscriber_id, 0), source, detail
FROM audit_log
WHERE (? = 0 OR issue_number = ?)
  AND (? = 0 OR subscriber_id = ?)
  AND (? = '' OR source = ?)
  AND (? = 0 OR id < ?)
ORDER BY id DESC LIMIT ?
