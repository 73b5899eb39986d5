package bounce

import "testing"

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		action, status, diag string
		kind                 Kind
		code                 string
	}{
		{"failed", "5.1.1", "550 5.1.1 user unknown", Hard, "5.1.1"},
		{"failed", "5.0.0", "550 5.1.2 bad destination system", Hard, "5.1.2"},
		{"failed", "5.0.0", "550 Requested action not taken: mailbox unavailable", Hard, "5.0.0"},
		{"failed", "5.2.2", "552 Mailbox full", Soft, "5.2.2"},
		{"failed", "5.7.1", "550 5.7.1 Message rejected as spam", Soft, "5.7.1"},
		{"failed", "5.7.1", "550 5.7.1 Recipient address rejected: user unknown", Hard, "5.7.1"},
		{"failed", "5.7.13", "525 5.7.13 User account disabled", Hard, "5.7.13"},
		{"failed", "4.4.7", "Delivery time expired", Soft, "4.4.7"},
		{"failed", "4.2.2", "452 4.2.2 over quota", Soft, "4.2.2"},
		{"failed", "", "550 5.4.4 Unable to route", Hard, "5.4.4"},
		{"delayed", "4.4.1", "connection timed out", None, "4.4.1"},
		{"delivered", "2.0.0", "", None, "2.0.0"},
		{"", "", "554 delivery error: dd This user doesn't have a yahoo.com account", Hard, "5.0.0"},
		{"", "", "mailbox is full", Soft, ""},
		{"failed", "", "it did not work", Hard, ""},
		{"", "", "it did not work", Soft, ""},
	} {
		kind, code, reason := classify(c.action, c.status, c.diag)
		if kind != c.kind || code != c.code {
			t.Errorf("classify(%q, %q, %q) = %q %q (%s), want %q %q", c.action, c.status, c.diag, kind, code, reason, c.kind, c.code)
		}
	}
}
