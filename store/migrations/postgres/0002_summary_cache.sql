-- Summaries written by a language model, kept so that summarizing the same
-- article again with the same model and prompt costs nothing. The key is made
-- by the digest package from the article's content hash, the model and the
-- prompt; the value is its JSON.
CREATE TABLE summary_cache (
    key        TEXT PRIMARY KEY,
    value      BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
