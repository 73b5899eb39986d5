package newsletter

import (
	"context"
)

// Preview renders an issue's email as a subscriber named "Example Reader"
// at reader@example.com would get it, without sending anything or touching
// the ledger: the operator's look before a send. Issue 0 is the latest.
func (n *Newsletter) Preview(ctx context.Context, issue int) (subject, htmlBody, textBody string, err error) {
	is, err := n.loadIssue(ctx, issue)
	if err != nil {
		return "", "", "", err
	}
	r, err := n.renderIssue(is, false)
	if err != nil {
		return "", "", "", err
	}
	const email = "reader@example.com"
	htmlBody, textBody = r.personalize(email, "Example Reader", n.pageURL("/unsubscribe", n.UnsubscribeToken(email)))
	return r.subject, htmlBody, textBody, nil
}
