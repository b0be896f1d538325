-- Issue 16: referrers as records shared by the team, the messages sent back to them, and the
-- organisation's letterhead.

-- The directory of referrers (organisation-wide, like the services directory).
CREATE TABLE referrer (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT,
    organisation TEXT,
    practice TEXT,
    ods_code TEXT,
    secure_email TEXT,
    postal_address TEXT,
    postcode TEXT,
    preferred_route TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0,
    created_on TEXT NOT NULL
);

-- A referral names its referrer's record; the old free-text fields stay for old records.
-- No foreign key: a referral and its referrer may arrive by sync in either order.
ALTER TABLE referral ADD COLUMN referrer_id TEXT;

-- Each message as sent (insert-only: a correction is a new message naming the one it replaces).
CREATE TABLE referrer_message (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    referral_id TEXT NOT NULL,
    referrer_id TEXT,
    kind TEXT NOT NULL,
    route TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    replaces TEXT,
    consent_rule TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE INDEX referrer_message_referral ON referrer_message(referral_id, kind);

-- The organisation's letterhead for letters (the latest row wins).
CREATE TABLE letterhead (
    id TEXT PRIMARY KEY,
    service_name TEXT NOT NULL,
    address TEXT,
    phone TEXT,
    email TEXT,
    website TEXT,
    recorded_on TEXT NOT NULL
);
