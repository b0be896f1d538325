-- Whether the last sync failed only because the server could not be reached (offline is a
-- normal state, shown calmly), as opposed to a refusal a person must act on.
ALTER TABLE sync_state ADD COLUMN last_error_offline INTEGER NOT NULL DEFAULT 0;
