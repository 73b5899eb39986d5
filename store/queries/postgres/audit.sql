-- The audit log (audit.go).

-- name: audit-add
-- Arguments: at, actor, action, issue (NULL), subscriber (NULL), source, detail.
INSERT INTO audit_log (at, actor, action, issue_number, subscriber_id, source, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7)

-- name: audit-list
-- Newest first. Each filter is given twice; 0 or '' leaves it out.
-- Arguments: issue ×2, subscriber ×2, source ×2, before id ×2, limit
-- (-1: all).
SELECT id, at, actor, action, coalesce(issue_number, 0), coalesce(subscriber_id, 0), source, detail
FROM audit_log
WHERE ($1::bigint = 0 OR issue_number = $2)
  AND ($3::bigint = 0 OR subscriber_id = $4)
  AND ($5::text = '' OR source = $6)
  AND ($7::bigint = 0 OR id < $8)
ORDER BY id DESC LIMIT nullif($9::bigint, -1)
