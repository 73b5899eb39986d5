package feed

import (
	"container/list"
	"context"
	"sync"

	"github.com/bulletin-app/bulletin/store"
)

// Live is a Source that renders a document from Data when it is first
// asked for, and keeps it until Reset (a publish) or until the documents
// kept pass MaxBytes, when the least recently served go first. A server
// that starts serves at once, whatever the length of the archive: nothing
// is rendered before it is asked for, and the bytes of a document are
// those Publish writes, so ETags match the static copy's.
type Live struct {
	b    *builder
	data Data
	// MaxBytes bounds the bodies kept; 0 is DefaultLiveBytes.
	MaxBytes int

	mu       sync.Mutex
	gen      int // counts Resets: a render begun before one is not kept
	totals   *store.FeedTotals
	docs     map[string]*list.Element // of *Document
	lru      list.List                // most recently served first
	size     int
	inflight map[docKey]*render
}

// DefaultLiveBytes is how many bytes of documents a Live keeps by default.
const DefaultLiveBytes = 64 << 20

type render struct {
	done chan struct{}
	docs []*Document
	err  error
}

// NewLive checks the site and templates and returns a Live source.
func NewLive(site Site, data Data) (*Live, error) {
	b, err := newBuilder(site)
	if err != nil {
		return nil, err
	}
	return &Live{b: b, data: data, docs: map[string]*list.Element{}, inflight: map[docKey]*render{}}, nil
}

// Reset forgets every document rendered, after a publish.
func (l *Live) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gen++
	l.totals = nil
	l.docs = map[string]*list.Element{}
	l.lru.Init()
	l.size = 0
}

// Lookup returns the document at path, rendering it if need be.
func (l *Live) Lookup(ctx context.Context, path string) (*Document, error) {
	l.mu.Lock()
	if el, ok := l.docs[path]; ok {
		l.lru.MoveToFront(el)
		l.mu.Unlock()
		return el.Value.(*Document), nil
	}
	k, ok := keyOf(path)
	if !ok {
		l.mu.Unlock()
		return nil, ErrNotFound
	}
	// One render of a document at a time; the others wait for it.
	r, running := l.inflight[k]
	if !running {
		r = &render{done: make(chan struct{})}
		l.inflight[k] = r
		go l.render(k, r, l.gen)
	}
	l.mu.Unlock()
	select {
	case <-r.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, r.err
	}
	for _, d := range r.docs {
		if d.Path == path {
			return d, nil
		}
	}
	return nil, ErrNotFound
}

// render renders k, on its own: a client that goes away does not stop a
// render others may be waiting for.
func (l *Live) render(k docKey, r *render, gen int) {
	defer close(r.done)
	ctx := context.Background()
	t, err := l.feedTotals(ctx, gen)
	if err == nil {
		r.docs, r.err = l.b.render(ctx, l.data, k, t)
	} else {
		r.err = err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.inflight, k)
	if r.err != nil || gen != l.gen {
		return
	}
	limit := l.MaxBytes
	if limit <= 0 {
		limit = DefaultLiveBytes
	}
	for _, d := range r.docs {
		if _, ok := l.docs[d.Path]; ok {
			continue
		}
		l.docs[d.Path] = l.lru.PushFront(d)
		l.size += len(d.Body)
	}
	for l.size > limit && l.lru.Len() > len(r.docs) {
		el := l.lru.Back()
		d := el.Value.(*Document)
		l.lru.Remove(el)
		delete(l.docs, d.Path)
		l.size -= len(d.Body)
	}
}

// feedTotals are read once per publish: every document rendered until the
// next Reset agrees on where the feeds end.
func (l *Live) feedTotals(ctx context.Context, gen int) (store.FeedTotals, error) {
	l.mu.Lock()
	if l.totals != nil && gen == l.gen {
		t := *l.totals
		l.mu.Unlock()
		return t, nil
	}
	l.mu.Unlock()
	t, err := l.data.FeedTotals(ctx)
	if err != nil {
		return t, err
	}
	l.mu.Lock()
	if gen == l.gen {
		l.totals = &t
	}
	l.mu.Unlock()
	return t, nil
}

// Topics are the absolute URLs of the current feeds.
func (l *Live) Topics() []string { return topics(l.b.site) }
