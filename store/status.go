package store

import (
	"context"
	"fmt"
)

// Totals are whole-database counts, for metrics and status.
type Totals struct {
	Articles   int
	Entries    int
	Issues     int
	Deliveries map[DeliveryStatus]int // over every issue
}

// Totals counts what the database holds.
func (s *Store) Totals(ctx context.Context) (Totals, error) {
	t := Totals{Deliveries: map[DeliveryStatus]int{}}
	err := s.queryRow(ctx, qTotals).Scan(&t.Articles, &t.Entries, &t.Issues)
	if err != nil {
		return Totals{}, fmt.Errorf("count totals: %w", err)
	}
	rows, err := s.query(ctx, qTotalsDeliveries)
	if err != nil {
		return Totals{}, fmt.Errorf("count deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st DeliveryStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return Totals{}, fmt.Errorf("count deliveries: %w", err)
		}
		t.Deliveries[st] = n
	}
	return t, rows.Err()
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.queryRow(ctx, qPing).Scan(&n); err != nil {
		return fmt.Errorf("store %s: %w", s.name, err)
	}
	return nil
}
