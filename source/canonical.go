package source

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// trackingParams are query parameters that say how a reader reached a page,
// never which page it is, so two links differing only in them name one
// story. The list stays short on purpose: removing a parameter that does
// select content would merge different stories, which is worse than keeping
// a duplicate. Every entry is a known analytics or ad click identifier:
//
//   - utm_* (any): Google Analytics campaign tags, used by nearly every
//     newsletter and social share button.
//   - fbclid, gclid, gclsrc, dclid, gbraid, wbraid, msclkid, yclid, twclid,
//     ttclid, li_fat_id, igshid: click identifiers appended by Facebook,
//     Google Ads, DoubleClick, Microsoft Ads, Yandex, X/Twitter, TikTok,
//     LinkedIn and Instagram.
//   - _ga, _gl: Google Analytics cross-domain linkers.
//   - mc_cid, mc_eid: Mailchimp campaign and recipient ids.
//   - _hsenc, _hsmi, __hssc, __hstc, __hsfp, hsctatracking: HubSpot.
//   - mkt_tok: Marketo; vero_id, vero_conv: Vero; oly_anon_id, oly_enc_id:
//     Omeda; _openstat: Openstat; wt_mc: Webtrends. All are per-recipient
//     email tracking.
//   - ref, ref_src, ref_url: referral markers ("?ref=hackernews",
//     Twitter's ref_src). "ref" is generic, but sites that use it to select
//     content are rare next to the many that use it to count referrals.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true, "gbraid": true,
	"wbraid": true, "msclkid": true, "yclid": true, "twclid": true, "ttclid": true,
	"li_fat_id": true, "igshid": true, "_ga": true, "_gl": true,
	"mc_cid": true, "mc_eid": true,
	"_hsenc": true, "_hsmi": true, "__hssc": true, "__hstc": true, "__hsfp": true, "hsctatracking": true,
	"mkt_tok": true, "vero_id": true, "vero_conv": true, "oly_anon_id": true, "oly_enc_id": true,
	"_openstat": true, "wt_mc": true,
	"ref": true, "ref_src": true, "ref_url": true,
}

func isTracking(key string) bool {
	key = strings.ToLower(key)
	return strings.HasPrefix(key, "utm_") || trackingParams[key]
}

// ErrNotWebURL is returned by CanonicalURL for anything but an absolute
// http or https URL: such links (mailto:, tag:, relative) cannot identify an
// article on their own.
var ErrNotWebURL = errors.New("not an absolute http(s) URL")

// CanonicalURL returns the form of a link under which an article is
// recognised across runs and feeds: scheme and host in lower case, default
// port, fragment and tracking parameters (see trackingParams) removed, the
// remaining query parameters sorted by name (stable for repeated names), and
// an empty path written as "/". The path itself is kept as the server gave
// it apart from dot segments, since paths may be case-sensitive.
func CanonicalURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("canonical url: %w", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("canonical url %q: %w", truncateRunes(raw, 80), ErrNotWebURL)
	}
	host := strings.TrimRight(strings.ToLower(u.Hostname()), ".")
	if host == "" || !utf8.ValidString(host) {
		return "", fmt.Errorf("canonical url %q: %w", truncateRunes(raw, 80), ErrNotWebURL)
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	u.Host = host
	if port != "" {
		u.Host += ":" + port
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	} else if strings.Contains(u.Path, "/.") {
		u = u.ResolveReference(&url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery})
	}
	u.RawQuery = cleanQuery(u.RawQuery)
	u.ForceQuery = false
	return u.String(), nil
}

// cleanQuery drops tracking parameters and sorts the rest by name. It works
// on the raw pairs so that a value is kept byte for byte, even when it is not
// valid percent-encoding.
func cleanQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ key, raw string }
	var kept []pair
	for p := range strings.SplitSeq(raw, "&") {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if isTracking(k) {
			continue
		}
		kept = append(kept, pair{k, p})
	}
	slices.SortStableFunc(kept, func(a, b pair) int { return strings.Compare(a.key, b.key) })
	parts := make([]string, len(kept))
	for i, p := range kept {
		parts[i] = p.raw
	}
	return strings.Join(parts, "&")
}

// articleKey sets a's Key: its canonical URL when it has a usable one (which
// also replaces URL), else the hash of what it says. A URL that is not an
// absolute web link is dropped, so no javascript: or relative link travels
// on to feeds and emails.
func articleKey(a *Article) {
	if a.URL != "" {
		if c, err := CanonicalURL(a.URL); err == nil {
			a.URL, a.Key = c, c
			return
		}
		a.URL = ""
	}
	a.Key = "sha256:" + a.ContentHash()
}
