package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ParseText reads a text exposition strictly, as a check of what WriteText
// or a server wrote: every sample follows its family's TYPE line, names and
// label escapes are valid, no series repeats, histogram buckets grow and
// end in +Inf equal to _count. It returns each series, written as
// name{label="value",...} (values quoted as Go does, labels in the order
// written; just name without labels), and its value.
func ParseText(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	types := map[string]Type{}
	helps := map[string]bool{}
	var fam string                     // family of the latest TYPE line
	lastBucket := map[string]float64{} // histogram series without le → last bucket count
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", n, line, fmt.Sprintf(format, args...))
		}
		if line == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# "); ok {
			kw, rest, _ := strings.Cut(rest, " ")
			name, text, _ := strings.Cut(rest, " ")
			switch kw {
			case "HELP":
				if !metricName.MatchString(name) || helps[name] {
					return nil, fail("bad or repeated HELP")
				}
				if err := checkEscapes(text, false); err != nil {
					return nil, fail("%v", err)
				}
				helps[name] = true
			case "TYPE":
				typ := Type(text)
				if !metricName.MatchString(name) || types[name] != "" {
					return nil, fail("bad or repeated TYPE")
				}
				if typ != Counter && typ != Gauge && typ != Histogram && typ != "summary" && typ != "untyped" {
					return nil, fail("unknown type %q", text)
				}
				types[name], fam = typ, name
			}
			continue // other comments are allowed
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, labels, value, err := parseSample(line)
		if err != nil {
			return nil, fail("%v", err)
		}
		base := name
		if types[fam] == Histogram {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if name == fam+suf {
					base = fam
				}
			}
		}
		if base != fam {
			return nil, fail("sample outside its family (latest TYPE is %q)", fam)
		}
		var key, withoutLE strings.Builder
		key.WriteString(name)
		if len(labels) > 0 {
			key.WriteByte('{')
		}
		withoutLE.WriteString(fam + "{")
		var le string
		for i, l := range labels {
			if i > 0 {
				key.WriteByte(',')
			}
			fmt.Fprintf(&key, "%s=%q", l.Name, l.Value)
			if l.Name == "le" {
				le = l.Value
			} else {
				fmt.Fprintf(&withoutLE, "%s=%q,", l.Name, l.Value)
			}
		}
		if len(labels) > 0 {
			key.WriteByte('}')
		}
		if _, dup := out[key.String()]; dup {
			return nil, fail("series repeated")
		}
		out[key.String()] = value
		if types[fam] != Histogram {
			continue
		}
		series := withoutLE.String()
		switch name {
		case fam + "_bucket":
			if le == "" {
				return nil, fail("bucket without le")
			}
			if value < lastBucket[series] {
				return nil, fail("bucket counts must not shrink")
			}
			lastBucket[series] = value
			if le == "+Inf" {
				lastBucket[series+"+Inf"] = value
			}
		case fam + "_count":
			inf, ok := lastBucket[series+"+Inf"]
			if !ok || inf != value {
				return nil, fail("_count %v differs from the +Inf bucket", value)
			}
		}
	}
	return out, sc.Err()
}

// parseSample reads name{l="v",...} value [timestamp].
func parseSample(line string) (string, []Label, float64, error) {
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return "", nil, 0, fmt.Errorf("no value")
	}
	name, rest := line[:i], line[i:]
	if !metricName.MatchString(name) {
		return "", nil, 0, fmt.Errorf("bad metric name %q", name)
	}
	var labels []Label
	if strings.HasPrefix(rest, "{") {
		rest = rest[1:]
		seen := map[string]bool{}
		for !strings.HasPrefix(rest, "}") {
			eq := strings.Index(rest, `="`)
			if eq < 0 {
				return "", nil, 0, fmt.Errorf("bad label list")
			}
			lname := rest[:eq]
			if !labelName.MatchString(lname) || seen[lname] {
				return "", nil, 0, fmt.Errorf("bad or repeated label name %q", lname)
			}
			seen[lname] = true
			rest = rest[eq+2:]
			var val strings.Builder
			j := 0
			for ; j < len(rest) && rest[j] != '"'; j++ {
				if rest[j] == '\n' {
					return "", nil, 0, fmt.Errorf("raw newline in a label value")
				}
				if rest[j] != '\\' {
					val.WriteByte(rest[j])
					continue
				}
				if j++; j == len(rest) {
					break
				}
				switch rest[j] {
				case '\\':
					val.WriteByte('\\')
				case '"':
					val.WriteByte('"')
				case 'n':
					val.WriteByte('\n')
				default:
					return "", nil, 0, fmt.Errorf(`bad escape \%c in label %s`, rest[j], lname)
				}
			}
			if j >= len(rest) {
				return "", nil, 0, fmt.Errorf("unterminated label value")
			}
			labels = append(labels, Label{lname, val.String()})
			rest = rest[j+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
			} else if !strings.HasPrefix(rest, "}") {
				return "", nil, 0, fmt.Errorf("expected , or } after label %s", lname)
			}
		}
		rest = rest[1:]
	}
	fields := strings.Split(strings.TrimPrefix(rest, " "), " ")
	if !strings.HasPrefix(rest, " ") || len(fields) < 1 || len(fields) > 2 || fields[0] == "" {
		return "", nil, 0, fmt.Errorf("expected one space, a value and an optional timestamp")
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return "", nil, 0, err
	}
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return "", nil, 0, fmt.Errorf("bad timestamp %q", fields[1])
		}
	}
	return name, labels, v, nil
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "_xXpP") || strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity") {
		return 0, fmt.Errorf("bad value %q", s)
	}
	return v, nil
}

// checkEscapes allows only \\ and \n (and \" in label values).
func checkEscapes(s string, quotes bool) error {
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		i++
		if i == len(s) || !(s[i] == '\\' || s[i] == 'n' || quotes && s[i] == '"') {
			return fmt.Errorf("bad escape in %q", s)
		}
	}
	return nil
}
