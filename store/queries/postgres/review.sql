-- Review before send (review.go): an issue's state and an editor's
-- changes to a draft. The statements that change a draft run in a
-- transaction that locks the issue's row first (issue-state-for-update),
-- so that two editors' changes, or a change and an approval, go one after
-- the other.

-- name: issue-state-for-update
SELECT state FROM issues WHERE number = $1 FOR UPDATE

-- name: issue-move
-- Arguments: state, send_at, number.
UPDATE issues SET state = $1, send_at = $2, send_error = '' WHERE number = $3

-- name: issue-mark-sent
-- Arguments: sent_at, number. Only a send under way ends.
UPDATE issues SET state = 'sent', sent_at = $1, send_error = '' WHERE number = $2 AND state = 'sending'

-- name: issue-send-error
-- Arguments: the reason, number.
UPDATE issues SET send_error = $1 WHERE number = $2 AND state = 'sending'

-- name: issue-list
-- Arguments: limit (-1: all).
SELECT i.number, i.title, i.created_at, i.state, i.send_at, i.sent_at, i.send_error, i.subject, i.intro, i.edited_at,
    (SELECT count(*) FROM entries e WHERE e.issue_number = i.number)
FROM issues i WHERE i.number > 0 ORDER BY i.number DESC LIMIT nullif($1::bigint, -1)

-- name: issues-to-deliver
-- The issues the send-scheduled job looks after, first due first: the
-- scheduled ones whose time has come (argument: now), and the released
-- ones whose send is neither over nor stopped for a person to look at.
-- Issues released before there were states have no send_at: the issue
-- job finishes those, as before.
SELECT number FROM issues
WHERE (state = 'scheduled' AND send_at <= $1)
   OR (state = 'sending' AND send_error = '' AND send_at IS NOT NULL)
ORDER BY send_at, number

-- name: issue-latest-sending
SELECT coalesce(max(number), 0) FROM issues WHERE state = 'sending'

-- name: issue-awaiting-review
-- The first issue not released yet: while there is one, no new issue is
-- built.
SELECT coalesce(min(number), 0) FROM issues WHERE state IN ('draft', 'scheduled')

-- name: issue-set-subject
UPDATE issues SET subject = $1 WHERE number = $2

-- name: issue-set-intro
UPDATE issues SET intro = $1 WHERE number = $2

-- name: issue-touch
UPDATE issues SET edited_at = $1 WHERE number = $2

-- name: issue-entry-order
-- An issue's entries as issue-entries orders them, lead first.
SELECT e.id, e.is_lead
FROM entries e JOIN articles a ON a.id = e.article_id
WHERE e.issue_number = $1
ORDER BY e.is_lead DESC, coalesce(e.position, 0), coalesce(a.published_at, a.collected_at) DESC, e.id DESC

-- name: entry-set-position
UPDATE entries SET position = $1 WHERE id = $2

-- name: entry-drop
-- Back to the pool for the next issue; the editor's texts stay with it.
UPDATE entries SET issue_number = NULL, position = NULL, is_lead = false WHERE id = $1 AND issue_number = $2

-- name: entry-clear-lead
UPDATE entries SET is_lead = false WHERE issue_number = $1 AND is_lead

-- name: entry-set-lead
UPDATE entries SET is_lead = true WHERE id = $1 AND issue_number = $2

-- name: entry-edit-title
-- NULL restores the article's title.
UPDATE entries SET edited_title = $1 WHERE id = $2 AND issue_number = $3

-- name: entry-edit-summary
-- NULL restores the summary the machine wrote.
UPDATE entries SET edited_summary = $1 WHERE id = $2 AND issue_number = $3
