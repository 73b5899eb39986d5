package source

import (
	"bytes"
	"strings"
	"testing"
)

func TestReadBody(t *testing.T) {
	body := []byte(strings.Repeat("0123456789", 20000)) // over three blocks
	for _, tt := range []struct {
		name        string
		limit, size int64
		want        int
	}{
		{"known size", 1 << 20, int64(len(body)), len(body)},
		{"unknown size", 1 << 20, -1, len(body)},
		{"size that lies", 1 << 20, 10, len(body)},
		{"over the limit, known", 1000, int64(len(body)), 1000},
		{"over the limit, unknown", 1000, -1, 1000},
		{"empty", 1000, -1, 0},
	} {
		in := body
		if tt.name == "empty" {
			in = nil
		}
		got, err := readBody(bytes.NewReader(in), tt.limit, tt.size)
		if err != nil || len(got) != tt.want || !bytes.Equal(got, in[:tt.want]) {
			t.Errorf("%s: %d bytes, %v; want the first %d", tt.name, len(got), err, tt.want)
		}
	}
}
