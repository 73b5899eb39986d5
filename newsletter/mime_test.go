package newsletter

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// goMailMsg is msg as go-mail alone makes it: the same header, with the
// parts handed to go-mail to encode and lay out. It is the reference the
// message bulletin writes must equal, and what the bare loop of the
// benchmarks sends. It takes over msg's go-mail message.
func goMailMsg(msg *outgoing, boundary string) *gomail.Msg {
	m := msg.msg
	if boundary != "" {
		m.SetBoundary(boundary)
	}
	m.SetBodyWriter(gomail.TypeTextPlain, msg.text.writeRaw)
	m.AddAlternativeWriter(gomail.TypeTextHTML, msg.html.writeRaw)
	return m
}

// Every message of an issue is written byte for byte as go-mail writes it
// (with the same boundary and date): subscribers with and without a name,
// non-ASCII names, and a test copy.
func TestMessageBytesAreGoMails(t *testing.T) {
	ctx := context.Background()
	st := openStoreWithEntries(t, 20)
	n := newTestNewsletter(t, st, testOptions(t))
	is, err := st.Issue(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, 11, 2, 7, 0, 0, 0, time.UTC)
	for _, test := range []bool{false, true} {
		r, err := n.renderIssue(mailing{Issue: is}, test)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range []struct{ email, name string }{
			{"reader@example.org", ""}, {"Ana.Lopez@example.org", "Ana López"}, {"x@example.org", "Zoë \"the\" Reader = 100%"},
			{"a.long.address.past.half.a.line.of.quoted-printable@example.org", "名前"},
		} {
			mine, err := n.personalMsg(r, s.email, s.name, fmt.Sprintf("id.%d@example.org", i))
			if err != nil {
				t.Fatal(err)
			}
			mine.boundary = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
			mine.msg.SetDateWithValue(date)
			var got bytes.Buffer
			if err := n.writeMsg(&got, mine); err != nil {
				t.Fatal(err)
			}
			theirs, err := n.personalMsg(r, s.email, s.name, fmt.Sprintf("id.%d@example.org", i))
			if err != nil {
				t.Fatal(err)
			}
			theirs.msg.SetDateWithValue(date)
			var want bytes.Buffer
			if _, err := goMailMsg(theirs, mine.boundary).WriteTo(&want); err != nil {
				t.Fatal(err)
			}
			// go-mail writes its preformatted header fields (List-Id,
			// List-Unsubscribe…) in map order, which changes from one
			// write to the next: the fields are compared as sets, the body
			// byte for byte.
			gh, gb, _ := strings.Cut(got.String(), "\r\n\r\n")
			wh, wb, _ := strings.Cut(want.String(), "\r\n\r\n")
			if fmt.Sprint(headerFields(gh)) != fmt.Sprint(headerFields(wh)) {
				t.Errorf("%s (test %v): header fields\n%q\nwant\n%q", s.email, test, headerFields(gh), headerFields(wh))
			}
			if gb != wb {
				t.Errorf("%s (test %v): the body differs from go-mail's:\n%s", s.email, test, firstDiff(gb, wb))
			}
		}
	}
}

// headerFields returns the fields of a header, each with its folded lines,
// sorted.
func headerFields(h string) []string {
	var out []string
	for _, line := range strings.Split(h, "\r\n") {
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			out[len(out)-1] += "\r\n" + line
			continue
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("at byte %d:\n got  …%q\n want …%q", i, a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}

// randomBody is text that makes quoted-printable work: long lines, spaces
// and tabs before line ends, "=", CR, LF and CRLF, non-ASCII, and lines
// that reach the 76-character limit at every offset.
func randomBody(rng *rand.Rand) string {
	atoms := []string{"a", "word ", "=", " ", "\t", "\n", "\r\n", "\r", "é", "名", ".", "..", strings.Repeat("x", 70), strings.Repeat("y ", 37), "<p style=\"color: red\">"}
	var b strings.Builder
	for range rng.IntN(400) {
		b.WriteString(atoms[rng.IntN(len(atoms))])
	}
	return b.String()
}

// pieces.writeQP, which encodes most of a body in advance, gives the bytes
// of quotedprintable.Writer on the whole body with the values filled in.
func TestPiecesQuotedPrintableAsTheLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var body strings.Builder
		for range rng.IntN(6) {
			body.WriteString(randomBody(rng))
			body.WriteString(placeholders[rng.IntN(int(numFields))])
		}
		body.WriteString(randomBody(rng))
		p := cut(body.String())
		var values [numFields]string
		for f := range values {
			values[f] = randomBody(rng)[:0] + strings.Repeat("v=é ", rng.IntN(30))
		}
		var want bytes.Buffer
		qp := quotedprintable.NewWriter(&want)
		p.writeTo(qp, &values)
		qp.Close()
		var got bytes.Buffer
		p.writeQP(&got, &values)
		if got.String() != want.String() {
			t.Fatalf("body %q: %s", body.String(), firstDiff(got.String(), want.String()))
		}
	}
}

// dotStuff writes what textproto's DotWriter writes, less the final ".".
func TestDotStuffAsTextproto(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		var msg strings.Builder
		for range 1 + rng.IntN(40) {
			msg.WriteString([]string{".", "..", "a", ". x", "line"}[rng.IntN(5)])
			msg.WriteString("\r\n")
		}
		var want bytes.Buffer
		bw := bufio.NewWriter(&want)
		dw := textproto.NewWriter(bw).DotWriter()
		dw.Write([]byte(msg.String()))
		dw.Close()
		bw.Flush()
		var got bytes.Buffer
		dotStuff(&got, []byte(msg.String()))
		got.WriteString(".\r\n")
		if got.String() != want.String() {
			t.Fatalf("%q: got %q, want %q", msg.String(), got.String(), want.String())
		}
	}
}
