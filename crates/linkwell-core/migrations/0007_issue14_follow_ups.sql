-- Issue 14: follow-ups that outlive the episode, licences from the organisation, and who went
-- along to a first session.

-- A decision may name one instrument (NULL: every instrument at that time point), the
-- occurrence of a repeating follow-up it is about (its due date), and a "remind me later" date.
ALTER TABLE follow_up_decision ADD COLUMN instrument TEXT;
ALTER TABLE follow_up_decision ADD COLUMN due_on TEXT;
ALTER TABLE follow_up_decision ADD COLUMN remind_on TEXT;

-- The date on the licence, and whether it lets the organisation keep item answers.
ALTER TABLE instrument_licence ADD COLUMN licensed_on TEXT;
ALTER TABLE instrument_licence ADD COLUMN covers_items INTEGER NOT NULL DEFAULT 0;

-- The organisation's follow-up schedule of an instrument (the latest row wins); without one,
-- the core's defaults apply.
CREATE TABLE follow_up_schedule (
    id TEXT PRIMARY KEY,
    instrument TEXT NOT NULL,
    t1_months INTEGER,
    t2_months INTEGER,
    every_months INTEGER,
    recorded_on TEXT NOT NULL
);

ALTER TABLE onward_referral ADD COLUMN accompanied_by_worker_id TEXT REFERENCES worker(id);
ALTER TABLE onward_referral ADD COLUMN accompanied_by_name TEXT;
