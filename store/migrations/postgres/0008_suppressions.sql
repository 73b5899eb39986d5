-- Addresses erased with `bulletin subscribers forget`, kept only as a hash
-- of the address (store.SuppressionKey): enough to refuse bringing one
-- back without a new opt-in (an import, config's subscribers list, add
-- --confirmed), and nothing to read it from.
CREATE TABLE suppressions (
    key        TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);
