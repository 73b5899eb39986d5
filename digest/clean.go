package digest

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A sentence is one candidate for the summary, with where it came from.
type sentence struct {
	text string
	para int // paragraph index among kept paragraphs
	pos  int // index among kept sentences
	// afterCut is set when the text right before it in its paragraph was
	// dropped (a caption, a fragment): what a pronoun opening it points
	// back to may be gone.
	afterCut bool
}

// cleaned is an article ready for scoring.
type cleaned struct {
	sentences []sentence
	// highlights are the publisher's bullet points, when the article has them.
	highlights []string
}

// furniture lists what page furniture says: share and comment prompts, video
// and newsletter calls to action, photo credits. A short sentence that says
// one of these is not part of the story. The words it looks for also occur in
// news ("2.8 million subscribers", "state-sponsored", "a copyright case",
// "fans follow him on his runs"), so each is held to the way furniture uses
// it. Each pattern runs only on sentences holding its cue, and on their
// ASCII-lower-cased text, which keeps the cleaner fast.
var furniture = []struct {
	cue string
	re  *regexp.Regexp // nil: the cue alone is furniture
}{
	{"scroll", regexp.MustCompile(`scroll (down|up)( for| to)`)},
	{"click here", nil},
	{"tap here", nil},
	{"comment", regexp.MustCompile(`comments? (below|section|are|have)|top commenter|(post|posting|leave|add) (a |your )?comments?`)},
	{"have not been moderated", nil},
	{"house rules", nil},
	{"views expressed", nil},
	{"share", regexp.MustCompile(`share (this|on|via|with|your)`)},
	{"copy", regexp.MustCompile(`copy (this )?link`)},
	{"sign up", regexp.MustCompile(`sign up (now|here|for (our|the|free|a)|to (our|the))`)},
	{"subscribe", regexp.MustCompile(`subscribe\b`)},
	{"our newsletter", nil},
	{"follow", regexp.MustCompile(`follow us|follow (him|her|them) on (twitter|instagram|facebook)|follow @`)},
	{"read more", nil},
	{"related", regexp.MustCompile(`related (articles|stories|content|links)`)},
	{"more on this", nil},
	{"advertisement", regexp.MustCompile(`^advertisement\b`)},
	{"sponsored", regexp.MustCompile(`sponsored (by|content|links?|stories|posts?)`)},
	{"all rights reserved", nil},
	{"copyright", regexp.MustCompile(`copyright (\d{4}|©)`)},
	{"©", regexp.MustCompile(`(^|[^Ã])©`)},
	{"images", regexp.MustCompile(`(getty|ap|reuters|afp|pa|epa|rex|shutterstock) images`)},
	{"photo", regexp.MustCompile(`(getty|ap|reuters|afp|pa|epa|rex|shutterstock) photo|photo(graph)? (by|credit|:)`)},
	{"features", regexp.MustCompile(`(getty|ap|reuters|afp|pa|epa|rex|shutterstock) features`)},
	{"image ", regexp.MustCompile(`image (copyright|caption|source)`)},
	{"video", regexp.MustCompile(`watch (the )?video|video (player|loading)`)},
	{"download the app", nil},
	{"email", socialRun}, {"facebook", socialRun}, {"twitter", socialRun}, {"whatsapp", socialRun},
	{"pinterest", socialRun}, {"linkedin", socialRun}, {"messenger", socialRun},
}

// socialRun is a share bar's list of networks.
var socialRun = regexp.MustCompile(`(email|facebook|twitter|whatsapp|pinterest|linkedin|messenger) ?(email|facebook|twitter|whatsapp|pinterest|linkedin|messenger)`)

// asciiLower lower-cases the ASCII letters of s and leaves every other byte
// as it is, so that offsets in the result are offsets in s.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// inlinePrompts are calls to action glued into running text, which are cut
// out of the paragraph rather than dropping the sentence. The share bar's
// list of networks may be glued to its last words and to the story's first
// ("Share this withEmailFacebookTwitterCopy this linkThe council..."): the
// match stops at "copy this link" when there is one. Each pattern is tried
// where its cue occurs, on ASCII-lower-cased text.
var inlinePrompts = []struct {
	cue string
	re  *regexp.Regexp
}{
	{"scroll down for ", regexp.MustCompile(`^scroll down for (the )?(video|videos|more)\s*`)},
	{"share this with", regexp.MustCompile(`^share this with(?:[\p{L}+ ]{0,120}?copy this link|\S*)\s*`)},
	{"click here to ", regexp.MustCompile(`^click here to [a-z ]{3,40}?(?:\.|$)\s*`)},
	{"media playback is ", regexp.MustCompile(`^media playback is (?:not |un)supported on (?:this|your) device\s*`)},
}

// cutInlinePrompts removes inlinePrompts from p.
func cutInlinePrompts(p string) string {
	low := asciiLower(p)
	for _, ip := range inlinePrompts {
		if !strings.Contains(low, ip.cue) {
			continue
		}
		var b strings.Builder
		last := 0
		for from := 0; ; {
			k := strings.Index(low[from:], ip.cue)
			if k < 0 {
				break
			}
			k += from
			if loc := ip.re.FindStringIndex(low[k:]); loc != nil {
				b.WriteString(p[last:k])
				last = k + loc[1]
				from = last
			} else {
				from = k + len(ip.cue)
			}
		}
		if last > 0 {
			b.WriteString(p[last:])
			p = b.String()
			low = asciiLower(p)
		}
	}
	return p
}

// photoRef matches a pointer to a photo in running text, from its opening
// bracket ("his wife (pictured) said", "the minister (left) and",
// "(pictured with his son)"): without the photos, a summary reads better
// without them.
var photoRef = regexp.MustCompile(`^\((?:pictured|left|right|centre|center|above|below|inset|middle|` +
	`(?:far|second|third|top|bottom|back|front|from) (?:left|right)|left (?:and|to) right|from left to right|` +
	`pictured [^()]{1,40})\)`)

// cutPhotoRefs removes photo pointers, with the space before each, from p.
func cutPhotoRefs(p string) string {
	var b strings.Builder
	last := 0
	for from := 0; ; {
		k := strings.IndexByte(p[from:], '(')
		if k < 0 {
			break
		}
		k += from
		if loc := photoRef.FindStringIndex(p[k:]); loc != nil {
			start := k
			if start > last && p[start-1] == ' ' {
				start--
			}
			b.WriteString(p[last:start])
			last = k + loc[1]
			from = last
		} else {
			from = k + 1
		}
	}
	if last == 0 {
		return p
	}
	b.WriteString(p[last:])
	return b.String()
}

// captionLabel matches a photo caption's lead-in: a label of at most five
// words and no comma ("Wrecked:", "Back in the dock:") and a colon followed
// directly by a capitalised sentence, not by a quotation.
var captionLabel = regexp.MustCompile(`^[‘'"“]?\p{Lu}[^\s:.!?,]*(?: [^\s:.!?,]+){0,4}?[’'"”!?]?: +\p{Lu}`)

// gluedBoundary finds where a caption without a full stop runs into the next
// sentence: a function word that is capitalised mid-sentence ("...of the club
// He has", "...tonight When questioned", "...a colleague The cost of"), or a
// new caption label. "The" must be followed by a lower-case word, since titles
// ("on The Apprentice") capitalise their words; gluedAt checks the word
// before.
var gluedBoundary = regexp.MustCompile(`\S (?:(?:He|She|They|We|It|His|Her|Their|Its|But|However|Meanwhile|When|While|After|Although|Despite|This|These|Those|There)\s|(?:The|An) [\p{Ll}\d]|\p{Lu}[\p{L}’'-]*(?: [\p{L}’'-]+){0,4}: \p{Lu}|['‘“"]\p{Lu}[\p{Ll}’' ])`)

// gluedAt reports whether the word ending at i (exclusive) can end a
// caption. A capitalised little word before it ("Gone With The Wind",
// "Harry And The Hendersons") means a title instead, and a word that cannot
// end a sentence ("release of Fall of an Empire: The Story", "bid for the
// White House: The") means the text runs on.
func gluedAt(s string, i int) bool {
	w := wordBefore(s, 0, i)
	if w == "" || strings.HasSuffix(w, ":") || strings.HasSuffix(w, ",") || strings.HasSuffix(w, ";") {
		// A colon introduces what follows it; a comma continues.
		return false
	}
	switch w {
	case "Of", "The", "And", "With", "In", "On", "For", "To", "A", "An", "At", "By", "From", "But", "Or":
		return false
	}
	return !runsOn[w]
}

// quoteGlued reports whether a quotation that opens right after the word
// ending at i, with no colon or comma ("...a three-match suspension ‘When
// you get so close,’ said Rodgers"), starts a new sentence: it does when the
// quotation is a sentence of its own and the word does not introduce speech
// or a name ("he said 'We", "dubbed 'The").
func quoteGlued(s string, i int) bool {
	w := strings.ToLower(wordBefore(s, 0, i))
	return !speechWords[w] && !runsOn[w] && quotedSentence.MatchString(s[i+1:])
}

// quotedSentence matches a quotation of three words or more that a comma
// inside the quotes hands to its speaker ("'We won the game,' he said"),
// unlike a phrase or a title quoted inside a sentence ("a chant 'We are
// staying up' for", "masterpiece \"American Pie.\"").
var quotedSentence = regexp.MustCompile(`^['‘“"]\p{Lu}\S*(?: \S+){2,}?,['’”"] `)

// speechWords introduce a quotation or a name without a colon or comma.
var speechWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`said says say saying told tells added adds asked asks wrote
		writes tweeted replied replies explained declared insisted admitted warned claimed stated
		joked shouted screamed yelled whispered read reads titled entitled called dubbed named
		nicknamed branded labelled labeled word words phrase slogan sign signs song album film
		book show series motto message caption headline`) {
		m[w] = true
	}
	return m
}()

// runsOn are lower-case words after which a sentence cannot end: articles,
// prepositions, conjunctions, possessives and auxiliaries.
var runsOn = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the of to in on at for with by from as into onto about
		over under between than and or nor but if that which who whose whom his her their its our my
		your is are was were be been being has have had will would can could should may might must
		very more most such`) {
		m[w] = true
	}
	return m
}()

// dateline matches a wire-style opening: an optional place and the agency in
// brackets ("(CNN)", "LONDON (Reuters) -").
var dateline = regexp.MustCompile(`^(?:[\p{Lu}][\p{L}.' -]{0,40}(?:, [\p{L}.' -]{1,30})? )?\([\p{Lu}][\p{L}.& ]{0,40}\)\s*(?:[-–—]+\s*)?`)

// stripDateline removes a dateline from the start of p, when what follows it
// starts a sentence: "The All Progressives Congress (APC) won" is a
// sentence with an acronym, not a place and an agency.
func stripDateline(p string) string {
	loc := dateline.FindStringIndex(p)
	if loc == nil || loc[1] == 0 {
		return p
	}
	r, _ := utf8.DecodeRuneInString(p[loc[1]:])
	if unicode.IsLower(r) {
		return p
	}
	return p[loc[1]:]
}

// mailHeader matches the byline and time stamps that open pages of some
// publishers, with their stray full stops: "By . Jane Doe . PUBLISHED: .
// 10:03 EST, 1 March 2013 . | . UPDATED: . 10:08 EST, 1 March 2013 ." or
// "By . Jane Doe . Last updated at 5:13 PM on 12th July 2011 .".
var mailHeader = regexp.MustCompile(`^(?:By \. [^.]{1,80}? \. )?(?:(?:(?:PUBLISHED|UPDATED): \. |Last updated at )[^|]{1,60}?\d{4} \. (?:\| \. )?)*`)

// isBoilerplate reports whether s says what page furniture says.
func isBoilerplate(s string) bool {
	low := asciiLower(s)
	for _, f := range furniture {
		if strings.Contains(low, f.cue) && (f.re == nil || f.re.MatchString(low)) {
			return true
		}
	}
	return false
}

// gluedCues are the literal parts of gluedBoundary, for the same purpose.
var gluedCues = []string{": ", " He", " She", " They", " We", " It", " His", " Her", " Their",
	" But", " However", " Meanwhile", " When", " While", " After", " Although", " Despite",
	" This", " These", " Those", " There", " The ", " An ", " '", " ‘", " “", " \""}

var bulletMarks = "•·▪►◦‣∙*-–—"

func isBullet(line string) (string, bool) {
	r, s := utf8.DecodeRuneInString(line)
	if !strings.ContainsRune(bulletMarks, r) || s == len(line) {
		return "", false
	}
	rest := line[s:]
	if r2, _ := utf8.DecodeRuneInString(rest); !unicode.IsSpace(r2) {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

var spaceFix = strings.NewReplacer("\u00a0", " ", "\u200b", "", "\u200c", "", "\u200d", "",
	"\ufeff", "", "\t", " ", "\r\n", "\n", "\r", "\n")

func wordCount(s string) int { return len(strings.Fields(s)) }

// letterWords counts the words of s that have a letter: a run of numbers and
// punctuation ("10:03 EST, 1 March 2013 . | .") with a word or two is not a
// sentence.
func letterWords(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
			n++
		}
	}
	return n
}

// endsSentence reports whether s ends the way a written sentence does.
func endsSentence(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isCloseQuote(r) && r != ')' })
	r := lastRune(s)
	return r == '.' || r == '!' || r == '?' || r == '\u2026' || lastRune(strings.TrimSpace(s)) == ')' && strings.Contains(s, ".")
}

// cleanOptions are the cleaner's settings that cmd/sumeval chooses with the
// model.
type cleanOptions struct {
	// minWords is the shortest sentence worth showing on its own.
	minWords int
}

// defaultMinWords is the shortest sentence kept when no model says otherwise.
const defaultMinWords = 6

// clean turns an article's raw text into candidate sentences, dropping
// captions, credits, bylines, prompts and repeats, and collects the
// publisher's bullet highlights.
func clean(title, text string) cleaned {
	return cleanWith(title, text, cleanOptions{minWords: defaultMinWords})
}

// cleanWith is clean with explicit settings.
func cleanWith(title, text string, o cleanOptions) cleaned {
	var c cleaned
	text = spaceFix.Replace(text)
	lines := strings.Split(text, "\n")
	var paras []string
	multi := 0
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			multi++
		}
	}
	bodySeen := false
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if b, ok := isBullet(l); ok {
			// Highlights come before the story; bullets inside it are lists.
			if !bodySeen && b != "" {
				c.highlights = append(c.highlights, b)
			}
			continue
		}
		if title != "" && len(paras) == 0 && sameText(l, title) {
			continue
		}
		if multi > 1 && isCaptionPara(l) {
			continue
		}
		if wordCount(l) >= 12 {
			bodySeen = true
		}
		paras = append(paras, l)
	}
	if len(c.highlights) < 2 {
		c.highlights = nil
	}
	for i, h := range c.highlights {
		c.highlights[i] = strings.TrimSpace(h)
	}

	// Split everything first: the footer is found among raw sentences, before
	// the furniture that marks it is filtered out.
	type raw struct {
		text string
		para int
	}
	var all []raw
	for pi, p := range paras {
		if pi == 0 {
			if strings.HasPrefix(p, "By . ") || strings.HasPrefix(p, "PUBLISHED: ") || strings.HasPrefix(p, "Last updated at ") {
				p = mailHeader.ReplaceAllString(p, "")
			}
			p = stripDateline(p)
		}
		p = cutInlinePrompts(cutPhotoRefs(p))
		for _, s := range SplitSentences(p) {
			for _, f := range splitGlued(s) {
				all = append(all, raw{f, pi})
			}
		}
	}
	all = all[:footerStart(len(all), func(i int) string { return all[i].text })]
	seen := map[string]bool{}
	cut := false
	for k, r := range all {
		if k > 0 && all[k-1].para != r.para {
			cut = false
		}
		if !keepSentence(r.text, o.minWords) {
			cut = true
			continue
		}
		key := strings.ToLower(strings.Join(strings.Fields(r.text), " "))
		if seen[key] {
			cut = true
			continue
		}
		seen[key] = true
		c.sentences = append(c.sentences, sentence{text: r.text, para: r.para, pos: len(c.sentences), afterCut: cut})
		cut = false
	}
	return c
}

// splitGlued cuts a sentence where a caption without a full stop runs into
// real text; the caption part then fails keepSentence on its own.
func splitGlued(s string) []string {
	var out []string
	for _, p := range splitAtBoundaries(s) {
		if k := captionLede(p); k > 0 {
			out = append(out, strings.TrimSpace(p[:k]), p[k:])
			continue
		}
		out = append(out, p)
	}
	return out
}

// splitAtBoundaries cuts s at every gluedBoundary that gluedAt accepts.
func splitAtBoundaries(s string) []string {
	cued := false
	for _, c := range gluedCues {
		if strings.Contains(s, c) {
			cued = true
			break
		}
	}
	if !cued {
		return []string{s}
	}
	var out []string
	from := 0
	for from < len(s) {
		loc := gluedBoundary.FindStringIndex(s[from:])
		if loc == nil {
			break
		}
		_, size := utf8.DecodeRuneInString(s[from+loc[0]:])
		cut := from + loc[0] + size // after the last character of the word
		if !gluedAt(s, cut) || opensQuote(s[cut+1:]) && !quoteGlued(s, cut) {
			// Past the whole match: a label that runs on ("for the White
			// House: The") holds no boundary of its own either.
			from += loc[1] - 1
			continue
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = s[cut+1:]
		from = 0
	}
	return append(out, s)
}

// captionLede returns where the story starts in a labelled caption that runs
// into it with no full stop between ("Accused: Dr Jones, 38, has denied
// assault A senior doctor facing ... ."), or -1. The story starts at a
// capitalised word that commonly opens a sentence ("A", "The", "Police",
// "He"), after a word that can end one, and runs to the end of s as a
// sentence of at least defaultMinWords words. Where the opener is followed by
// a lower-case word or a number ("A senior", "An 86-year-old") it is taken
// first; a name after it ("The Montgomery County police") only when there is
// no such place.
func captionLede(s string) int {
	if !strings.Contains(s, ": ") || !captionLabel.MatchString(s) {
		return -1
	}
	colon := strings.Index(s, ": ") + 2
	type word struct {
		at   int
		text string
	}
	var words []word
	for i := colon; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		if j > i {
			words = append(words, word{i, s[i:j]})
		}
		i = j
	}
	for _, strict := range []bool{true, false} {
		// The first word after the label starts the caption itself.
		for k := 1; k+1 < len(words); k++ {
			prev, w, next := words[k-1].text, words[k].text, words[k+1].text
			if !canEndCaption(prev) || !unicode.IsUpper(firstLetter(w)) ||
				!sentenceOpeners[strings.ToLower(strings.Trim(w, "'\"‘“"))] {
				continue
			}
			if r := firstLetter(next); strict && !unicode.IsLower(r) && !unicode.IsDigit(r) {
				continue
			}
			rest := s[words[k].at:]
			if wordCount(rest) >= defaultMinWords && endsSentence(rest) {
				return words[k].at
			}
		}
	}
	return -1
}

// canEndCaption reports whether a caption can end with word w: a lower-case
// word that is not a function word, a number, or a closing quote or bracket.
func canEndCaption(w string) bool {
	r := lastRune(w)
	switch {
	case isCloseQuote(r):
		return true
	case unicode.IsDigit(r):
		return true
	case unicode.IsLower(r):
		return !runsOn[strings.ToLower(w)]
	}
	return false
}

// keepSentence rejects captions, fragments and furniture, and sentences of
// fewer than minWords words.
func keepSentence(s string, minWords int) bool {
	n := wordCount(s)
	if n < minWords || !endsSentence(s) || 2*letterWords(s) < n {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsLower(r) {
		// Cut off at the start (alt text, a caption's tail).
		return false
	}
	if strings.Contains(s, ":") && captionLabel.MatchString(s) {
		return false
	}
	if n <= 30 && isBoilerplate(s) {
		return false
	}
	if byline(s) {
		return false
	}
	return true
}

var bylineRe = regexp.MustCompile(`^(?i:by|from|updated|published|last updated|posted)\b[^.!?]{0,80}(\d{4}|\d{1,2}:\d{2}|(?i:reporter|correspondent|editor|for mailonline|staff))`)

func byline(s string) bool {
	w, _, _ := strings.Cut(s, " ")
	switch strings.ToLower(w) {
	case "by", "from", "updated", "published", "last", "posted":
		return bylineRe.MatchString(s)
	}
	return false
}

// isCaptionPara reports whether a paragraph of a multi-paragraph article is a
// photo caption, alt text or heading rather than story text.
func isCaptionPara(p string) bool {
	n := wordCount(p)
	if !endsSentence(p) && n <= 100 {
		return true
	}
	if strings.Contains(p, ":") && captionLabel.MatchString(p) {
		return true
	}
	return false
}

// footerStart returns where the page furniture at the end of an article
// (comment sections, share bars) begins: at the first furniture sentence in
// the last quarter, or n when there is none.
func footerStart(n int, text func(int) string) int {
	for i := n * 3 / 4; i < n; i++ {
		if t := text(i); wordCount(t) <= 30 && isBoilerplate(t) {
			return i
		}
	}
	return n
}

func sameText(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	return norm(a) == norm(b)
}
