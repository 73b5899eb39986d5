package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// PingHub tells a WebSub hub that the topics (feed URLs, see Set.Topics)
// have new content, with the "publish" ping hubs accept: a form POST of
// hub.mode=publish and hub.url=TOPIC. It sends one request per topic,
// since not every hub takes several URLs at once, and returns the failures
// joined; a nil client means http.DefaultClient.
func PingHub(ctx context.Context, client *http.Client, hub string, topics ...string) error {
	if client == nil {
		client = http.DefaultClient
	}
	var errs []error
	for _, topic := range topics {
		form := url.Values{"hub.mode": {"publish"}, "hub.url": {topic}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hub, strings.NewReader(form.Encode()))
		if err != nil {
			return fmt.Errorf("websub ping %s: %w", hub, err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := client.Do(req)
		if err != nil {
			errs = append(errs, fmt.Errorf("websub ping %s for %s: %w", hub, topic, err))
			continue
		}
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		res.Body.Close()
		if res.StatusCode < 200 || res.StatusCode > 299 {
			errs = append(errs, fmt.Errorf("websub ping %s for %s: %s: %s", hub, topic, res.Status, strings.TrimSpace(string(msg))))
		}
	}
	return errors.Join(errs...)
}
