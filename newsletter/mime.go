package newsletter

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"mime/quotedprintable"
	"strings"
	"sync"

	gomail "github.com/wneessen/go-mail"
)

// outgoing is one message ready to go out. go-mail makes its header and
// envelope, as it always has; the body, a multipart/alternative of a text
// and an HTML part, each quoted-printable, is written here, byte for byte
// as go-mail writes it (a test holds them to that), but from parts encoded
// once per issue: only the few lines around the per-subscriber values are
// encoded for each message. The whole message is written once into a
// buffer, kept for a retry, and goes to the server in one write.
type outgoing struct {
	msg        *gomail.Msg
	text, html bodyPart
	// boundary separates the parts; empty, a random one is made.
	boundary string
	// rendered is the whole message, DKIM signature first, once written.
	rendered *bytes.Buffer
}

// bodyPart is the content of a part.
type bodyPart interface {
	// writeQP writes its quoted-printable encoding.
	writeQP(buf *bytes.Buffer)
	// writeRaw writes it as it is.
	writeRaw(w io.Writer) (int64, error)
}

// stringPart is a part given whole, as a confirmation's is.
type stringPart string

func (s stringPart) writeQP(buf *bytes.Buffer) {
	qp := quotedprintable.NewWriter(buf)
	io.WriteString(qp, string(s))
	qp.Close()
}

func (s stringPart) writeRaw(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, string(s))
	return int64(n), err
}

// piecesPart is a part of a rendered issue with one subscriber's values.
type piecesPart struct {
	p      *pieces
	values *[numFields]string
}

func (pp piecesPart) writeQP(buf *bytes.Buffer)           { pp.p.writeQP(buf, pp.values) }
func (pp piecesPart) writeRaw(w io.Writer) (int64, error) { return pp.p.writeTo(w, pp.values) }

var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes the whole message into o.rendered, once: a retry sends the
// same bytes. sign, when set, returns the DKIM-Signature field to put
// before them.
func (o *outgoing) render(sign func([]byte) (string, error)) ([]byte, error) {
	if o.rendered != nil {
		return o.rendered.Bytes(), nil
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := o.msg.WriteTo(buf); err != nil {
		renderBuffers.Put(buf)
		return nil, err
	}
	boundary := o.boundary
	if boundary == "" {
		boundary = newBoundary()
	}
	buf.WriteString("Content-Type: multipart/alternative;\r\n boundary=")
	buf.WriteString(boundary)
	buf.WriteString("\r\n\r\n")
	// As mime/multipart writes parts, with go-mail's part headers.
	buf.WriteString("--" + boundary + "\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n")
	o.text.writeQP(buf)
	buf.WriteString("\r\n--" + boundary + "\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n")
	o.html.writeQP(buf)
	buf.WriteString("\r\n--" + boundary + "--\r\n")
	if sign != nil {
		sig, err := sign(buf.Bytes())
		if err != nil {
			renderBuffers.Put(buf)
			return nil, err
		}
		signed := renderBuffers.Get().(*bytes.Buffer)
		signed.Reset()
		signed.Grow(len(sig) + buf.Len())
		signed.WriteString(sig)
		signed.Write(buf.Bytes())
		renderBuffers.Put(buf)
		buf = signed
	}
	o.rendered = buf
	return buf.Bytes(), nil
}

// release gives the message's buffer back, once it is sent or given up.
func (o *outgoing) release() {
	if o.rendered != nil {
		renderBuffers.Put(o.rendered)
		o.rendered = nil
	}
}

// newBoundary is a multipart boundary as mime/multipart makes them: 30
// random bytes in hex, which no quoted-printable line can hold.
func newBoundary() string {
	var b [30]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// lit is a literal piece of a rendered body, with its quoted-printable
// encoding made in advance where it can be. An encoder's state at the
// start of a line does not depend on what came before the line break: so
// the whole lines of a piece (from after its first line break to its last)
// are encoded once, and only its first line (head) and its last, unfinished
// one (tail) are encoded for each message, together with the values
// between pieces. That holds for bodies without a carriage return:
// quotedprintable.Writer takes a '\n' after a '\r' for the end of the same
// line break, even with encoded bytes between them, so a body that has
// one is encoded whole, for every message (templates write '\n' alone).
type lit struct {
	raw []byte
	// With a line break in raw: head is raw up to and including the first
	// '\n', tail what follows the last, and mid the encoding of what is
	// between.
	breaks     bool
	head, tail []byte
	mid        []byte
}

func newLit(raw []byte, whole bool) lit {
	l := lit{raw: raw}
	first, last := bytes.IndexByte(raw, '\n'), bytes.LastIndexByte(raw, '\n')
	if first < 0 || whole {
		return l
	}
	l.breaks = true
	l.head, l.tail = raw[:first+1], raw[last+1:]
	var mid bytes.Buffer
	qp := quotedprintable.NewWriter(&mid)
	qp.Write(raw[first+1 : last+1])
	qp.Close()
	l.mid = mid.Bytes()
	return l
}

// writeQP writes the quoted-printable encoding of the body with the values
// filled in: the bytes quotedprintable.Writer makes of the whole body.
func (p *pieces) writeQP(buf *bytes.Buffer, values *[numFields]string) {
	qp := quotedprintable.NewWriter(buf)
	for _, v := range values {
		if strings.IndexByte(v, '\r') >= 0 {
			// No line of a body holds one; a value that does is encoded
			// with the whole body, to stay exact.
			p.writeTo(qp, values)
			qp.Close()
			return
		}
	}
	for i, l := range p.enc {
		if i > 0 {
			io.WriteString(qp, values[p.fields[i-1]])
		}
		if !l.breaks {
			qp.Write(l.raw)
			continue
		}
		// After a '\n' the encoder has written out its line and holds
		// nothing: the lines encoded in advance follow as they are.
		qp.Write(l.head)
		buf.Write(l.mid)
		qp.Write(l.tail)
	}
	qp.Close()
}

// dotStuff appends msg to dst as the DATA of an SMTP transaction carries
// it (RFC 5321 §4.5.2): a line that starts with "." gets another. msg ends
// with CRLF; the final "." is not written.
func dotStuff(dst *bytes.Buffer, msg []byte) {
	if len(msg) > 0 && msg[0] == '.' {
		dst.WriteByte('.')
	}
	for {
		i := bytes.Index(msg, []byte("\n."))
		if i < 0 {
			break
		}
		dst.Write(msg[:i+1])
		dst.WriteByte('.')
		msg = msg[i+1:]
	}
	dst.Write(msg)
}
