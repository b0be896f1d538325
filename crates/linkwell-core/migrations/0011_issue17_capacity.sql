-- Issue 17 item 3 and 6: a group's capacity, its waiting list, the sessions a linked person
-- attended, and what the group lead said about them.

-- Places per session and free (as of capacity_on), or just whether it has room.
ALTER TABLE service ADD COLUMN places_per_session INTEGER;
ALTER TABLE service ADD COLUMN places_free INTEGER;
ALTER TABLE service ADD COLUMN has_room TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE service ADD COLUMN capacity_on TEXT;

-- The day the person first agreed to go (enrolled), kept when the status moves on.
ALTER TABLE onward_referral ADD COLUMN agreed_on TEXT;

-- Who is waiting for a place in a group, since when, and how the wait ended.
-- No foreign keys to the referral or service: records may arrive by sync in either order.
CREATE TABLE waiting_list_entry (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    service_id TEXT NOT NULL,
    onward_referral_id TEXT NOT NULL,
    since_on TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    ended_on TEXT,
    end_reason TEXT
);
CREATE INDEX waiting_list_service ON waiting_list_entry(service_id, ended_on);
CREATE INDEX waiting_list_onward ON waiting_list_entry(onward_referral_id);

-- Each group session a linked person attended (insert-only).
CREATE TABLE group_attendance (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    service_id TEXT NOT NULL,
    onward_referral_id TEXT NOT NULL,
    attended_on TEXT NOT NULL,
    worker_id TEXT NOT NULL
);
CREATE INDEX group_attendance_onward ON group_attendance(onward_referral_id, attended_on);

-- What the group lead said about a person referred to them (insert-only).
CREATE TABLE lead_feedback (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    onward_referral_id TEXT NOT NULL,
    received_on TEXT NOT NULL,
    from_whom TEXT NOT NULL,
    said TEXT NOT NULL,
    worker_id TEXT NOT NULL
);
CREATE INDEX lead_feedback_onward ON lead_feedback(onward_referral_id, received_on);
