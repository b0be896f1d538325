-- Linkwell local schema, version 1. Append-only: never edit a migration that has shipped.
-- Dates are ISO text (YYYY-MM-DD), date-times ISO text without zone (local time of the team),
-- lists are JSON arrays, booleans 0/1. Every id is a UUIDv7 in text form.

CREATE TABLE team (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    locality TEXT
);

CREATE TABLE worker (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES team(id),
    phone TEXT,
    email TEXT,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE person (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL REFERENCES team(id),
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    preferred_name TEXT,
    date_of_birth TEXT,
    nhs_number TEXT,
    address TEXT,
    postcode TEXT,
    phone TEXT,
    email TEXT,
    gp_practice TEXT,
    language TEXT,
    interpreter_needed INTEGER NOT NULL DEFAULT 0,
    large_print INTEGER NOT NULL DEFAULT 0,
    easy_read INTEGER NOT NULL DEFAULT 0,
    accessibility_needs TEXT,
    carer_status TEXT,
    contact_restrictions TEXT,
    created_on TEXT NOT NULL
);
CREATE INDEX person_team ON person(team_id);
CREATE INDEX person_nhs ON person(nhs_number);

CREATE TABLE consent (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    kind TEXT NOT NULL,
    given INTEGER NOT NULL,
    recorded_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES worker(id),
    note TEXT
);
CREATE INDEX consent_person ON consent(person_id, kind, recorded_on);

CREATE TABLE risk_flag (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    kind TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    review_on TEXT NOT NULL,
    note TEXT,
    recorded_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES worker(id)
);
CREATE INDEX risk_flag_person ON risk_flag(person_id);
CREATE INDEX risk_flag_review ON risk_flag(active, review_on);

CREATE TABLE referral (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    source TEXT NOT NULL,
    referrer_name TEXT,
    referrer_practice TEXT,
    received_on TEXT NOT NULL,
    reasons TEXT NOT NULL,
    conditions TEXT NOT NULL,
    snomed_code TEXT,
    consent_to_contact INTEGER NOT NULL,
    detail TEXT
);
CREATE INDEX referral_person ON referral(person_id);

CREATE TABLE contact_attempt (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referral(id),
    attempted_at TEXT NOT NULL,
    method TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT,
    worker_id TEXT NOT NULL REFERENCES worker(id)
);
CREATE INDEX contact_attempt_referral ON contact_attempt(referral_id, attempted_at);

CREATE TABLE episode (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    referral_id TEXT NOT NULL REFERENCES referral(id),
    stage TEXT NOT NULL,
    worker_id TEXT NOT NULL REFERENCES worker(id),
    status TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    first_contact_on TEXT,
    closed_on TEXT,
    closing_reason TEXT
);
CREATE INDEX episode_worker_status ON episode(worker_id, status);
CREATE INDEX episode_person ON episode(person_id);
CREATE INDEX episode_status_opened ON episode(status, opened_on);

CREATE TABLE handover (
    id TEXT PRIMARY KEY,
    episode_id TEXT NOT NULL REFERENCES episode(id),
    from_worker_id TEXT NOT NULL REFERENCES worker(id),
    to_worker_id TEXT NOT NULL REFERENCES worker(id),
    to_stage TEXT NOT NULL,
    handed_on TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX handover_episode ON handover(episode_id);

CREATE TABLE session (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    episode_id TEXT REFERENCES episode(id),
    worker_id TEXT NOT NULL REFERENCES worker(id),
    starts_at TEXT NOT NULL,
    mode TEXT NOT NULL,
    venue TEXT,
    minutes INTEGER,
    attendance TEXT NOT NULL,
    actions_agreed TEXT,
    next_step TEXT
);
-- (person, attendance, time) answers "last attended" and "next booked" from the index alone.
CREATE INDEX session_person ON session(person_id, attendance, starts_at);
CREATE INDEX session_worker_day ON session(worker_id, starts_at);

-- A note's identity; its text lives in revisions (append-only: nothing is overwritten).
CREATE TABLE note (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    session_id TEXT REFERENCES session(id),
    created_at TEXT NOT NULL,
    worker_id TEXT NOT NULL REFERENCES worker(id)
);
CREATE INDEX note_person ON note(person_id, created_at);
CREATE INDEX note_session ON note(session_id);

CREATE TABLE note_revision (
    id TEXT PRIMARY KEY,
    note_id TEXT NOT NULL REFERENCES note(id),
    supersedes TEXT REFERENCES note_revision(id),
    body TEXT NOT NULL,
    retracted INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    written_at TEXT NOT NULL,
    worker_id TEXT NOT NULL REFERENCES worker(id)
);
CREATE INDEX note_revision_note ON note_revision(note_id, written_at);

CREATE TABLE wellbeing_plan (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    keeps_me_well TEXT NOT NULL,
    triggers TEXT NOT NULL,
    warning_signs TEXT NOT NULL,
    when_i_notice TEXT NOT NULL,
    crisis_help TEXT NOT NULL,
    written_on TEXT NOT NULL,
    review_on TEXT,
    worker_id TEXT NOT NULL REFERENCES worker(id)
);
CREATE INDEX wellbeing_plan_person ON wellbeing_plan(person_id, written_on);

CREATE TABLE goal (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    text TEXT NOT NULL,
    five_ways TEXT NOT NULL,
    set_on TEXT NOT NULL,
    status TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX goal_person ON goal(person_id);

CREATE TABLE goal_step (
    id TEXT PRIMARY KEY,
    goal_id TEXT NOT NULL REFERENCES goal(id),
    text TEXT NOT NULL,
    target_on TEXT,
    status TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX goal_step_goal ON goal_step(goal_id);

CREATE TABLE goal_rating (
    id TEXT PRIMARY KEY,
    goal_id TEXT NOT NULL REFERENCES goal(id),
    rated_on TEXT NOT NULL,
    score INTEGER NOT NULL CHECK (score BETWEEN -2 AND 2),
    worker_id TEXT NOT NULL REFERENCES worker(id)
);
CREATE INDEX goal_rating_goal ON goal_rating(goal_id, rated_on);

CREATE TABLE instrument_licence (
    id TEXT PRIMARY KEY,
    instrument TEXT NOT NULL,
    licence_holder TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    recorded_on TEXT NOT NULL
);

CREATE TABLE measure (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    instrument TEXT NOT NULL,
    time_point TEXT NOT NULL,
    taken_on TEXT NOT NULL,
    worker_id TEXT NOT NULL REFERENCES worker(id),
    score REAL,
    level INTEGER,
    items TEXT NOT NULL
);
CREATE INDEX measure_person ON measure(person_id, instrument, time_point);
CREATE INDEX measure_baseline ON measure(time_point, taken_on);

CREATE TABLE follow_up_decision (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    time_point TEXT NOT NULL,
    decision TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    note TEXT,
    worker_id TEXT NOT NULL REFERENCES worker(id)
);
CREATE INDEX follow_up_decision_person ON follow_up_decision(person_id, time_point);

CREATE TABLE provider (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    website TEXT,
    phone TEXT,
    email TEXT
);

CREATE TABLE service (
    id TEXT PRIMARY KEY,
    provider_id TEXT REFERENCES provider(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    categories TEXT NOT NULL,
    five_ways TEXT NOT NULL,
    schedules TEXT NOT NULL,
    venue TEXT,
    address TEXT,
    postcode TEXT,
    cost TEXT,
    free INTEGER NOT NULL DEFAULT 0,
    step_free INTEGER NOT NULL DEFAULT 0,
    hearing_loop INTEGER NOT NULL DEFAULT 0,
    transport TEXT,
    taking_new_members INTEGER NOT NULL DEFAULT 1,
    contact_name TEXT,
    contact_phone TEXT,
    contact_email TEXT,
    lead TEXT,
    last_verified_on TEXT,
    status TEXT NOT NULL,
    redirect_to TEXT REFERENCES service(id)
);
CREATE INDEX service_status ON service(status);

CREATE TABLE onward_referral (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person(id),
    service_id TEXT NOT NULL REFERENCES service(id),
    status TEXT NOT NULL,
    barriers TEXT NOT NULL,
    suggested_on TEXT NOT NULL,
    status_on TEXT NOT NULL,
    feedback TEXT,
    worker_id TEXT NOT NULL REFERENCES worker(id)
);
CREATE INDEX onward_referral_person ON onward_referral(person_id);
CREATE INDEX onward_referral_service ON onward_referral(service_id);

CREATE TABLE audit_event (
    id TEXT PRIMARY KEY,
    person_id TEXT REFERENCES person(id),
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    device_id TEXT NOT NULL
);
CREATE INDEX audit_event_person ON audit_event(person_id, at);

-- Full-text indexes, one per kind so each search reads only its own postings. Only `body`
-- is searched; `title` is what a result shows (a note's title names its person, but a name
-- search finds the person, not every note about them).
CREATE VIRTUAL TABLE person_search USING fts5(
    ref_id UNINDEXED, person_id UNINDEXED, title UNINDEXED, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE note_search USING fts5(
    ref_id UNINDEXED, person_id UNINDEXED, title UNINDEXED, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE service_search USING fts5(
    ref_id UNINDEXED, person_id UNINDEXED, title UNINDEXED, body,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Which full-text row holds each record, so re-indexing one record is an index lookup
-- rather than a scan of the whole index.
CREATE TABLE search_doc (
    ref_id TEXT PRIMARY KEY,
    doc_id INTEGER NOT NULL
) WITHOUT ROWID;

-- This laptop's identity and clocks (one row).
CREATE TABLE device (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id TEXT NOT NULL,
    worker_id TEXT NOT NULL REFERENCES worker(id),
    hlc_wall_ms INTEGER NOT NULL,
    hlc_counter INTEGER NOT NULL,
    next_seq INTEGER NOT NULL DEFAULT 1,
    last_server_seq INTEGER NOT NULL DEFAULT 0,
    server_epoch TEXT
);

-- The change log / outbox: every write appends here in the same transaction.
-- `seq` is the gapless per-device sequence sync sends in order.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY,
    mutation_id TEXT NOT NULL UNIQUE,
    hlc TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    base_server_seq INTEGER NOT NULL,
    acked_at TEXT,
    server_seq INTEGER
);
CREATE INDEX change_log_entity ON change_log(entity, entity_id);
CREATE INDEX change_log_pending ON change_log(acked_at) WHERE acked_at IS NULL;
