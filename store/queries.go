package store

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// queryID names one of the store's SQL statements. Its text is written once
// per dialect, in queries/<dialect>/*.sql, under a "-- name: " line; each Go
// method runs it by id, whichever database is open.
type queryID int

const (
	// migrate.sql
	qMigrateLock queryID = iota
	qMigrationsTable
	qMigrationApplied
	qMigrationRecord

	// articles.sql
	qArticleHash
	qArticleInsert
	qArticleForUpdate
	qArticleUpdate
	qArticlesToSummarize
	qArticleKnown

	// cache.sql
	qCacheGet
	qCachePut

	// entries.sql
	qEntrySave
	qEntriesUnissued
	qEntryMarkDuplicate
	qIssueLock
	qIssueNextNumber
	qIssueInsert
	qEntryTake
	qIssueGet
	qIssueEntries
	qIssueDuplicates
	qIssueLatestNumber
	qIssueNumbers
	qEntriesIssued
	qPublishedVersion
	qEntryLeaveOut
	qIssueNextSeq
	qIssueSeqAssign
	qIssueSetCount
	qFeedTotals
	qFeedEntries
	qFeedDuplicates
	qIssuesBetween
	qIssuesBetweenEntries
	qIssuesBetweenDuplicates
	qIssueInfos
	qIssueLeads
	qFeedChanges
	qEntryStoryOf
	qEntryLinkEarlier
	qEntryStartStory
	qEntriesUnissuedSources
	qStoryEntries
	qStoryDuplicates
	qStoriesBetween

	// subscribers.sql
	qSubscriberAdd
	qSubscribersImport
	qSubscribersBulkExtent
	qSubscribersBulkHeld
	qSubscribersBulkHold
	qSubscribersBulkTally
	qSuppressionsAny
	qSuppressionsAmong
	qSubscriberWidths
	qSubscriberByEmail
	qSubscriberByID
	qSubscribersList
	qSubscribersCount
	qSubscriberSetStatus
	qSubscriberConfirmationSent
	qSubscriberForRemoval
	qSubscriberForget
	qDeliveriesEraseAddress
	qSuppressionAdd
	qSuppressionFind

	// deliveries.sql
	qDeliveriesPlan
	qDeliveryCounts
	qDeliveriesList
	qDeliveryClaim
	qDeliverySent
	qDeliveryRelease
	qDeliveryFail
	qSubscriberBounce
	qDeliveriesForget
	qLedgerBegin
	qLedgerClaim
	qLedgerSent
	qLedgerCommit
	qLedgerRollback
	qLedgerApply

	// sharing.sql
	qPlanLock
	qChunkSize
	qDeliveriesAnalyze
	qChunksPlan
	qChunksReopen
	qChunksForget
	qChunkGate
	qChunkTake
	qChunkRows
	qChunkPending
	qChunkDone
	qChunksHoldAll
	qChunksGateClose
	qPendingConfirmed
	qUnconfirmedSettled
	qRateReserve

	// bounces.sql
	qBounceDelivery
	qBounceInsert
	qBounceSoftStreak
	qSubscriberComplain
	qDeliveryGet
	qDeliveryByMessageID
	qDeliveryLatestTo
	qBounceCounts
	qBouncesRecent
	qBouncesLast
	qBounceEventsErase

	// locks.sql
	qLockTake
	qLockHolder
	qLockTakeOver
	qLockRelease

	// jobs.sql
	qJobStart
	qJobStartedAt
	qJobEnd
	qJobRuns
	qJobRun
	qJobFiresInit
	qJobFiresDone
	qJobFireClaim
	qJobFireClaimFor
	qJobFireHeld
	qJobFireConfirm
	qJobFireLeave
	qJobFireRelease
	qJobHistoryExists
	qJobFiresRename
	qJobRunsRename
	qJobFiresForget
	qJobRunsForget

	// sources.sql
	qSourceState
	qSourceStateSave
	qSourceStates
	qFolderFiles
	qFolderFileSave

	// status.sql
	qTotals
	qTotalsDeliveries
	qPing

	// signups.go
	qSignupsCount
	qSignupAdd
	qSignupsDue
	qSignupClaim
	qSignupDone
	qSignupRetry
	qSignupsRelease

	// review.sql
	qIssueStateForUpdate
	qIssueMove
	qIssueMarkSent
	qIssueSendError
	qIssueList
	qIssuesToDeliver
	qIssueLatestSending
	qIssueAwaitingReview
	qIssueSetSubject
	qIssueSetIntro
	qIssueTouch
	qIssueEntryOrder
	qEntrySetPosition
	qEntryDrop
	qEntryClearLead
	qEntrySetLead
	qEntryEditTitle
	qEntryEditSummary

	// settings.sql
	qSettingKeep
	qSettingPut
	qSettingGet

	// audit.sql
	qAuditAdd
	qAuditList
	// weeklies.sql
	qWeeklyLastCovered
	qWeeklySpan
	qWeeklyNextNumber
	qWeeklyInsert
	qWeeklyGet
	qWeeklyLatestNumber

	// added to the files above
	qSubscriberSetPreferences
	qArticleImageUpdate
	qSignupsCountAll

	// admin.sql
	qAdminUserAdd
	qAdminUserByName
	qAdminUserByID
	qAdminUsers
	qAdminUsersAdmins
	qAdminUserSetPassword
	qAdminUserSetRole
	qAdminUserSetEmail
	qAdminUserSignedIn
	qAdminUserRemove
	qAdminSessionAdd
	qAdminSessionGet
	qAdminSessionSeen
	qAdminSessionRemove
	qAdminSessionsRemoveUser
	qAdminSessionsExpire
	qAdminSessionsCount

	// desk.sql
	qSubscribersPage
	qSubscribersPageStatus
	qSubscribersSearch
	qSubscribersSearchDomain
	qSubscribersGrowth
	qSubscriberDeliveries
	qSubscriberBounces
	qSourceArticles
	qSourcePause
	qSourceResume
	qSourcesPaused

	numQueries
)

// queryNames are the names the query files give each queryID.
var queryNames = [numQueries]string{
	qMigrateLock:      "migrate-lock",
	qMigrationsTable:  "migrations-table",
	qMigrationApplied: "migration-applied",
	qMigrationRecord:  "migration-record",

	qArticleHash:         "article-hash",
	qArticleInsert:       "article-insert",
	qArticleForUpdate:    "article-for-update",
	qArticleUpdate:       "article-update",
	qArticlesToSummarize: "articles-to-summarize",
	qArticleKnown:        "article-known",

	qCacheGet: "cache-get",
	qCachePut: "cache-put",

	qEntrySave:               "entry-save",
	qEntriesUnissued:         "entries-unissued",
	qEntryMarkDuplicate:      "entry-mark-duplicate",
	qIssueLock:               "issue-lock",
	qIssueNextNumber:         "issue-next-number",
	qIssueInsert:             "issue-insert",
	qEntryTake:               "entry-take",
	qIssueGet:                "issue-get",
	qIssueEntries:            "issue-entries",
	qIssueDuplicates:         "issue-duplicates",
	qIssueLatestNumber:       "issue-latest-number",
	qIssueNumbers:            "issue-numbers",
	qEntriesIssued:           "entries-issued",
	qPublishedVersion:        "published-version",
	qEntryLeaveOut:           "entry-leave-out",
	qIssueNextSeq:            "issue-next-seq",
	qIssueSeqAssign:          "issue-seq-assign",
	qIssueSetCount:           "issue-set-count",
	qFeedTotals:              "feed-totals",
	qFeedEntries:             "feed-entries",
	qFeedDuplicates:          "feed-duplicates",
	qIssuesBetween:           "issues-between",
	qIssuesBetweenEntries:    "issues-between-entries",
	qIssuesBetweenDuplicates: "issues-between-duplicates",
	qIssueInfos:              "issue-infos",
	qIssueLeads:              "issue-leads",
	qFeedChanges:             "feed-changes",
	qEntryStoryOf:            "entry-story-of",
	qEntryLinkEarlier:        "entry-link-earlier",
	qEntryStartStory:         "entry-start-story",
	qEntriesUnissuedSources:  "entries-unissued-sources",
	qStoryEntries:            "story-entries",
	qStoryDuplicates:         "story-duplicates",
	qStoriesBetween:          "stories-between",

	qSubscriberAdd:              "subscriber-add",
	qSubscribersImport:          "subscribers-import",
	qSubscribersBulkExtent:      "subscribers-bulk-extent",
	qSubscribersBulkHeld:        "subscribers-bulk-held",
	qSubscribersBulkHold:        "subscribers-bulk-hold",
	qSubscribersBulkTally:       "subscribers-bulk-tally",
	qSuppressionsAny:            "suppressions-any",
	qSuppressionsAmong:          "suppressions-among",
	qSubscriberWidths:           "subscriber-widths",
	qSubscriberByEmail:          "subscriber-by-email",
	qSubscriberByID:             "subscriber-by-id",
	qSubscribersList:            "subscribers-list",
	qSubscribersCount:           "subscribers-count",
	qSubscriberSetStatus:        "subscriber-set-status",
	qSubscriberConfirmationSent: "subscriber-confirmation-sent",
	qSubscriberForRemoval:       "subscriber-for-removal",
	qSubscriberForget:           "subscriber-forget",
	qDeliveriesEraseAddress:     "deliveries-erase-address",
	qSuppressionAdd:             "suppression-add",
	qSuppressionFind:            "suppression-find",

	qDeliveriesPlan:   "deliveries-plan",
	qDeliveryCounts:   "delivery-counts",
	qDeliveriesList:   "deliveries-list",
	qDeliveryClaim:    "delivery-claim",
	qDeliverySent:     "delivery-sent",
	qDeliveryRelease:  "delivery-release",
	qDeliveryFail:     "delivery-fail",
	qSubscriberBounce: "subscriber-bounce",
	qDeliveriesForget: "deliveries-forget",
	qLedgerBegin:      "ledger-begin",
	qLedgerClaim:      "ledger-claim",
	qLedgerSent:       "ledger-sent",
	qLedgerCommit:     "ledger-commit",
	qLedgerRollback:   "ledger-rollback",
	qLedgerApply:      "ledger-apply",

	qPlanLock:           "plan-lock",
	qChunkSize:          "chunk-size",
	qDeliveriesAnalyze:  "deliveries-analyze",
	qChunksPlan:         "chunks-plan",
	qChunksReopen:       "chunks-reopen",
	qChunksForget:       "chunks-forget",
	qChunkGate:          "chunk-gate",
	qChunkTake:          "chunk-take",
	qChunkRows:          "chunk-rows",
	qChunkPending:       "chunk-pending",
	qChunkDone:          "chunk-done",
	qChunksHoldAll:      "chunks-hold-all",
	qChunksGateClose:    "chunks-gate-close",
	qPendingConfirmed:   "pending-confirmed",
	qUnconfirmedSettled: "unconfirmed-settled",
	qRateReserve:        "rate-reserve",

	qBounceDelivery:      "bounce-delivery",
	qBounceInsert:        "bounce-insert",
	qBounceSoftStreak:    "bounce-soft-streak",
	qSubscriberComplain:  "subscriber-complain",
	qDeliveryGet:         "delivery-get",
	qDeliveryByMessageID: "delivery-by-message-id",
	qDeliveryLatestTo:    "delivery-latest-to",
	qBounceCounts:        "bounce-counts",
	qBouncesRecent:       "bounces-recent",
	qBouncesLast:         "bounces-last",
	qBounceEventsErase:   "bounce-events-erase",

	qLockTake:     "lock-take",
	qLockHolder:   "lock-holder",
	qLockTakeOver: "lock-take-over",
	qLockRelease:  "lock-release",

	qJobStart:         "job-start",
	qJobStartedAt:     "job-started-at",
	qJobEnd:           "job-end",
	qJobRuns:          "job-runs",
	qJobRun:           "job-run",
	qJobFiresInit:     "job-fires-init",
	qJobFiresDone:     "job-fires-done",
	qJobFireClaim:     "job-fire-claim",
	qJobFireClaimFor:  "job-fire-claim-for",
	qJobFireHeld:      "job-fire-held",
	qJobFireConfirm:   "job-fire-confirm",
	qJobFireLeave:     "job-fire-leave",
	qJobFireRelease:   "job-fire-release",
	qJobHistoryExists: "job-history-exists",
	qJobFiresRename:   "job-fires-rename",
	qJobRunsRename:    "job-runs-rename",
	qJobFiresForget:   "job-fires-forget",
	qJobRunsForget:    "job-runs-forget",

	qSourceState:     "source-state",
	qSourceStateSave: "source-state-save",
	qSourceStates:    "source-states",
	qFolderFiles:     "folder-files",
	qFolderFileSave:  "folder-file-save",

	qTotals:           "totals",
	qTotalsDeliveries: "totals-deliveries",
	qPing:             "ping",

	qSignupsCount:   "signups-count",
	qSignupAdd:      "signup-add",
	qSignupsDue:     "signups-due",
	qSignupClaim:    "signup-claim",
	qSignupDone:     "signup-done",
	qSignupRetry:    "signup-retry",
	qSignupsRelease: "signups-release",

	qIssueStateForUpdate: "issue-state-for-update",
	qIssueMove:           "issue-move",
	qIssueMarkSent:       "issue-mark-sent",
	qIssueSendError:      "issue-send-error",
	qIssueList:           "issue-list",
	qIssuesToDeliver:     "issues-to-deliver",
	qIssueLatestSending:  "issue-latest-sending",
	qIssueAwaitingReview: "issue-awaiting-review",
	qIssueSetSubject:     "issue-set-subject",
	qIssueSetIntro:       "issue-set-intro",
	qIssueTouch:          "issue-touch",
	qIssueEntryOrder:     "issue-entry-order",
	qEntrySetPosition:    "entry-set-position",
	qEntryDrop:           "entry-drop",
	qEntryClearLead:      "entry-clear-lead",
	qEntrySetLead:        "entry-set-lead",
	qEntryEditTitle:      "entry-edit-title",
	qEntryEditSummary:    "entry-edit-summary",

	qSettingKeep: "setting-keep",
	qSettingPut:  "setting-put",
	qSettingGet:  "setting-get",

	qAuditAdd:           "audit-add",
	qAuditList:          "audit-list",
	qWeeklyLastCovered:  "weekly-last-covered",
	qWeeklySpan:         "weekly-span",
	qWeeklyNextNumber:   "weekly-next-number",
	qWeeklyInsert:       "weekly-insert",
	qWeeklyGet:          "weekly-get",
	qWeeklyLatestNumber: "weekly-latest-number",

	qSubscriberSetPreferences: "subscriber-set-preferences",
	qArticleImageUpdate:       "article-image-update",
	qSignupsCountAll:          "signups-count-all",

	qAdminUserAdd:            "admin-user-add",
	qAdminUserByName:         "admin-user-by-name",
	qAdminUserByID:           "admin-user-by-id",
	qAdminUsers:              "admin-users",
	qAdminUsersAdmins:        "admin-users-admins",
	qAdminUserSetPassword:    "admin-user-set-password",
	qAdminUserSetRole:        "admin-user-set-role",
	qAdminUserSetEmail:       "admin-user-set-email",
	qAdminUserSignedIn:       "admin-user-signed-in",
	qAdminUserRemove:         "admin-user-remove",
	qAdminSessionAdd:         "admin-session-add",
	qAdminSessionGet:         "admin-session-get",
	qAdminSessionSeen:        "admin-session-seen",
	qAdminSessionRemove:      "admin-session-remove",
	qAdminSessionsRemoveUser: "admin-sessions-remove-user",
	qAdminSessionsExpire:     "admin-sessions-expire",
	qAdminSessionsCount:      "admin-sessions-count",

	qSubscribersPage:         "subscribers-page",
	qSubscribersPageStatus:   "subscribers-page-status",
	qSubscribersSearch:       "subscribers-search",
	qSubscribersSearchDomain: "subscribers-search-domain",
	qSubscribersGrowth:       "subscribers-growth",
	qSubscriberDeliveries:    "subscriber-deliveries",
	qSubscriberBounces:       "subscriber-bounces",
	qSourceArticles:          "source-articles",
	qSourcePause:             "source-pause",
	qSourceResume:            "source-resume",
	qSourcesPaused:           "sources-paused",
}

func (id queryID) String() string { return queryNames[id] }

// parseQueries reads the "-- name: " blocks of every .sql file in dir of
// fsys. A block runs to the next name or the end of its file. A block of
// comments only is a statement this dialect does not need (a lock that its
// transactions take already, say): running it does nothing.
func parseQueries(fsys fs.FS, dir string) (map[string]string, error) {
	files, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no query files in %s", dir)
	}
	out := map[string]string{}
	for _, file := range files {
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		var name string
		var body strings.Builder
		flush := func() {
			if name != "" {
				out[name] = strings.TrimSpace(body.String())
			}
			body.Reset()
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for line := 1; sc.Scan(); line++ {
			text := sc.Text()
			if n, ok := strings.CutPrefix(text, "-- name:"); ok {
				flush()
				name = strings.TrimSpace(n)
				if name == "" {
					return nil, fmt.Errorf("%s:%d: a query without a name", file, line)
				}
				if _, dup := out[name]; dup {
					return nil, fmt.Errorf("%s:%d: query %q is named twice", file, line, name)
				}
				continue
			}
			if name == "" {
				continue // a file's leading comment
			}
			body.WriteString(text)
			body.WriteByte('\n')
		}
		flush()
	}
	return out, nil
}

// loadQueries returns the dialect's statements by id. A statement the Go
// code runs that the files lack, or one the files have that no code runs,
// is an error: each dialect says everything, and nothing else.
func loadQueries(d *dialect) ([numQueries]string, error) {
	var texts [numQueries]string
	byName, err := parseQueries(sqlFiles, "queries/"+d.name)
	if err != nil {
		return texts, err
	}
	var missing []string
	for id, name := range queryNames {
		text, ok := byName[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		texts[id] = executable(text)
		delete(byName, name)
	}
	if len(missing) > 0 {
		return texts, fmt.Errorf("%s queries missing: %s", d.name, strings.Join(missing, ", "))
	}
	if len(byName) > 0 {
		extra := make([]string, 0, len(byName))
		for name := range byName {
			extra = append(extra, name)
		}
		sort.Strings(extra)
		return texts, fmt.Errorf("%s queries that nothing runs: %s", d.name, strings.Join(extra, ", "))
	}
	return texts, nil
}

// executable returns text, or "" if it holds nothing but comments.
func executable(text string) string {
	for _, line := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return text
		}
	}
	return ""
}

// prepare prepares every statement, so that one the schema does not
// support fails when the store opens rather than when it is first run.
func (s *Store) prepare(ctx context.Context) error {
	for id, text := range s.texts {
		if text == "" {
			continue
		}
		st, err := s.db.PrepareContext(ctx, text)
		if err != nil {
			return fmt.Errorf("query %s: %w", queryID(id), err)
		}
		s.stmts[id] = st
	}
	return nil
}

// runner runs the store's statements, outside a transaction (tx nil) or in
// one.
type runner struct {
	s  *Store
	tx *sql.Tx
}

func (r runner) stmt(ctx context.Context, id queryID) *sql.Stmt {
	st := r.s.stmts[id]
	if r.tx != nil {
		return r.tx.StmtContext(ctx, st)
	}
	return st
}

func (r runner) exec(ctx context.Context, id queryID, args ...any) (sql.Result, error) {
	if r.s.stmts[id] == nil {
		if r.s.texts[id] == "" {
			return driver.RowsAffected(0), nil
		}
		return nil, fmt.Errorf("query %s is not prepared", id)
	}
	return r.stmt(ctx, id).ExecContext(ctx, args...)
}

func (r runner) query(ctx context.Context, id queryID, args ...any) (*sql.Rows, error) {
	return r.stmt(ctx, id).QueryContext(ctx, args...)
}

func (r runner) queryRow(ctx context.Context, id queryID, args ...any) *sql.Row {
	return r.stmt(ctx, id).QueryRowContext(ctx, args...)
}

func (s *Store) exec(ctx context.Context, id queryID, args ...any) (sql.Result, error) {
	return runner{s: s}.exec(ctx, id, args...)
}

func (s *Store) query(ctx context.Context, id queryID, args ...any) (*sql.Rows, error) {
	return runner{s: s}.query(ctx, id, args...)
}

func (s *Store) queryRow(ctx context.Context, id queryID, args ...any) *sql.Row {
	return runner{s: s}.queryRow(ctx, id, args...)
}
