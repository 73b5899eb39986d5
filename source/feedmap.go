package source

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Bounds on what one feed body may cost to parse. The feed parser builds
// every element it reads (a 10 MB body of small elements takes a few
// hundred MB), so the body is mapped first and only the items kept are
// parsed.
const (
	// maxItemElements bounds the elements (XML) or values (JSON) of one
	// item: a long article in XHTML has a few hundred.
	maxItemElements = 5000
	// maxFeedElements bounds the elements of the document parsed: the
	// items kept and what surrounds them.
	maxFeedElements = 50000
	// maxOutsideElements bounds the elements outside the items (title,
	// links, categories of the feed itself).
	maxOutsideElements = 5000
	// maxDepth bounds nesting, inside items or out.
	maxDepth = 64
)

// feedMap locates the items of a feed body without building them: where
// each starts and ends and how many elements it holds, and where the body
// stops making sense.
type feedMap struct {
	body  []byte
	json  bool
	items []itemSpan
	// end is where the usable document ends: len(body) for a whole
	// body, else the end of the last complete item.
	end int
	// closing ends the document cut at end (closing tags or brackets).
	closing string
	// broken says why the body was cut at end; nil when it is whole.
	broken error
	// outside counts the elements that are in no item.
	outside int
}

// itemSpan is one item of a body. It is kept small: a body of 10 MB holds
// a hundred thousand.
type itemSpan struct {
	start, end int32
	elements   int32
	// dated says whether the item has a date of its own.
	dated bool
	// bad says why the item cannot be used; 0 for a good one.
	bad badItem
}

// badItem is why an item cannot be used.
type badItem uint8

const (
	itemOK badItem = iota
	itemTooBig
	itemNotObject
)

func (b badItem) Error() string {
	switch b {
	case itemTooBig:
		return fmt.Sprintf("over %d elements", maxItemElements)
	case itemNotObject:
		return "not an object"
	}
	return "usable"
}

// brokenError is a body that stops making sense at a point.
type brokenError struct {
	line int
	err  error
}

func (e *brokenError) Error() string {
	return fmt.Sprintf("line %d: %v", e.line, e.err)
}

func (e *brokenError) Unwrap() error { return e.err }

// lineAt is the 1-based line number of offset in body.
func lineAt(body []byte, offset int) int {
	return 1 + bytes.Count(body[:min(max(offset, 0), len(body))], []byte("\n"))
}

// document returns the body with only the items listed in keep (indexes
// into m.items, in ascending order), cut and closed where it broke. A
// whole body whose items are all kept is returned as it is.
func (m *feedMap) document(keep []int) []byte {
	if m.broken == nil && len(keep) == len(m.items) {
		return m.body
	}
	if len(m.items) == 0 {
		return m.body // mapFeed refuses a broken body without items
	}
	first, last := int(m.items[0].start), int(m.items[len(m.items)-1].end)
	var b bytes.Buffer
	b.Grow(first + max(m.end-last, 0) + len(m.closing) + 64)
	b.Write(m.body[:first])
	k := 0
	for i, it := range m.items {
		kept := k < len(keep) && keep[k] == i
		if kept {
			if m.json && k > 0 {
				b.WriteByte(',')
			}
			b.Write(m.body[it.start:it.end])
			k++
		}
		// Between XML items may stand elements of the feed itself; between
		// JSON items only commas and spaces.
		if !m.json && i+1 < len(m.items) {
			b.Write(m.body[it.end:m.items[i+1].start])
		}
	}
	b.Write(m.body[last:max(last, m.end)])
	b.WriteString(m.closing)
	return b.Bytes()
}

// mapFeed maps an XML (RSS, Atom) or JSON Feed body, which is UTF-8. It
// fails only when not one item can be used.
func mapFeed(body []byte, isJSON bool) (*feedMap, error) {
	if len(body) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: a feed over 2 GB", ErrTooLarge)
	}
	var m *feedMap
	if isJSON {
		m = mapJSON(body)
	} else {
		m = mapXML(body)
	}
	if m.broken != nil && len(m.items) == 0 {
		return nil, m.broken
	}
	return m, nil
}

// xmlStack is the open elements, by their names as written.
type xmlStack []string

func (s xmlStack) closing() string {
	var b strings.Builder
	for i := len(s) - 1; i >= 0; i-- {
		b.WriteString("</" + s[i] + ">")
	}
	return b.String()
}

func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// mapXML reads tokens as the feed parser does (not strict, so that the
// undeclared entities and bare ampersands of real feeds pass), but checks
// that end tags match: an end tag that closes elements left open (as in
// HTML) is taken as the parser takes it, one that closes nothing open
// breaks the body there, since what follows would be read into the wrong
// elements.
func mapXML(body []byte) *feedMap {
	m := &feedMap{body: body}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	var stack xmlStack
	item := -1     // index of the item being read, or -1
	itemDepth := 0 // len(stack) inside that item's element
	lastEnd := 0   // end of the last complete item
	var lastStack xmlStack
	breakAt := func(offset int, err error) *feedMap {
		if item >= 0 {
			m.items = m.items[:item] // the item it broke in is incomplete
		}
		m.end, m.closing = lastEnd, lastStack.closing()
		if len(m.items) == 0 {
			m.end, m.closing = 0, ""
		}
		m.broken = &brokenError{line: lineAt(body, offset), err: err}
		return m
	}
	endItem := func(end int) {
		m.items[item].end = int32(end)
		lastEnd, item = end, -1
		if !slices.Equal(lastStack, stack) { // items mostly share a parent
			lastStack = append(xmlStack(nil), stack...)
		}
	}
	for {
		start := int(d.InputOffset())
		tok, err := d.RawToken()
		if err == io.EOF {
			if len(stack) > 0 {
				return breakAt(len(body), fmt.Errorf("the document ends inside <%s>", stack[len(stack)-1]))
			}
			m.end = len(body)
			return m
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return breakAt(start, errors.New(se.Msg))
			}
			return breakAt(start, err)
		}
		end := int(d.InputOffset())
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return breakAt(start, fmt.Errorf("elements nested over %d deep", maxDepth))
			}
			name := rawName(t.Name)
			stack = append(stack, name)
			switch {
			case item >= 0:
				it := &m.items[item]
				it.elements++
				if it.elements > maxItemElements {
					it.bad = itemTooBig
				}
				if len(stack) == itemDepth+1 && xmlDates[t.Name.Local] {
					it.dated = true
				}
			case (t.Name.Local == "item" || t.Name.Local == "entry") && len(stack) <= 3:
				item, itemDepth = len(m.items), len(stack)
				m.items = append(m.items, itemSpan{start: int32(start)})
			default:
				m.outside++
				if m.outside > maxOutsideElements {
					return breakAt(start, fmt.Errorf("over %d elements outside the items", maxOutsideElements))
				}
			}
		case xml.EndElement:
			name := rawName(t.Name)
			open := len(stack) - 1
			for open >= 0 && stack[open] != name {
				open--
			}
			if open < 0 {
				return breakAt(start, fmt.Errorf("</%s> closes no open element", name))
			}
			if item >= 0 && open < itemDepth-1 {
				// Closes the item's parent, and so the item with it.
				stack = stack[:itemDepth-1]
				endItem(start)
			}
			stack = stack[:open]
			if item >= 0 && len(stack) < itemDepth {
				endItem(end)
			}
		}
	}
}

// xmlDates name the elements that date an RSS, RDF or Atom item.
var xmlDates = map[string]bool{"pubDate": true, "date": true, "published": true, "updated": true, "issued": true, "modified": true}

// jsonFrame is an open JSON object or array.
type jsonFrame struct {
	object  bool
	wantKey bool   // an object's next token is a key
	key     string // the key whose value is being read, in an object
}

// mapJSON maps a JSON Feed: its items are the values of the top-level
// "items" array.
func mapJSON(body []byte) *feedMap {
	m := &feedMap{body: body, json: true}
	d := json.NewDecoder(bytes.NewReader(body))
	var stack []jsonFrame
	item := -1
	lastEnd := 0
	lastClosing := ""
	breakAt := func(offset int, err error) *feedMap {
		if item >= 0 {
			m.items = m.items[:item]
		}
		m.end, m.closing = lastEnd, lastClosing
		if len(m.items) == 0 {
			m.end, m.closing = 0, ""
		}
		m.broken = &brokenError{line: lineAt(body, offset), err: err}
		return m
	}
	inItems := func() bool {
		return len(stack) == 2 && stack[0].key == "items" && !stack[1].object
	}
	// valueDone ends a value in the innermost frame.
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}
	for {
		before := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				return breakAt(len(body), errors.New("the document ends inside a value"))
			}
			m.end = len(body)
			return m
		}
		if err != nil {
			offset := before
			var se *json.SyntaxError
			if errors.As(err, &se) {
				offset = int(se.Offset)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = errors.New("the document ends inside a value")
			}
			return breakAt(offset, err)
		}
		end := int(d.InputOffset())
		if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey {
			if k, ok := tok.(string); ok {
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = k, false
				if item >= 0 {
					m.items[item].elements++
					if len(stack) == 3 && (k == "date_published" || k == "date_modified") {
						m.items[item].dated = true
					}
				}
				continue
			}
		}
		// A value, or the end of a container, starts here.
		start := before
		for start < len(body) && strings.IndexByte(" \t\r\n,:", body[start]) >= 0 {
			start++
		}
		delim, isDelim := tok.(json.Delim)
		opens := isDelim && (delim == '{' || delim == '[')
		closes := isDelim && !opens
		if !closes {
			switch {
			case item >= 0:
				it := &m.items[item]
				it.elements++
				if it.elements > maxItemElements {
					it.bad = itemTooBig
				}
			case inItems():
				item = len(m.items)
				m.items = append(m.items, itemSpan{start: int32(start), elements: 1})
				if !opens {
					m.items[item].bad = itemNotObject
				}
			default:
				m.outside++
				if m.outside > maxOutsideElements {
					return breakAt(start, fmt.Errorf("over %d values outside the items", maxOutsideElements))
				}
			}
		}
		switch {
		case opens:
			if len(stack) >= maxDepth {
				return breakAt(start, fmt.Errorf("values nested over %d deep", maxDepth))
			}
			stack = append(stack, jsonFrame{object: delim == '{', wantKey: delim == '{'})
			continue
		case closes:
			stack = stack[:len(stack)-1]
		}
		valueDone()
		if item >= 0 && inItems() {
			m.items[item].end = int32(end)
			lastEnd, item = end, -1
			lastClosing = "]}"
		}
	}
}
