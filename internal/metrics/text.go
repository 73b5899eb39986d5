package metrics

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// ContentType is what a text-format scrape is served as.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// WriteText writes families in the text exposition format.
func WriteText(w io.Writer, families []Family) error {
	bw := bufio.NewWriter(w)
	for _, f := range families {
		if f.Help != "" {
			bw.WriteString("# HELP " + f.Name + " " + helpEscaper.Replace(f.Help) + "\n")
		}
		typ := f.Type
		if typ == "" {
			typ = "untyped"
		}
		bw.WriteString("# TYPE " + f.Name + " " + string(typ) + "\n")
		for _, s := range f.Samples {
			bw.WriteString(f.Name + s.Suffix)
			if len(s.Labels) > 0 {
				bw.WriteByte('{')
				for i, l := range s.Labels {
					if i > 0 {
						bw.WriteByte(',')
					}
					bw.WriteString(l.Name + `="` + labelEscaper.Replace(l.Value) + `"`)
				}
				bw.WriteByte('}')
			}
			bw.WriteString(" " + formatValue(s.Value) + "\n")
		}
	}
	return bw.Flush()
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Handler serves the registry for Prometheus. A collector that fails is
// logged and left out; the rest is still served, so that one failing part
// does not blind the monitoring of the others.
func (r *Registry) Handler(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fams, err := r.Gather(req.Context())
		if err != nil && log != nil {
			log.Warn("metrics scrape incomplete", "error", err)
		}
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		if err := WriteText(w, fams); err != nil && log != nil {
			log.Debug("write metrics", "error", err)
		}
	})
}

// Text is the registry's current exposition, for tests and debugging.
func (r *Registry) Text(ctx context.Context) (string, error) {
	fams, gerr := r.Gather(ctx)
	var b strings.Builder
	if err := WriteText(&b, fams); err != nil {
		return "", err
	}
	return b.String(), gerr
}
