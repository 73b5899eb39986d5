package store

import (
	"context"
	"fmt"
)

// KeepSetting returns the value kept under name, putting value there first
// if there is none: of processes starting at once, the first one's is kept
// and every one gets it.
func (s *Store) KeepSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := s.exec(ctx, qSettingKeep, name, value); err != nil {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	var kept string
	if err := s.queryRow(ctx, qSettingGet, name).Scan(&kept); err != nil {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	return kept, nil
}

// PutSetting puts value under name, in place of any value before.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	if _, err := s.exec(ctx, qSettingPut, name, value); err != nil {
		return fmt.Errorf("setting %s: %w", name, err)
	}
	return nil
}
