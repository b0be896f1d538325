-- Drafts: text typed into a form but not saved yet, kept so a closed window or an auto-lock
-- loses nothing. Local to this laptop's encrypted database; never synced, never in the change
-- log (a draft is not a record until the worker saves it).
CREATE TABLE draft (
    key      TEXT PRIMARY KEY,
    fields   TEXT NOT NULL,
    saved_at TEXT NOT NULL
) STRICT;
