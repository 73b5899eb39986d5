package newsletter

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/bulletin-app/bulletin/store"
)

func TestImportCSV(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	f, err := os.Open("testdata/import.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := ImportCSV(ctx, st, f, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 || rep.Existing != 0 {
		t.Fatalf("report %+v", rep)
	}
	var lines []int
	for _, e := range rep.Invalid {
		lines = append(lines, e.Line)
	}
	// not-an-address, repeated bob, dee@nodot, the name with a line break,
	// the unknown status.
	if got := fmt.Sprint(lines); got != "[3 6 7 8 10]" {
		t.Fatalf("invalid lines %v (%v)", lines, rep.Invalid)
	}
	if s, _ := st.SubscriberByEmail(ctx, "ann@example.org"); s.Status != store.StatusConfirmed || s.Name != "Ann Lee" {
		t.Errorf("ann: %+v", s)
	}
	if s, _ := st.SubscriberByEmail(ctx, "cy@example.org"); s.Status != store.StatusPending || s.Name != "Cy" {
		t.Errorf("cy: %+v", s)
	}

	var out bytes.Buffer
	n, err := ExportCSV(ctx, st, &out, "")
	if err != nil || n != 3 {
		t.Fatalf("export: %d %v", n, err)
	}
	st2 := openStore(t)
	rep2, err := ImportCSV(ctx, st2, &out, ImportOptions{})
	if err != nil || rep2.Added != 3 || len(rep2.Invalid) != 0 {
		t.Fatalf("re-import of export: %+v %v", rep2, err)
	}
	if s, _ := st2.SubscriberByEmail(ctx, "ann@example.org"); s.Status != store.StatusConfirmed {
		t.Errorf("status lost in export/import: %+v", s)
	}
	// Importing again keeps what is there; with Confirmed the status
	// column is not read, so the row with an unknown status goes in.
	f.Seek(0, 0)
	rep3, err := ImportCSV(ctx, st, f, ImportOptions{Confirmed: true})
	if err != nil || rep3.Added != 1 || rep3.Existing != 3 {
		t.Fatalf("second import: %+v %v", rep3, err)
	}
	if s, _ := st.SubscriberByEmail(ctx, "bob@example.org"); s.Status != store.StatusPending {
		t.Errorf("second import changed bob to %s", s.Status)
	}
}
