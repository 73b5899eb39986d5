package bounce

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The events sending services post to their webhooks, read into Events.
// Only bounces and complaints come out: deliveries, opens, delays and the
// like are left out. Checking that a request really comes from the
// service is the caller's (the HTTP handler's) work, done before.

// maxEvents bounds the events read from one request.
const maxEvents = 10000

// ParseSES reads the Message of an Amazon SNS notification from SES: a
// bounce or complaint notification (notificationType), or the same from
// event publishing (eventType). snsID is the SNS MessageId, to name the
// report when SES gives no feedback id.
func ParseSES(message []byte, snsID string) ([]Event, error) {
	var n struct {
		NotificationType string `json:"notificationType"`
		EventType        string `json:"eventType"`
		Bounce           struct {
			BounceType        string `json:"bounceType"`
			BounceSubType     string `json:"bounceSubType"`
			FeedbackID        string `json:"feedbackId"`
			Timestamp         string `json:"timestamp"`
			BouncedRecipients []struct {
				EmailAddress   string `json:"emailAddress"`
				Action         string `json:"action"`
				Status         string `json:"status"`
				DiagnosticCode string `json:"diagnosticCode"`
			} `json:"bouncedRecipients"`
		} `json:"bounce"`
		Complaint struct {
			FeedbackID            string `json:"feedbackId"`
			Timestamp             string `json:"timestamp"`
			ComplaintFeedbackType string `json:"complaintFeedbackType"`
			UserAgent             string `json:"userAgent"`
			ComplainedRecipients  []struct {
				EmailAddress string `json:"emailAddress"`
			} `json:"complainedRecipients"`
		} `json:"complaint"`
		Mail struct {
			MessageID string `json:"messageId"`
			Headers   []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"headers"`
			CommonHeaders struct {
				MessageID string `json:"messageId"`
			} `json:"commonHeaders"`
		} `json:"mail"`
	}
	if err := json.Unmarshal(message, &n); err != nil {
		return nil, fmt.Errorf("ses notification: %w", err)
	}
	// The original message's Message-ID: its header when SES passes the
	// headers on, else the common headers'.
	var msgID string
	for _, h := range n.Mail.Headers {
		if strings.EqualFold(h.Name, "Message-ID") {
			msgID = cleanMessageID(h.Value)
		}
	}
	if msgID == "" {
		msgID = cleanMessageID(n.Mail.CommonHeaders.MessageID)
	}
	typ := n.NotificationType
	if typ == "" {
		typ = n.EventType
	}
	var out []Event
	switch typ {
	case "Bounce":
		b := n.Bounce
		for i, r := range b.BouncedRecipients {
			if i >= maxEvents {
				break
			}
			ev := Event{Source: "ses", Format: "ses", ID: sesID(b.FeedbackID, snsID, r.EmailAddress),
				Recipient: cleanAddress(r.EmailAddress), Action: b.BounceType + "/" + b.BounceSubType,
				Diagnostic: clip(r.DiagnosticCode, maxDiagnostic), MessageID: msgID, At: parseTime(b.Timestamp)}
			switch b.BounceType {
			case "Permanent":
				// General, NoEmail, and Suppressed: SES will not send to it.
				ev.Kind, ev.Status, ev.Reason = Hard, statusCode(r.Status), "SES permanent bounce ("+b.BounceSubType+")"
			case "Transient":
				// SES gave up after retrying; the status says whether the
				// address is dead all the same (5.4.4: no such domain).
				ev.Kind, ev.Status, ev.Reason = classify("", r.Status, r.DiagnosticCode)
				if ev.Kind == None || ev.Kind == Hard && !strings.HasPrefix(ev.Status, "5.1.") && ev.Status != "5.4.4" {
					ev.Kind = Soft
				}
				ev.Reason = "SES transient bounce (" + b.BounceSubType + "): " + ev.Reason
			default: // Undetermined
				ev.Kind, ev.Status, ev.Reason = Soft, statusCode(r.Status), "SES bounce of undetermined type"
			}
			out = append(out, ev)
		}
	case "Complaint":
		c := n.Complaint
		if c.ComplaintFeedbackType == "not-spam" {
			return nil, nil
		}
		for i, r := range c.ComplainedRecipients {
			if i >= maxEvents {
				break
			}
			out = append(out, Event{Kind: Complaint, Source: "ses", Format: "ses", ID: sesID(c.FeedbackID, snsID, r.EmailAddress),
				Recipient: cleanAddress(r.EmailAddress), Action: orUnknown(c.ComplaintFeedbackType),
				Diagnostic: clip(c.UserAgent, maxDiagnostic), MessageID: msgID, At: parseTime(c.Timestamp),
				Reason: "SES complaint: " + orUnknown(c.ComplaintFeedbackType)})
		}
	}
	return out, nil
}

func sesID(feedbackID, snsID, rcpt string) string {
	id := feedbackID
	if id == "" {
		id = snsID
	}
	return "ses:" + id + ":" + strings.ToLower(rcpt)
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// ParsePostmark reads one Postmark webhook post: a Bounce record or a
// SpamComplaint record (other record types are not bounces).
func ParsePostmark(body []byte) ([]Event, error) {
	var n struct {
		RecordType  string          `json:"RecordType"`
		ID          json.Number     `json:"ID"`
		Type        string          `json:"Type"`
		TypeCode    int             `json:"TypeCode"`
		Email       string          `json:"Email"`
		Description string          `json:"Description"`
		Details     string          `json:"Details"`
		BouncedAt   string          `json:"BouncedAt"`
		Content     string          `json:"Content"`
		Metadata    json.RawMessage `json:"Metadata"`
	}
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	if err := d.Decode(&n); err != nil {
		return nil, fmt.Errorf("postmark record: %w", err)
	}
	if n.RecordType != "Bounce" && n.RecordType != "SpamComplaint" {
		return nil, nil
	}
	ev := Event{Source: "postmark", Format: "postmark", ID: "postmark:" + n.RecordType + ":" + n.ID.String(),
		Recipient: cleanAddress(n.Email), Action: n.Type, At: parseTime(n.BouncedAt),
		Diagnostic: clip(strings.TrimSpace(n.Details+" "+n.Description), maxDiagnostic)}
	if n.ID == "" {
		return nil, errors.New("postmark record without an ID")
	}
	switch n.Type {
	case "HardBounce", "BadEmailAddress":
		ev.Kind = Hard
	case "SoftBounce", "Transient", "DnsError", "SpamNotification", "VirusNotification", "Blocked", "DMARCPolicy", "Undeliverable":
		ev.Kind = Soft
	case "SpamComplaint":
		ev.Kind = Complaint
	default:
		// Unsubscribe, AutoResponder, AddressChange, ManuallyDeactivated...:
		// nothing a bounce policy acts on.
		return nil, nil
	}
	ev.Reason = "Postmark " + n.Type
	ev.Status = statusCode(n.Details)
	// With "include bounce content", the bounce itself comes along: it
	// may quote the original Message-ID (Postmark's MessageID is its own).
	if n.Content != "" {
		if inner, err := ParseMessage([]byte(n.Content)); err == nil {
			ev.MessageID, ev.ReturnPaths = inner.MessageID, inner.ReturnPaths
			if ev.Status == "" {
				ev.Status = inner.Status
			}
		}
	}
	return []Event{ev}, nil
}

// MailgunSignature is the signature object of a Mailgun webhook post.
type MailgunSignature struct {
	Timestamp string `json:"timestamp"`
	Token     string `json:"token"`
	Signature string `json:"signature"`
}

// ParseMailgun reads one Mailgun webhook post (JSON, webhooks API v3):
// its signature, to check, and its event: failed (permanent or
// temporary) or complained.
func ParseMailgun(body []byte) (MailgunSignature, []Event, error) {
	var n struct {
		Signature MailgunSignature `json:"signature"`
		EventData struct {
			Event          string  `json:"event"`
			ID             string  `json:"id"`
			Timestamp      float64 `json:"timestamp"`
			Severity       string  `json:"severity"`
			Reason         string  `json:"reason"`
			Recipient      string  `json:"recipient"`
			DeliveryStatus struct {
				Code         json.Number `json:"code"`
				EnhancedCode string      `json:"enhanced-code"`
				Message      string      `json:"message"`
				Description  string      `json:"description"`
			} `json:"delivery-status"`
			Message struct {
				Headers struct {
					MessageID string `json:"message-id"`
				} `json:"headers"`
			} `json:"message"`
		} `json:"event-data"`
	}
	if err := json.Unmarshal(body, &n); err != nil {
		return MailgunSignature{}, nil, fmt.Errorf("mailgun webhook: %w", err)
	}
	e := n.EventData
	ev := Event{Source: "mailgun", Format: "mailgun", ID: "mailgun:" + e.ID, Recipient: cleanAddress(e.Recipient),
		Action: strings.Trim(e.Event+"/"+e.Severity, "/"), MessageID: cleanMessageID(e.Message.Headers.MessageID)}
	if e.Timestamp > 0 && e.Timestamp < math.MaxInt32*2 {
		sec, frac := math.Modf(e.Timestamp)
		ev.At = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	ds := e.DeliveryStatus
	diag := strings.TrimSpace(ds.Code.String() + " " + ds.EnhancedCode + " " + ds.Message + " " + ds.Description)
	ev.Diagnostic = clip(diag, maxDiagnostic)
	switch e.Event {
	case "failed":
		kind, code, reason := classify("failed", ds.EnhancedCode, diag)
		switch {
		case e.Severity == "temporary":
			kind = Soft
		case strings.HasPrefix(e.Reason, "suppress-"):
			// Not sent: Mailgun has the address on its bounce (or
			// complaint, unsubscribe) list.
			kind, reason = Hard, "Mailgun suppressed the address: "+e.Reason
		case kind != Soft:
			kind = Hard
		}
		ev.Kind, ev.Status, ev.Reason = kind, code, "Mailgun "+e.Severity+" failure: "+reason
	case "complained":
		ev.Kind, ev.Reason = Complaint, "Mailgun complaint"
	default:
		return n.Signature, nil, nil
	}
	if e.ID == "" {
		return n.Signature, nil, errors.New("mailgun event without an id")
	}
	return n.Signature, []Event{ev}, nil
}

// ParseSendGrid reads one post of SendGrid's event webhook: a batch of
// events, of which bounce, blocked, dropped (for a bounced or complaining
// address) and spamreport count.
func ParseSendGrid(body []byte) ([]Event, error) {
	var batch []struct {
		Email          string      `json:"email"`
		Timestamp      json.Number `json:"timestamp"`
		SMTPID         string      `json:"smtp-id"`
		Event          string      `json:"event"`
		EventID        string      `json:"sg_event_id"`
		Reason         string      `json:"reason"`
		Status         string      `json:"status"`
		Type           string      `json:"type"`
		Classification string      `json:"bounce_classification"`
	}
	d := json.NewDecoder(strings.NewReader(string(body)))
	d.UseNumber()
	if err := d.Decode(&batch); err != nil {
		return nil, fmt.Errorf("sendgrid events: %w", err)
	}
	var out []Event
	for i, e := range batch {
		if i >= maxEvents {
			break
		}
		ev := Event{Source: "sendgrid", Format: "sendgrid", ID: "sendgrid:" + e.EventID, Recipient: cleanAddress(e.Email),
			Action: strings.Trim(e.Event+"/"+e.Type, "/"), MessageID: cleanMessageID(e.SMTPID),
			Diagnostic: clip(e.Reason, maxDiagnostic)}
		if ts, err := strconv.ParseInt(e.Timestamp.String(), 10, 64); err == nil && ts > 0 && ts < 1<<40 {
			ev.At = time.Unix(ts, 0).UTC()
		}
		switch {
		case e.Event == "spamreport":
			ev.Kind, ev.Reason = Complaint, "SendGrid spam report"
		case e.Event == "blocked" || e.Event == "bounce" && e.Type == "blocked":
			ev.Kind, ev.Status, ev.Reason = Soft, statusCode(e.Status), "SendGrid: blocked by the receiver"
		case e.Event == "bounce":
			kind, code, reason := classify("failed", e.Status, e.Reason)
			switch e.Classification {
			case "Invalid Address", "Mailbox Unavailable":
				kind = Hard
			case "Technical", "Content", "Reputation", "Frequency or Volume Too High":
				kind = Soft
			}
			ev.Kind, ev.Status, ev.Reason = kind, code, "SendGrid bounce ("+orUnknown(e.Classification)+"): "+reason
		case e.Event == "dropped" && e.Reason == "Bounced Address":
			ev.Kind, ev.Reason = Hard, "SendGrid dropped it: the address bounced before"
		case e.Event == "dropped" && e.Reason == "Spam Reporting Address":
			ev.Kind, ev.Reason = Complaint, "SendGrid dropped it: the address reported spam before"
		default:
			continue
		}
		if e.EventID == "" {
			return nil, errors.New("sendgrid event without an sg_event_id")
		}
		out = append(out, ev)
	}
	return out, nil
}
