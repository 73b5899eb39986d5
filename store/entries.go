package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulletin-app/bulletin/source"
)

// Entry is a digest entry: an article's summary, as stored, with the article
// fields that feeds and emails show beside it.
type Entry struct {
	ID        int64
	ArticleID int64
	// ArticleKey is the article's stable identity; feed ids derive from it so
	// they survive a rebuilt database.
	ArticleKey string
	// Title and Summary are what readers see: an editor's, when the entry
	// was edited in a draft (see ArticleTitle and MachineSummary).
	Title     string
	URL       string
	Author    string
	Source    string
	Published time.Time // the article's, zero when unknown
	Summary   []string  // one sentence each
	Teaser    string
	Method    string
	// ContentHash is the hash of the article content the summary was made from.
	ContentHash string
	IssueNumber int // 0 until the entry goes into an issue
	// FeedSeq is the entry's place in the entries feed, 1 for the first
	// entry ever issued; 0 until the entry goes into an issue.
	FeedSeq   int
	CreatedAt time.Time
	UpdatedAt time.Time
	// Also are the other reports of the same story, merged into this entry.
	Also []Link
	// Names are the people and other proper names the article is about
	// (see digest.StoryNames), by which stories connect across issues.
	Names []string
	// StoryID is the first entry of the story this entry belongs to, which
	// names the story's page; 0 when the entry continues no story and none
	// continues it.
	StoryID int64
	// Earlier is the entry of an earlier issue whose story this one
	// continues, nil when none.
	Earlier *Earlier

	// Lead marks the issue's lead story, which comes first.
	Lead bool
	// ArticleTitle and MachineSummary are the article's title and the
	// summary written for it, kept beside an editor's texts so that an edit
	// can be undone; TitleEdited and SummaryEdited tell whether Title and
	// Summary are an editor's.
	ArticleTitle   string
	MachineSummary []string
	TitleEdited    bool
	SummaryEdited  bool
	// Image is the article's picture; its URL is "" when it has none.
	Image source.Image
}

// Earlier is the entry of an earlier issue that a new entry follows up.
type Earlier struct {
	ID          int64
	Title       string
	IssueNumber int
	ArticleKey  string
	Summary     []string
}

// Link is another place a story was told.
type Link struct {
	Title, URL, Source string
}

// Issue is one numbered edition of the newsletter.
type Issue struct {
	Number    int
	Title     string
	CreatedAt time.Time
	// Entries come in the order readers see them: the lead story first,
	// then as the editor placed them, else newest article first.
	Entries []Entry

	State IssueState
	// SendAt is when a scheduled issue is to be sent, and when a released
	// one was released; zero for a draft, and for the issues released
	// before there were states.
	SendAt time.Time
	SentAt time.Time // when its send ran to the end
	// SendError says why the last send stopped short of everyone; a send
	// that stopped so is not taken up again on its own.
	SendError string
	// Subject is the email's subject as an editor wrote it; empty: Title.
	Subject string
	// Intro is an editor's introduction, in Markdown.
	Intro    string
	EditedAt time.Time
}

// MailSubject is the subject of the issue's email as the editor set it;
// empty: Title.
func (is Issue) MailSubject() string {
	if is.Subject != "" {
		return is.Subject
	}
	return is.Title
}

// Headline is the subject and title of the issue's email when the editor
// wrote none (Subject): its lead
// story's title, and how many more it tells ("Tram line opens early, and
// 4 more stories"), from its entries as they are now (an editor's order
// and edits included). An issue with no entry (or read without them) has
// its Title.
func (is Issue) Headline() string {
	if len(is.Entries) == 0 {
		return is.Title
	}
	lead := strings.Join(strings.Fields(is.Entries[0].Title), " ")
	if r := []rune(lead); len(r) > 110 {
		lead = strings.TrimSpace(string(r[:109])) + "…"
	}
	switch more := len(is.Entries) - 1; {
	case lead == "":
		return is.Title
	case more == 0:
		return lead
	case more == 1:
		return lead + ", and 1 more story"
	default:
		return fmt.Sprintf("%s, and %d more stories", lead, more)
	}
}

// SaveEntry writes the entry for e.ArticleID, replacing an older summary of
// the same article but keeping the issue it is in.
func (s *Store) SaveEntry(ctx context.Context, e Entry) error {
	// The time is taken once the transaction holds the lock, so that a
	// change is stamped no earlier than a publish running meanwhile could
	// have missed it (see feed.Publish).
	err := s.tx(ctx, func(tx runner) error {
		now := s.timeArg(s.now())
		_, err := tx.exec(ctx, qEntrySave, e.ArticleID, e.ContentHash, strings.Join(e.Summary, "\n"), e.Teaser, e.Method, now, now, strings.Join(e.Names, "\n"))
		return err
	})
	if err != nil {
		return fmt.Errorf("save entry for article %d: %w", e.ArticleID, err)
	}
	return nil
}

// queryEntries runs one of the queries that list entries.
func (s *Store) queryEntries(ctx context.Context, id queryID, args ...any) ([]Entry, error) {
	rows, err := s.query(ctx, id, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var summary, title, edited, names, earlierSummary string
		var earlier Earlier
		if err := rows.Scan(&e.ID, &e.ArticleID, &e.ArticleKey, &e.ArticleTitle, &e.URL, &e.Author, &e.Source,
			scanTime{&e.Published}, &summary, &e.Teaser, &e.Method, &e.ContentHash, &e.IssueNumber,
			scanTime{&e.CreatedAt}, scanTime{&e.UpdatedAt}, &e.Lead, &title, &edited, &e.FeedSeq,
			&e.Image.URL, &e.Image.Width, &e.Image.Height, &e.Image.Alt,
			&names, &e.StoryID, &earlier.ID, &earlier.Title, &earlier.IssueNumber, &earlier.ArticleKey, &earlierSummary); err != nil {
			return nil, err
		}
		if names != "" {
			e.Names = strings.Split(names, "\n")
		}
		if earlier.ID != 0 {
			if earlierSummary != "" {
				earlier.Summary = strings.Split(earlierSummary, "\n")
			}
			e.Earlier = &earlier
		}
		e.setTexts(summary, title, edited)
		out = append(out, e)
	}
	return out, rows.Err()
}

// setTexts sets what readers see of e (read with its ArticleTitle and
// Teaser) from the machine's summary and the editor's title and summary
// as stored: one sentence a line, "" for none.
func (e *Entry) setTexts(summary, title, edited string) {
	if summary != "" {
		e.MachineSummary = strings.Split(summary, "\n")
	}
	e.Title, e.Summary = e.ArticleTitle, e.MachineSummary
	if title != "" {
		e.Title, e.TitleEdited = title, true
	}
	if edited != "" {
		// The teaser was the machine's, of its own summary: the feeds
		// fall back to the editor's first sentence.
		e.Summary, e.SummaryEdited, e.Teaser = strings.Split(edited, "\n"), true, ""
	}
}

// UnissuedEntries returns the entries not yet in an issue, newest first,
// leaving out articles seeded from a new source.
func (s *Store) UnissuedEntries(ctx context.Context) ([]Entry, error) {
	return s.queryEntries(ctx, qEntriesUnissued)
}

// MarkDuplicate records that entry id tells the story of entry of; it then
// goes into no issue itself, and shows as another report beside of.
func (s *Store) MarkDuplicate(ctx context.Context, id, of int64) error {
	if id == of {
		return fmt.Errorf("entry %d cannot duplicate itself", id)
	}
	// Stamped under the lock, as in SaveEntry.
	return s.tx(ctx, func(tx runner) error {
		_, err := tx.exec(ctx, qEntryMarkDuplicate, of, s.timeArg(s.now()), id)
		return err
	})
}

// LeaveOutEntries leaves the given unissued entries out of every issue:
// they were too old, or too many for one (digest.max_entries).
func (s *Store) LeaveOutEntries(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.timeArg(s.now())
	err := s.tx(ctx, func(tx runner) error {
		st := tx.stmt(ctx, qEntryLeaveOut)
		for _, id := range ids {
			if _, err := st.ExecContext(ctx, now, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("leave out %d entries: %w", len(ids), err)
	}
	return nil
}

// CreateIssue numbers a new issue, puts the given entries in it, in that
// order (an editor's lead story, once chosen, goes before them: SetLead),
// and
// releases it at once: it is published and sent as it is, as when review
// is off. Entries that another issue took meanwhile are left where they
// are; if that leaves none of several, the issue is not created and
// ErrNotFound is returned. No entries at all make an empty issue: the
// caller asked for one. While an issue awaits review (a draft, or
// scheduled), no new one is made: the error wraps ErrAwaitingReview.
func (s *Store) CreateIssue(ctx context.Context, title func(number int) string, entryIDs []int64) (Issue, error) {
	return s.createIssue(ctx, title, entryIDs, IssueSending)
}

// CreateDraft is CreateIssue for an issue that an editor reviews before
// it is released: a draft, published nowhere and mailed to nobody.
func (s *Store) CreateDraft(ctx context.Context, title func(number int) string, entryIDs []int64) (Issue, error) {
	return s.createIssue(ctx, title, entryIDs, IssueDraft)
}

func (s *Store) createIssue(ctx context.Context, title func(number int) string, entryIDs []int64, state IssueState) (Issue, error) {
	var number int
	err := s.tx(ctx, func(tx runner) error {
		if _, err := tx.exec(ctx, qIssueLock); err != nil {
			return err
		}
		var waiting int
		if err := tx.queryRow(ctx, qIssueAwaitingReview).Scan(&waiting); err != nil {
			return err
		}
		if waiting != 0 {
			return fmt.Errorf("create issue: issue %d: %w", waiting, ErrAwaitingReview)
		}
		if err := tx.queryRow(ctx, qIssueNextNumber).Scan(&number); err != nil {
			return err
		}
		now := s.now()
		var sendAt any
		if state == IssueSending {
			sendAt = s.timeArg(now)
		}
		if _, err := tx.exec(ctx, qIssueInsert, number, title(number), s.timeArg(now), string(state), sendAt); err != nil {
			return err
		}
		taken := 0
		take := tx.stmt(ctx, qEntryTake)
		for i, id := range entryIDs {
			res, err := take.ExecContext(ctx, number, i+1, id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			taken += int(n)
		}
		if taken == 0 && len(entryIDs) > 0 {
			return fmt.Errorf("create issue: no unissued entries: %w", ErrNotFound)
		}
		if state == IssueSending {
			return tx.placeInFeed(ctx, number)
		}
		return nil
	})
	if err != nil {
		return Issue{}, err
	}
	return s.Issue(ctx, number)
}

// placeInFeed gives the entries of issue n, as it is released, the next
// places in the entries feed, and records how many it holds.
func (tx runner) placeInFeed(ctx context.Context, n int) error {
	var last int
	if err := tx.queryRow(ctx, qIssueNextSeq).Scan(&last); err != nil {
		return err
	}
	res, err := tx.exec(ctx, qIssueSeqAssign, last, n)
	if err != nil {
		return err
	}
	count, err := res.RowsAffected()
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, qIssueSetCount, count, n)
	return err
}

// Issue returns issue n with its entries.
func (s *Store) Issue(ctx context.Context, n int) (Issue, error) {
	var is Issue
	err := s.queryRow(ctx, qIssueGet, n).Scan(issueColumns(&is)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Issue{}, fmt.Errorf("issue %d: %w", n, ErrNotFound)
	}
	if err != nil {
		return Issue{}, fmt.Errorf("issue %d: %w", n, err)
	}
	is.Entries, err = s.queryEntries(ctx, qIssueEntries, n)
	if err != nil {
		return Issue{}, fmt.Errorf("issue %d: %w", n, err)
	}
	if err := s.attachDuplicates(ctx, is.Entries, qIssueDuplicates, n); err != nil {
		return Issue{}, fmt.Errorf("issue %d: %w", n, err)
	}
	return is, nil
}

// attachDuplicates fills in the other reports of each entry's story, all
// of which the query (of issue-duplicates' columns) lists.
func (s *Store) attachDuplicates(ctx context.Context, entries []Entry, id queryID, args ...any) error {
	if len(entries) == 0 {
		return nil
	}
	byID := make(map[int64]*Entry, len(entries))
	for i := range entries {
		byID[entries[i].ID] = &entries[i]
	}
	rows, err := s.query(ctx, id, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var of int64
		var l Link
		if err := rows.Scan(&of, &l.Title, &l.URL, &l.Source); err != nil {
			return err
		}
		if e := byID[of]; e != nil {
			e.Also = append(e.Also, l)
		}
	}
	return rows.Err()
}

// LatestIssue returns the issue with the highest number.
func (s *Store) LatestIssue(ctx context.Context) (Issue, error) {
	var n int
	if err := s.queryRow(ctx, qIssueLatestNumber).Scan(&n); err != nil {
		return Issue{}, err
	}
	if n == 0 {
		return Issue{}, fmt.Errorf("latest issue: %w", ErrNotFound)
	}
	return s.Issue(ctx, n)
}

// Issues returns the newest published issues (released: sending or sent)
// with their entries, newest first; limit <= 0 returns them all. Drafts and
// scheduled issues are in no feed and on no page: see IssueList.
func (s *Store) Issues(ctx context.Context, limit int) ([]Issue, error) {
	rows, err := s.query(ctx, qIssueNumbers, limitArg(limit))
	if err != nil {
		return nil, err
	}
	var numbers []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		numbers = append(numbers, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Issue, 0, len(numbers))
	for _, n := range numbers {
		is, err := s.Issue(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, is)
	}
	return out, nil
}

// IssuedBriefs returns the newest entries that are in an issue (limit <= 0:
// all), with only what comparing them with new entries reads: ID,
// ArticleKey, ArticleTitle, Title, MachineSummary, Summary (with the
// editor's title and summary applied, as queryEntries applies them), Names
// and IssueNumber. The rest is zero. A publish reads 5,000 of them to link
// stories, and the whole entries would cost it three times as much.
func (s *Store) IssuedBriefs(ctx context.Context, limit int) ([]Entry, error) {
	rows, err := s.query(ctx, qEntriesIssued, limitArg(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var summary, title, edited, names string
		if err := rows.Scan(&e.ID, &e.ArticleKey, &e.ArticleTitle, &summary, &title, &edited, &names, &e.IssueNumber); err != nil {
			return nil, err
		}
		if names != "" {
			e.Names = strings.Split(names, "\n")
		}
		e.setTexts(summary, title, edited)
		out = append(out, e)
	}
	return out, rows.Err()
}

// PublishedVersion changes whenever what the feeds and archive show could
// have: an issue built, an entry summarized again or given another report,
// an article updated. A server compares it to notice a publish by another
// process. It costs a few index lookups, however long the archive.
func (s *Store) PublishedVersion(ctx context.Context) (string, error) {
	var issues, entries int
	var entryUpdated, articleUpdated time.Time
	err := s.queryRow(ctx, qPublishedVersion).Scan(&issues, &entries, scanTime{&entryUpdated}, scanTime{&articleUpdated})
	if err != nil {
		return "", fmt.Errorf("published version: %w", err)
	}
	return fmt.Sprintf("%d/%d/%s/%s", issues, entries, versionTime(entryUpdated), versionTime(articleUpdated)), nil
}

func versionTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(t)
}

// FeedTotals is where the published feeds end.
type FeedTotals struct {
	Issues  int // the last issue's number
	Entries int // the last issued entry's place in the entries feed
	// Updated is the newest change among the issues and their entries:
	// the newest issue, or an entry summarized again since.
	Updated time.Time
}

// FeedTotals returns where the feeds end.
func (s *Store) FeedTotals(ctx context.Context) (FeedTotals, error) {
	var t FeedTotals
	var created time.Time
	if err := s.queryRow(ctx, qFeedTotals).Scan(&t.Issues, &t.Entries, scanTime{&created}, scanTime{&t.Updated}); err != nil {
		return t, fmt.Errorf("feed totals: %w", err)
	}
	if created.After(t.Updated) {
		t.Updated = created
	}
	return t, nil
}

// FeedEntries returns the issued entries at places from+1 … to of the
// entries feed, newest first, with their other reports.
func (s *Store) FeedEntries(ctx context.Context, from, to int) ([]Entry, error) {
	entries, err := s.queryEntries(ctx, qFeedEntries, from, to)
	if err != nil {
		return nil, fmt.Errorf("feed entries %d–%d: %w", from+1, to, err)
	}
	if err := s.attachDuplicates(ctx, entries, qFeedDuplicates, from, to); err != nil {
		return nil, fmt.Errorf("feed entries %d–%d: %w", from+1, to, err)
	}
	return entries, nil
}

// IssuesBetween returns the published issues from+1 … to, newest first,
// with their entries and their other reports, in three queries.
func (s *Store) IssuesBetween(ctx context.Context, from, to int) ([]Issue, error) {
	rows, err := s.query(ctx, qIssuesBetween, from, to)
	if err != nil {
		return nil, fmt.Errorf("issues %d–%d: %w", from+1, to, err)
	}
	var out []Issue
	for rows.Next() {
		var is Issue
		if err := rows.Scan(issueColumns(&is)...); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, is)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	entries, err := s.queryEntries(ctx, qIssuesBetweenEntries, from, to)
	if err != nil {
		return nil, fmt.Errorf("issues %d–%d: %w", from+1, to, err)
	}
	if err := s.attachDuplicates(ctx, entries, qIssuesBetweenDuplicates, from, to); err != nil {
		return nil, fmt.Errorf("issues %d–%d: %w", from+1, to, err)
	}
	byNumber := make(map[int]*Issue, len(out))
	for i := range out {
		byNumber[out[i].Number] = &out[i]
	}
	for _, e := range entries {
		if is := byNumber[e.IssueNumber]; is != nil {
			is.Entries = append(is.Entries, e)
		}
	}
	return out, nil
}

// IssueInfo is an issue as the archive's index lists it.
type IssueInfo struct {
	Number    int
	Title     string
	CreatedAt time.Time
	Entries   int // how many entries it holds
}

// IssueInfos returns the published issues from+1 … to, newest first,
// without entries.
func (s *Store) IssueInfos(ctx context.Context, from, to int) ([]IssueInfo, error) {
	rows, err := s.query(ctx, qIssueInfos, from, to)
	if err != nil {
		return nil, fmt.Errorf("issues %d–%d: %w", from+1, to, err)
	}
	defer rows.Close()
	var out []IssueInfo
	for rows.Next() {
		var is IssueInfo
		if err := rows.Scan(&is.Number, &is.Title, scanTime{&is.CreatedAt}, &is.Entries); err != nil {
			return nil, err
		}
		out = append(out, is)
	}
	return out, rows.Err()
}

// IssueLeads returns the first n entries of each published issue from+1
// … to, its lead stories, newest issue first, each issue's in the order
// Issue gives them, without their other reports: what the archive's index
// shows of each issue.
func (s *Store) IssueLeads(ctx context.Context, from, to, n int) ([]Entry, error) {
	entries, err := s.queryEntries(ctx, qIssueLeads, from, to, n)
	if err != nil {
		return nil, fmt.Errorf("lead stories of issues %d–%d: %w", from+1, to, err)
	}
	return entries, nil
}

// FeedChange is an issued entry whose summary, article or other reports
// changed.
type FeedChange struct {
	Issue   int
	FeedSeq int
	Story   int64 // 0: the entry is in no story
}

// FeedChanges returns the issued entries that changed at or after since,
// or whose other reports or earlier entry (Entry.Earlier) did.
func (s *Store) FeedChanges(ctx context.Context, since time.Time) ([]FeedChange, error) {
	t := s.timeArg(since)
	rows, err := s.query(ctx, qFeedChanges, t, t, t, t, t, t)
	if err != nil {
		return nil, fmt.Errorf("feed changes: %w", err)
	}
	defer rows.Close()
	var out []FeedChange
	for rows.Next() {
		var c FeedChange
		var seq sql.NullInt64
		if err := rows.Scan(&c.Issue, &seq, &c.Story); err != nil {
			return nil, err
		}
		c.FeedSeq = int(seq.Int64)
		out = append(out, c)
	}
	return out, rows.Err()
}

// LinkEarlier records that entry id, not yet in an issue, continues the
// story of entry earlier, which an earlier issue told: it joins that
// story, which earlier starts when it is in none yet.
func (s *Store) LinkEarlier(ctx context.Context, id, earlier int64) error {
	if id == earlier {
		return fmt.Errorf("entry %d cannot continue itself", id)
	}
	err := s.tx(ctx, func(tx runner) error {
		var story int64
		if err := tx.queryRow(ctx, qEntryStoryOf, earlier).Scan(&story); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, qEntryStartStory, earlier); err != nil {
			return err
		}
		_, err := tx.exec(ctx, qEntryLinkEarlier, earlier, story, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("link entry %d to %d: %w", id, earlier, err)
	}
	return nil
}

// UnissuedSources returns, for each entry awaiting an issue that other
// reports were merged into, the sources of those reports.
func (s *Store) UnissuedSources(ctx context.Context) (map[int64][]string, error) {
	rows, err := s.query(ctx, qEntriesUnissuedSources)
	if err != nil {
		return nil, fmt.Errorf("sources of unissued entries: %w", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var src string
		if err := rows.Scan(&id, &src); err != nil {
			return nil, err
		}
		out[id] = append(out[id], src)
	}
	return out, rows.Err()
}

// StoryEntries returns the published entries of story id (see
// Entry.StoryID), newest first, at most limit of them (<= 0: all), with
// their other reports.
func (s *Store) StoryEntries(ctx context.Context, id int64, limit int) ([]Entry, error) {
	entries, err := s.queryEntries(ctx, qStoryEntries, id, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("story %d: %w", id, err)
	}
	if err := s.attachDuplicates(ctx, entries, qStoryDuplicates, id); err != nil {
		return nil, fmt.Errorf("story %d: %w", id, err)
	}
	return entries, nil
}

// StoriesBetween returns the stories, by id, with an entry at places
// from+1 … to of the entries feed and at least two published entries:
// those that have a page.
func (s *Store) StoriesBetween(ctx context.Context, from, to int) ([]int64, error) {
	rows, err := s.query(ctx, qStoriesBetween, from, to)
	if err != nil {
		return nil, fmt.Errorf("stories %d–%d: %w", from+1, to, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
