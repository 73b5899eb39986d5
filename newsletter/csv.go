package newsletter

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bulletin-app/bulletin/store"
)

// csvHeader is the first line of an export; imports take it too.
var csvHeader = []string{"email", "name", "status", "created_at", "confirmed_at"}

// ExportCSV writes subscribers (filtered by status as in ListSubscribers) as
// CSV with a header line; ImportCSV reads it back. A cell a spreadsheet
// would take for a formula is written with a leading single quote (see
// csvCell), which the import takes off again.
func ExportCSV(ctx context.Context, st *store.Store, w io.Writer, status string) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return 0, err
	}
	n := 0
	err := ListSubscribers(ctx, st, status, func(s store.Subscriber) error {
		n++
		return cw.Write([]string{csvCell(s.Email), csvCell(s.Name), string(s.Status), csvTime(s.CreatedAt), csvTime(s.ConfirmedAt)})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}

// formulaStart is what a spreadsheet takes a cell to be a formula by, or
// strips before it looks (OWASP's CSV injection rule): =, +, -, @, tab, CR.
const formulaStart = "=+-@\t\r"

// csvCell neutralizes a value a spreadsheet would run as a formula (a
// name like =HYPERLINK(...) typed into the sign-up form) with a leading
// single quote, which spreadsheets show as text and do not show. A value
// that starts with quotes before such a character gets one more, so that
// csvUncell tells the two apart and an import reads back exactly what was
// exported.
func csvCell(v string) string {
	if rest := strings.TrimLeft(v, "'"); rest != "" && strings.IndexByte(formulaStart, rest[0]) >= 0 {
		return "'" + v
	}
	return v
}

// csvUncell undoes csvCell. A quote before anything else is the value's
// own and stays.
func csvUncell(v string) string {
	if q, ok := strings.CutPrefix(v, "'"); ok {
		if rest := strings.TrimLeft(q, "'"); rest != "" && strings.IndexByte(formulaStart, rest[0]) >= 0 {
			return q
		}
	}
	return v
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ImportOptions tunes ImportCSV.
type ImportOptions struct {
	// Confirmed says the operator vouches for the list's consent: it is
	// required. An import does not send confirmation emails, and a
	// pending row that nothing ever asks to confirm would wait forever;
	// addresses whose owners must still confirm are added one by one with
	// Newsletter.Subscribe (bulletin subscribers add), which sends the link.
	Confirmed bool
}

// ErrImportNeedsConfirmed is returned by ImportCSV without
// ImportOptions.Confirmed.
var ErrImportNeedsConfirmed = errors.New("an import adds subscribers as confirmed and sends nothing: " +
	"pass --confirmed if you vouch for their consent; without it nothing would ever ask them to confirm")

// RowError is an import row that was refused.
type RowError struct {
	Line int // 1-based line in the file
	Err  error
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// ImportReport tells what an import did.
type ImportReport struct {
	Added    int        // new subscribers stored
	Existing int        // addresses already known, left as they were
	Invalid  []RowError // refused rows, with their line numbers and reasons
}

func (r ImportReport) String() string {
	return fmt.Sprintf("%d added, %d already known, %d refused", r.Added, r.Existing, len(r.Invalid))
}

// ImportCSV reads subscribers from CSV: a column "email" (or, without a
// header line, the first column), optionally "name" and "status", and adds
// them as confirmed (opts.Confirmed is required). A status column is
// honoured where it says not to mail: unsubscribed, bounced and complained
// rows are stored so (a suppression list survives a move), confirmed or
// empty ones are confirmed, and pending ones are refused, since nothing
// would ever ask them to confirm. Refused rows (invalid, repeated, pending,
// erased with ForgetSubscriber) are reported with their line numbers and
// reasons and left out; the others are stored in one transaction, so an
// import that fails stores nothing.
func ImportCSV(ctx context.Context, st *store.Store, r io.Reader, opts ImportOptions) (ImportReport, error) {
	var rep ImportReport
	if !opts.Confirmed {
		return rep, ErrImportNeedsConfirmed
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	col := map[string]int{"email": 0, "name": 1, "status": -1}
	var rows []store.NewSubscriber
	seen := map[string]int{}
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.Invalid = append(rep.Invalid, RowError{Line: pe.StartLine, Err: pe.Err})
				continue
			}
			return ImportReport{}, fmt.Errorf("import: %w", err)
		}
		// Only after a record was read: FieldPos panics otherwise.
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if h := headerColumns(rec); h != nil {
				col = h
				continue
			}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		ns, err := importRow(rec, col)
		if err != nil {
			rep.Invalid = append(rep.Invalid, RowError{Line: line, Err: err})
			continue
		}
		key := strings.ToLower(ns.Email)
		if prev, dup := seen[key]; dup {
			rep.Invalid = append(rep.Invalid, RowError{Line: line, Err: fmt.Errorf("%s repeats line %d", ns.Email, prev)})
			continue
		}
		seen[key] = line
		rows = append(rows, ns)
	}
	// Erased addresses, looked up a batch at a time.
	emails := make([]string, len(rows))
	for i, ns := range rows {
		emails[i] = ns.Email
	}
	suppressed, err := st.SuppressedAmong(ctx, emails)
	if err != nil {
		return ImportReport{Invalid: rep.Invalid}, fmt.Errorf("import: %w", err)
	}
	if len(suppressed) > 0 {
		kept := rows[:0]
		for _, ns := range rows {
			if suppressed[ns.Email] {
				rep.Invalid = append(rep.Invalid, RowError{Line: seen[strings.ToLower(ns.Email)], Err: fmt.Errorf("%s: %w", ns.Email, ErrSuppressed)})
				continue
			}
			kept = append(kept, ns)
		}
		rows = kept
		slices.SortStableFunc(rep.Invalid, func(a, b RowError) int { return a.Line - b.Line })
	}
	added, existing, err := st.ImportSubscribers(ctx, rows)
	if err != nil {
		return ImportReport{Invalid: rep.Invalid}, err
	}
	rep.Added, rep.Existing = added, existing
	return rep, nil
}

// headerColumns maps column names to indexes if rec is a header line.
func headerColumns(rec []string) map[string]int {
	col := map[string]int{"email": -1, "name": -1, "status": -1}
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch h {
		case "email", "e-mail", "email address", "address":
			col["email"] = i
		case "name", "full name":
			col["name"] = i
		case "status":
			col["status"] = i
		}
	}
	if col["email"] < 0 {
		return nil
	}
	return col
}

func importRow(rec []string, col map[string]int) (store.NewSubscriber, error) {
	field := func(name string) string {
		if i := col[name]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(csvUncell(rec[i]))
		}
		return ""
	}
	a, err := ParseAddress(field("email"))
	if err != nil {
		return store.NewSubscriber{}, err
	}
	name := field("name")
	if name == "" {
		name = a.Name
	}
	if err := checkHeaderText("name", name); err != nil {
		return store.NewSubscriber{}, err
	}
	ns := store.NewSubscriber{Email: a.Address, Name: name, Status: store.StatusConfirmed}
	if field("status") == "" {
		return ns, nil
	}
	if ns.Status, err = store.ParseSubscriberStatus(field("status")); err != nil {
		return store.NewSubscriber{}, err
	}
	if ns.Status == store.StatusPending {
		return store.NewSubscriber{}, fmt.Errorf("%s has status pending: an import sends no confirmation, so it would stay pending; add it with \"bulletin subscribers add\", which sends one", a.Address)
	}
	return ns, nil
}

// WriteList writes subscribers (filtered by status as in ListSubscribers)
// as an aligned table with a header line and each subscriber's last bounce
// or complaint, as text/tabwriter would align it, but streaming: the
// column widths come from the store first, so that the rows need not be
// held, and the output is buffered.
func WriteList(ctx context.Context, st *store.Store, w io.Writer, status string) (int, error) {
	var want store.SubscriberStatus
	if status != "" {
		var err error
		if want, err = store.ParseSubscriberStatus(status); err != nil {
			return 0, err
		}
	}
	emailW, nameW, statusW, err := st.SubscriberWidths(ctx, want)
	if err != nil {
		return 0, err
	}
	const gap = 2
	sinceW := len("SINCE") + gap
	if emailW > 0 { // there are rows, each with its date
		sinceW = len("2006-01-02") + gap
	}
	emailW, nameW, statusW = max(emailW, len("EMAIL"))+gap, max(nameW, len("NAME"))+gap, max(statusW, len("STATUS"))+gap
	bw := bufio.NewWriterSize(w, 64<<10)
	row := func(email, name, status, since, bounce string) {
		pad(bw, email, emailW)
		pad(bw, name, nameW)
		pad(bw, status, statusW)
		pad(bw, since, sinceW)
		bw.WriteString(bounce)
		bw.WriteByte('\n')
	}
	row("EMAIL", "NAME", "STATUS", "SINCE", "LAST BOUNCE OR COMPLAINT")
	n := 0
	err = ListSubscribersWithBounces(ctx, st, status, func(s store.Subscriber, b *store.SubscriberBounces) error {
		n++
		row(s.Email, s.Name, string(s.Status), s.CreatedAt.Format("2006-01-02"), lastBounce(b))
		return nil
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return n, err
}

// pad writes s and spaces up to width characters.
func pad(w *bufio.Writer, s string, width int) {
	w.WriteString(s)
	for n := utf8.RuneCountInString(s); n < width; n++ {
		w.WriteByte(' ')
	}
}

// lastBounce sums up a subscriber's reports after the send: "hard 5.1.1,
// issue #3, 2026-11-02 (2 reports)", or "-".
func lastBounce(b *store.SubscriberBounces) string {
	if b == nil {
		return "-"
	}
	e := b.Last
	out := string(e.Kind)
	if e.Status != "" {
		out += " " + e.Status
	}
	out += fmt.Sprintf(", issue #%d, %s", e.IssueNumber, e.CreatedAt.Format("2006-01-02"))
	if b.Count > 1 {
		out += fmt.Sprintf(" (%d reports)", b.Count)
	}
	return out
}
