package bulletin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

// Preview writes issue's email (0: the latest) to htmlPath, and its text part
// beside it with the extension .txt, and returns the files written.
func (a *App) Preview(ctx context.Context, issue int, htmlPath string) ([]string, error) {
	n, err := a.Newsletter()
	if err != nil {
		return nil, err
	}
	_, htmlBody, textBody, err := n.Preview(ctx, issue)
	if err != nil {
		return nil, err
	}
	textPath := strings.TrimSuffix(htmlPath, filepath.Ext(htmlPath)) + ".txt"
	if err := os.MkdirAll(filepath.Dir(htmlPath), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(htmlPath, []byte(htmlBody), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(textPath, []byte(textBody), 0o644); err != nil {
		return []string{htmlPath}, err
	}
	return []string{htmlPath, textPath}, nil
}
