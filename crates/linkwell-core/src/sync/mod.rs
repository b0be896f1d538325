//! The client sync engine: enrolment, push until the outbox is empty, pull until the end,
//! applying pulled changes through the same [`store::apply`] as local writes (but without
//! logging them again), and an honest status.
//!
//! The engine knows nothing of HTTP: it talks to the server through a [`SyncTransport`]
//! (the HTTP one lives in `linkwell-sync-http`; the simulation uses an in-process one).
//!
//! Rules the engine keeps:
//! - the server's stream is the truth, except for fields this laptop changed and has not yet
//!   had acknowledged: those stay as written until the server has ruled on them (a losing
//!   value comes back as a correction);
//! - a pulled change that cannot be placed here is held (`sync_inbox_held`), never dropped, and
//!   never blocks the changes after it;
//! - when the server's epoch changes (restored from backup) every change still kept here is
//!   sent again and the stream is pulled from the start;
//! - "all synced" only when the outbox is empty and the last pull reached the end.

use crate::error::CoreError;
use crate::store::{self, Actor, Store};
use chrono::{SecondsFormat, Utc};
use linkwell_protocol::{
    EnrolRequest, EnrolResponse, EntityKind, ErrorBody, Hlc, Mutation, MutationResult, Operation,
    PROTOCOL_VERSION, PullRequest, PullResponse, PushRequest, PushResponse, ServerChange,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

mod review;
pub use review::{ReviewItem, ReviewSettlement};

/// Changes sent per push request.
pub const PUSH_BATCH: usize = 1_000;
/// Changes asked for per pull request.
pub const PULL_PAGE: u32 = 2_000;
/// Acknowledged changes are kept at least this long, so a server restored from an older
/// backup can be given them again.
pub const KEEP_ACKED_DAYS: i64 = 30;

/// How the engine reaches the server. Implementations carry no rules, only bytes.
pub trait SyncTransport {
    fn enrol(&mut self, req: &EnrolRequest) -> Result<EnrolResponse, TransportError>;
    fn push(&mut self, token: &str, req: &PushRequest) -> Result<PushResponse, TransportError>;
    fn pull(&mut self, token: &str, req: &PullRequest) -> Result<PullResponse, TransportError>;

    /// A quick check that the server can be reached at all (a TCP connection, say), made
    /// before a background sync so an offline laptop finds out without holding anything up.
    fn reachable(&mut self) -> Result<(), TransportError> {
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Offline, refused connection, timeout: try again later, nothing is lost.
    #[error("the server could not be reached ({0}); your changes are kept on this laptop")]
    Unreachable(String),
    /// The server answered with a refusal it explained.
    #[error("{}", .body.message)]
    Refused { status: u16, body: ErrorBody },
    #[error("the server's answer could not be read: {0}")]
    BadResponse(String),
    /// The answer was larger than this laptop reads (`limit` bytes): nothing was applied or
    /// skipped.
    #[error(
        "the server sent more than this laptop accepts in one answer ({} MB): nothing was skipped; ask your administrator to check the server's largest changes",
        .0 / (1024 * 1024)
    )]
    TooLarge(u64),
    /// Linkwell was locked while a sync was running: it stopped before its next request.
    #[error("the sync stopped because Linkwell was locked; it starts again once unlocked")]
    Stopped,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("this laptop is not enrolled: run `linkwell enrol --server URL --code CODE` first")]
    NotEnrolled,
    #[error(
        "this database is already set up; enrol a new, empty database (a laptop is enrolled once)"
    )]
    AlreadySetUp,
    #[error(
        "the server is missing changes older than this laptop keeps (it expects change {expected}, the oldest kept here is {oldest}); call your administrator"
    )]
    LostHistory { expected: u64, oldest: u64 },
    #[error("sync did not settle after {0} rounds; try again")]
    Unsettled(u32),
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Core(e.into())
    }
}

impl From<serde_json::Error> for SyncError {
    fn from(e: serde_json::Error) -> Self {
        SyncError::Core(e.into())
    }
}

impl SyncError {
    /// True when the failure is temporary (offline): retry with backoff.
    pub fn is_offline(&self) -> bool {
        matches!(self, SyncError::Transport(TransportError::Unreachable(_)))
    }

    /// A stable code for each kind of failure (the UI and scripts tell them apart by it).
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Transport(TransportError::Unreachable(_)) => "offline",
            SyncError::Transport(TransportError::Refused { .. }) => "server_refused",
            SyncError::Transport(TransportError::BadResponse(_)) => "bad_server_answer",
            SyncError::Transport(TransportError::TooLarge(_)) => "server_answer_too_large",
            SyncError::Transport(TransportError::Stopped) => "stopped_by_lock",
            SyncError::Core(c) => c.code(),
            SyncError::NotEnrolled => "not_enrolled",
            SyncError::AlreadySetUp => "already_set_up",
            SyncError::LostHistory { .. } => "server_lost_history",
            SyncError::Unsettled(_) => "unsettled",
        }
    }
}

/// The API and the gate answer with the core's error: a sync failure keeps its kind.
impl From<SyncError> for CoreError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Core(c) => c,
            other => CoreError::Sync(Box::new(other)),
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncReport {
    #[ts(type = "number")]
    pub pushed: u64,
    #[ts(type = "number")]
    pub pulled: u64,
    #[ts(type = "number")]
    pub refused: u64,
    #[ts(type = "number")]
    pub held: u64,
    pub rounds: u32,
    pub epoch_changed: bool,
}

/// The honest state of sync, as the status bar and `linkwell sync status` show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub server_url: Option<String>,
    /// Changes made here that the server has not yet acknowledged.
    #[ts(type = "number")]
    pub pending: i64,
    pub last_attempt_at: Option<String>,
    pub last_success_at: Option<String>,
    /// What went wrong last time, in words; None after a successful sync.
    pub last_error: Option<String>,
    /// True when the last failure was only that the server could not be reached: offline is
    /// normal, and sync resumes by itself.
    pub offline: bool,
    /// True when the last pull reached the end of the server's changes.
    pub pull_complete: bool,
    /// Losing values and refusals that a person should look at.
    #[ts(type = "number")]
    pub to_review: i64,
    /// Pulled changes that could not be placed on this laptop (kept, shown).
    #[ts(type = "number")]
    pub held: i64,
    /// Of those, the ones still not placed: a value this laptop's rules refuse, or a record
    /// not here. The rest were overtaken by a later copy of their record, already applied.
    #[ts(type = "number")]
    pub unplaced: i64,
    /// Only when nothing is pending or unplaced, the last pull reached the end and the last
    /// attempt succeeded.
    pub all_synced: bool,
}

/// Exponential backoff while offline: 5 s doubling to 15 minutes.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    pub fn failed(&mut self) -> std::time::Duration {
        self.failures = self.failures.saturating_add(1);
        let secs = 5u64.saturating_mul(1 << self.failures.min(12).saturating_sub(1));
        std::time::Duration::from_secs(secs.min(15 * 60))
    }
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `sync_state`: server URL, last attempt, last success, last error, pull complete.
type StateRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    bool,
);

/// Credentials and cursor, read from the database.
struct Session {
    token: String,
    device_id: Uuid,
}

impl Store {
    /// Enrols this (empty) database with a server using a one-time code: the worker, their
    /// teams and this device's identity come from the server.
    pub fn enrol(
        &mut self,
        transport: &mut dyn SyncTransport,
        server_url: &str,
        code: &str,
    ) -> Result<EnrolResponse, SyncError> {
        if self.actor().is_ok() {
            return Err(SyncError::AlreadySetUp);
        }
        let resp = transport.enrol(&EnrolRequest {
            protocol_version: PROTOCOL_VERSION,
            schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
            code: code.trim().to_string(),
        })?;
        let tx = self.conn_mut().transaction()?;
        for team in &resp.teams {
            let mut p = Map::new();
            p.insert("name".into(), team.name.clone().into());
            p.insert(
                "locality".into(),
                team.locality.clone().map_or(Value::Null, Value::from),
            );
            if !exists(&tx, EntityKind::Team, team.id)? {
                store::apply(&tx, EntityKind::Team, team.id, Operation::Create, &p)?;
            }
        }
        let w = &resp.worker;
        let mut p = Map::new();
        p.insert("name".into(), w.name.clone().into());
        p.insert("role".into(), w.role.clone().into());
        p.insert("team_id".into(), w.team_id.to_string().into());
        p.insert("active".into(), w.active.into());
        store::apply(&tx, EntityKind::Worker, w.id, Operation::Create, &p)?;
        tx.execute(
            "INSERT INTO device (singleton, device_id, worker_id, hlc_wall_ms, hlc_counter, server_epoch) VALUES (1, ?1, ?2, 0, 0, ?3)",
            params![resp.device_id.to_string(), w.id.to_string(), resp.epoch.to_string()],
        )?;
        tx.execute(
            "INSERT INTO sync_state (singleton, server_url, token, organisation_id) VALUES (1, ?1, ?2, ?3)",
            params![server_url, resp.token, resp.organisation_id.to_string()],
        )?;
        tx.commit()?;
        self.set_actor(Actor {
            worker_id: w.id,
            device_id: resp.device_id,
            team_id: w.team_id,
        });
        tracing::info!(device = %resp.device_id, worker = %w.id, "enrolled");
        Ok(resp)
    }

    /// The server this laptop syncs with, if enrolled.
    pub fn sync_server_url(&self) -> Result<Option<String>, SyncError> {
        Ok(self
            .conn()
            .query_row("SELECT server_url FROM sync_state", [], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Changes the stored server address (e.g. after the server moved).
    pub fn set_sync_server_url(&mut self, url: &str) -> Result<(), SyncError> {
        let n = self
            .conn()
            .execute("UPDATE sync_state SET server_url = ?1", [url])?;
        if n == 0 {
            return Err(SyncError::NotEnrolled);
        }
        Ok(())
    }

    fn session(&self) -> Result<Session, SyncError> {
        let token: Option<String> = self
            .conn()
            .query_row("SELECT token FROM sync_state", [], |r| r.get(0))
            .optional()?
            .flatten();
        let token = token.ok_or(SyncError::NotEnrolled)?;
        let device_id = self.actor().map_err(|_| SyncError::NotEnrolled)?.device_id;
        Ok(Session { token, device_id })
    }

    /// Push until the outbox is empty, pull until the end, again while anything is pending.
    /// The outcome (success or the error in words) is recorded for [`Store::sync_status`].
    pub fn sync(&mut self, transport: &mut dyn SyncTransport) -> Result<SyncReport, SyncError> {
        let session = self.session()?;
        self.conn()
            .execute("UPDATE sync_state SET last_attempt_at = ?1", [now_text()])?;
        let out = self.sync_rounds(transport, &session);
        match &out {
            Ok(_) => {
                self.conn().execute(
                    "UPDATE sync_state SET last_success_at = ?1, last_error = NULL, last_error_offline = 0",
                    [now_text()],
                )?;
                self.prune_acked(KEEP_ACKED_DAYS)?;
            }
            Err(e) => self.record_sync_failure(e)?,
        }
        out
    }

    /// Syncs if the server can be reached; otherwise records "offline" for the status line.
    /// The quick check (3 s at most over HTTP) finds out offline sooner than a request's own
    /// timeout would. "Sync now" and background sync both come here.
    pub fn sync_if_reachable(
        &mut self,
        transport: &mut dyn SyncTransport,
    ) -> Result<SyncReport, SyncError> {
        match transport.reachable() {
            Ok(()) => self.sync(transport),
            Err(e) => {
                let e = SyncError::from(e);
                self.record_sync_failure(&e)?;
                Err(e)
            }
        }
    }

    /// Records a failed attempt for the status line (and whether it failed only for being
    /// offline), as [`Store::sync`] does; used when a background sync's reachability check
    /// fails before it starts.
    pub fn record_sync_failure(&mut self, e: &SyncError) -> Result<(), SyncError> {
        tracing::warn!(error = %e, "sync failed");
        self.conn().execute(
            "UPDATE sync_state SET last_attempt_at = ?1, last_error = ?2, last_error_offline = ?3",
            params![now_text(), e.to_string(), e.is_offline()],
        )?;
        Ok(())
    }

    fn sync_rounds(
        &mut self,
        t: &mut dyn SyncTransport,
        s: &Session,
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        const MAX_ROUNDS: u32 = 6;
        loop {
            report.rounds += 1;
            self.push_all(t, s, &mut report)?;
            self.pull_all(t, s, &mut report)?;
            if self.pending_count()? == 0 && self.pull_complete()? {
                return Ok(report);
            }
            if report.rounds >= MAX_ROUNDS {
                return Err(SyncError::Unsettled(report.rounds));
            }
        }
    }

    fn pull_complete(&self) -> Result<bool, SyncError> {
        Ok(self
            .conn()
            .query_row("SELECT pull_complete FROM sync_state", [], |r| r.get(0))?)
    }

    /// The unacknowledged changes, oldest first, as wire mutations.
    fn outbox(&self, limit: usize) -> Result<Vec<Mutation>, SyncError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT seq, mutation_id, hlc, entity, entity_id, op, payload, payload_hash, worker_id, device_id, base_server_seq
             FROM change_log WHERE acked_at IS NULL ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                store::id_at(r, 1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                store::id_at(r, 4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                store::id_at(r, 8)?,
                store::id_at(r, 9)?,
                r.get::<_, i64>(10)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, mid, hlc, entity, eid, op, payload, hash, worker, device, base) = row?;
            let bad = |what: &str| CoreError::Corrupt(format!("change {seq} has a bad {what}"));
            out.push(Mutation {
                mutation_id: mid,
                device_id: device,
                worker_id: worker,
                device_seq: seq.max(0) as u64,
                hlc: Hlc::decode(&hlc).ok_or_else(|| bad("clock"))?,
                entity: EntityKind::parse(&entity).ok_or_else(|| bad("kind"))?,
                entity_id: eid,
                op: Operation::parse(&op).ok_or_else(|| bad("operation"))?,
                payload: serde_json::from_str(&payload)?,
                payload_hash: hash,
                base_server_seq: base.max(0) as u64,
            });
        }
        Ok(out)
    }

    fn push_all(
        &mut self,
        t: &mut dyn SyncTransport,
        s: &Session,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let mut rewinds = 0;
        loop {
            let batch = self.outbox(PUSH_BATCH)?;
            if batch.is_empty() {
                return Ok(());
            }
            let req = PushRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
                mutations: batch,
            };
            match t.push(&s.token, &req) {
                Ok(resp) => {
                    if self.note_epoch(resp.epoch)? {
                        report.epoch_changed = true;
                    }
                    report.refused += self.record_results(&req, &resp)?;
                    report.pushed += resp.results.len() as u64;
                }
                Err(TransportError::Refused { body, .. })
                    if body.code == "sequence_gap" && rewinds < 3 =>
                {
                    // The server lacks earlier changes (restored from backup): send them again.
                    rewinds += 1;
                    let expected = body.expected_seq.unwrap_or(1);
                    self.resend_from(expected)?;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Marks every kept change from `expected` on as not yet acknowledged.
    fn resend_from(&mut self, expected: u64) -> Result<(), SyncError> {
        let oldest: Option<i64> =
            self.conn()
                .query_row("SELECT MIN(seq) FROM change_log", [], |r| r.get(0))?;
        let oldest = oldest.unwrap_or(1).max(0) as u64;
        if expected < oldest {
            return Err(SyncError::LostHistory { expected, oldest });
        }
        self.conn().execute(
            "UPDATE change_log SET acked_at = NULL, server_seq = NULL, result = NULL WHERE seq >= ?1",
            [expected as i64],
        )?;
        Ok(())
    }

    /// Records a new server epoch; when it changed, everything kept is sent again and the
    /// stream pulled from the start. Returns whether it changed.
    fn note_epoch(&mut self, epoch: Uuid) -> Result<bool, SyncError> {
        let stored: Option<String> =
            self.conn()
                .query_row("SELECT server_epoch FROM device", [], |r| r.get(0))?;
        if stored.as_deref() == Some(epoch.to_string().as_str()) {
            return Ok(false);
        }
        let tx = self.conn_mut().transaction()?;
        if stored.is_some() {
            tracing::warn!(epoch = %epoch, "server epoch changed: re-sending and re-pulling");
            tx.execute(
                "UPDATE change_log SET acked_at = NULL, server_seq = NULL, result = NULL",
                [],
            )?;
            tx.execute("UPDATE device SET last_server_seq = 0", [])?;
            tx.execute("UPDATE sync_state SET pull_complete = 0", [])?;
        }
        tx.execute("UPDATE device SET server_epoch = ?1", [epoch.to_string()])?;
        tx.commit()?;
        Ok(stored.is_some())
    }

    /// Stores the server's answer for each change; refusals become review items.
    fn record_results(&mut self, req: &PushRequest, resp: &PushResponse) -> Result<u64, SyncError> {
        let now = now_text();
        let mut refused = 0;
        let tx = self.conn_mut().transaction()?;
        for (mid, result) in &resp.results {
            let server_seq = match result {
                MutationResult::Applied { server_seq }
                | MutationResult::Duplicate { server_seq }
                | MutationResult::Merged { server_seq, .. } => Some(*server_seq as i64),
                _ => None,
            };
            tx.prepare_cached(
                "UPDATE change_log SET acked_at = ?2, server_seq = ?3, result = ?4 WHERE mutation_id = ?1",
            )?
            .execute(params![
                mid.to_string(),
                now,
                server_seq,
                serde_json::to_string(result)?
            ])?;
            let (kind, reason) = match result {
                MutationResult::Rejected { reason } => ("rejected", reason),
                MutationResult::Quarantined { reason } => ("quarantined", reason),
                _ => continue,
            };
            refused += 1;
            let Some(m) = req.mutations.iter().find(|m| m.mutation_id == *mid) else {
                continue;
            };
            tx.execute(
                "INSERT OR IGNORE INTO sync_review (id, kind, entity, entity_id, lost, detail, needs_review, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
                params![
                    mid.to_string(),
                    kind,
                    m.entity.as_str(),
                    m.entity_id.to_string(),
                    m.payload.to_string(),
                    reason,
                    now
                ],
            )?;
        }
        tx.commit()?;
        Ok(refused)
    }

    fn pull_all(
        &mut self,
        t: &mut dyn SyncTransport,
        s: &Session,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let mut resets = 0;
        // Halved while the server's answer is too large for this laptop, down to one change:
        // a page that does not fit is asked for again smaller, never skipped.
        let mut limit = PULL_PAGE;
        loop {
            let (after, epoch): (i64, Option<String>) = self.conn().query_row(
                "SELECT last_server_seq, server_epoch FROM device",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let req = PullRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
                epoch: epoch.as_deref().and_then(|e| Uuid::parse_str(e).ok()),
                after_server_seq: after.max(0) as u64,
                limit,
            };
            let resp = match t.pull(&s.token, &req) {
                Err(TransportError::TooLarge(_)) if limit > 1 => {
                    limit /= 2;
                    continue;
                }
                other => other?,
            };
            if req.epoch != Some(resp.epoch) {
                if self.note_epoch(resp.epoch)? {
                    report.epoch_changed = true;
                }
                resets += 1;
                if resets > 2 {
                    return Err(SyncError::Unsettled(resets));
                }
                continue;
            }
            let (pulled, held) = self.apply_remote(s.device_id, &resp)?;
            report.pulled += pulled;
            report.held += held;
            if !resp.has_more {
                return Ok(());
            }
        }
    }

    /// Applies one pulled page in one transaction: changes (not logged again), losing values
    /// for review, the cursor, and the clock's receive rule. Returns (applied, held).
    pub fn apply_remote(
        &mut self,
        own_device: Uuid,
        resp: &PullResponse,
    ) -> Result<(u64, u64), SyncError> {
        let superseded = superseded_in_page(&resp.changes);
        if let Some(done) = self.apply_page(own_device, resp, Some(&superseded))? {
            return Ok(done);
        }
        // A change was held: the earlier writes skipped for it would have been the right
        // values here, so the page is applied again with every write, in order.
        Ok(self.apply_page(own_device, resp, None)?.unwrap_or_default())
    }

    /// One attempt at [`Store::apply_remote`]. With `superseded`, writes set again later in
    /// the page are skipped, and the attempt is given up (None, nothing kept) if any change
    /// has to be held.
    fn apply_page(
        &mut self,
        own_device: Uuid,
        resp: &PullResponse,
        superseded: Option<&[BTreeSet<String>]>,
    ) -> Result<Option<(u64, u64)>, SyncError> {
        let no_skip = BTreeSet::new();
        let tx = self.conn_mut().transaction()?;
        let (mut wall, mut counter): (i64, u32) =
            tx.query_row("SELECT hlc_wall_ms, hlc_counter FROM device", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let (mut applied, mut held) = (0, 0);
        let mut arrived_people = Vec::new();
        let now = now_text();
        for (i, ch) in resp.changes.iter().enumerate() {
            let m = &ch.mutation;
            let skip = superseded.and_then(|s| s.get(i)).unwrap_or(&no_skip);
            // Receive rule: this laptop's next tick is after everything it has seen.
            let seen = (m.hlc.wall_ms as i64, m.hlc.counter);
            if seen > (wall, counter) {
                (wall, counter) = seen;
            }
            if m.device_id == own_device {
                // Our own change is on the server at this position (even if its reply was
                // lost): from here on the stream is the truth for its fields.
                tx.prepare_cached(
                    "UPDATE change_log SET acked_at = COALESCE(acked_at, ?2), server_seq = COALESCE(server_seq, ?3) WHERE mutation_id = ?1",
                )?
                .execute(params![m.mutation_id.to_string(), now, ch.server_seq as i64])?;
                // Its effective fields are applied again: an earlier change in the stream
                // (e.g. after a restore) may have overwritten them here.
            }
            match in_savepoint(&tx, |c| apply_one(c, m, skip))? {
                Ok(()) => {
                    applied += 1;
                    if m.entity == EntityKind::Person
                        && m.op == Operation::Create
                        && m.device_id != own_device
                    {
                        arrived_people.push(m.entity_id);
                    }
                }
                // The database busy is not this change's fault: the page fails, to be tried
                // again, rather than a good change being held.
                Err(CoreError::Database(e)) if is_busy(&e) => {
                    return Err(CoreError::Database(e).into());
                }
                Err(_) if superseded.is_some() => return Ok(None),
                Err(e) => {
                    held += 1;
                    tracing::warn!(server_seq = ch.server_seq, entity = m.entity.as_str(), id = %m.entity_id, error = %e, "pulled change held");
                    tx.execute(
                        "INSERT OR REPLACE INTO sync_inbox_held (server_seq, mutation, reason, held_at) VALUES (?1, ?2, ?3, ?4)",
                        params![ch.server_seq as i64, serde_json::to_string(m)?, e.to_string(), now],
                    )?;
                }
            }
        }
        retry_held(&tx)?;
        review::flag_possible_duplicates(&tx, &arrived_people)?;
        for c in &resp.conflicts {
            tx.execute(
                "INSERT OR IGNORE INTO sync_review (id, kind, entity, entity_id, field, kept, lost, needs_review, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    c.conflict_id.to_string(),
                    serde_json::to_value(c.rule)?.as_str().unwrap_or("conflict"),
                    c.entity.as_str(),
                    c.entity_id.to_string(),
                    c.field,
                    c.kept.to_string(),
                    c.lost.to_string(),
                    c.needs_review,
                    now
                ],
            )?;
        }
        tx.execute(
            "UPDATE device SET last_server_seq = ?1, hlc_wall_ms = ?2, hlc_counter = ?3",
            params![resp.next_after as i64, wall, counter],
        )?;
        tx.execute("UPDATE sync_state SET pull_complete = ?1", [!resp.has_more])?;
        tx.commit()?;
        Ok(Some((applied, held)))
    }

    /// Removes acknowledged changes older than `days` (they are on the server).
    pub fn prune_acked(&mut self, days: i64) -> Result<u64, SyncError> {
        let cutoff = (Utc::now() - chrono::Duration::days(days))
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        let n = self.conn().execute(
            "DELETE FROM change_log WHERE acked_at IS NOT NULL AND acked_at < ?1",
            [cutoff],
        )?;
        Ok(n as u64)
    }

    /// The honest sync status.
    pub fn sync_status(&self) -> Result<SyncStatus, SyncError> {
        let pending = self.pending_count()?;
        let row: Option<StateRow> =
            self.conn()
                .query_row(
                    "SELECT server_url, last_attempt_at, last_success_at, last_error, pull_complete, last_error_offline FROM sync_state",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                )
                .optional()?;
        let count = |sql: &str| -> Result<i64, SyncError> {
            Ok(self.conn().query_row(sql, [], |r| r.get(0))?)
        };
        let to_review = self.to_review_count()?;
        let held = count("SELECT COUNT(*) FROM sync_inbox_held")?;
        let unplaced = self.unplaced_count()?;
        Ok(match row {
            None => SyncStatus {
                enrolled: false,
                server_url: None,
                pending,
                last_attempt_at: None,
                last_success_at: None,
                last_error: None,
                offline: false,
                pull_complete: false,
                to_review,
                held,
                unplaced,
                all_synced: false,
            },
            Some((url, attempt, success, error, complete, offline)) => SyncStatus {
                enrolled: true,
                server_url: url,
                pending,
                all_synced: pending == 0
                    && unplaced == 0
                    && complete
                    && error.is_none()
                    && success.is_some(),
                last_attempt_at: attempt,
                last_success_at: success,
                last_error: error,
                offline,
                pull_complete: complete,
                to_review,
                held,
                unplaced,
            },
        })
    }

    /// Held pulled changes that are still not placed here: a value the wire rules refuse, or
    /// a record this laptop does not have. (A held update of a record that arrived later in a
    /// fuller copy is overtaken, not missing.)
    fn unplaced_count(&self) -> Result<i64, SyncError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT mutation FROM sync_inbox_held")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut n = 0;
        for row in rows {
            let unplaced = match serde_json::from_str::<Mutation>(&row?) {
                Ok(m) => {
                    !matches!(&m.payload, Value::Object(p) if linkwell_protocol::fields::check_payload(m.entity, p).is_ok())
                        || !exists(self.conn(), m.entity, m.entity_id)?
                }
                Err(_) => true,
            };
            n += i64::from(unplaced);
        }
        Ok(n)
    }
}

fn exists(conn: &Connection, entity: EntityKind, id: Uuid) -> Result<bool, CoreError> {
    let table = linkwell_protocol::registry::table(entity);
    Ok(conn
        .prepare_cached(&format!("SELECT 1 FROM {} WHERE id = ?1", table.name))?
        .query_row([id.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Fields of a record changed here and not yet acknowledged: the server has not ruled on them.
fn pending_fields(
    conn: &Connection,
    entity: EntityKind,
    id: Uuid,
) -> Result<BTreeSet<String>, CoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT payload FROM change_log WHERE entity = ?1 AND entity_id = ?2 AND acked_at IS NULL",
    )?;
    let mut out = BTreeSet::new();
    let rows = stmt.query_map(params![entity.as_str(), id.to_string()], |r| {
        r.get::<_, String>(0)
    })?;
    for row in rows {
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&row?) {
            out.extend(m.keys().cloned());
        }
    }
    Ok(out)
}

/// For each change of a pulled page, the fields a later change in the same page sets again on
/// the same record. Applied in stream order those writes would be overwritten within the
/// page, so they are skipped: a laptop pulling back its own week of edits to one person
/// writes that person once per field, not once per edit.
fn superseded_in_page(changes: &[ServerChange]) -> Vec<BTreeSet<String>> {
    let mut later: HashMap<(EntityKind, Uuid), BTreeSet<&str>> = HashMap::new();
    let mut out = vec![BTreeSet::new(); changes.len()];
    for (i, ch) in changes.iter().enumerate().rev() {
        let m = &ch.mutation;
        let Value::Object(p) = &m.payload else {
            continue;
        };
        let set = later.entry((m.entity, m.entity_id)).or_default();
        out[i] = p
            .keys()
            .filter(|k| set.contains(k.as_str()))
            .cloned()
            .collect();
        set.extend(p.keys().map(String::as_str));
    }
    out
}

/// Applies one pulled change: creates what is new, updates the fields the server decided
/// (but not those in `skip`, set again later in the same page), leaves insert-only records
/// and unacknowledged local fields alone.
fn apply_one(conn: &Connection, m: &Mutation, skip: &BTreeSet<String>) -> Result<(), CoreError> {
    let Value::Object(payload) = &m.payload else {
        return Err(CoreError::Corrupt(
            "pulled change is not a set of fields".into(),
        ));
    };
    // The same rules the server applies on receive: a value this laptop would refuse is held
    // (and shown), never written, whichever server or laptop sent it.
    linkwell_protocol::fields::check_payload(m.entity, payload).map_err(|p| {
        CoreError::Corrupt(format!("{}.{} {}", m.entity.as_str(), p.field, p.message))
    })?;
    if !exists(conn, m.entity, m.entity_id)? {
        if m.op != Operation::Create {
            return Err(CoreError::NotFound {
                entity: m.entity.as_str(),
                id: m.entity_id.to_string(),
            });
        }
        return store::apply(conn, m.entity, m.entity_id, Operation::Create, payload);
    }
    if m.entity.is_append_only() || payload.keys().all(|k| skip.contains(k)) {
        return Ok(());
    }
    let pending = pending_fields(conn, m.entity, m.entity_id)?;
    // Fields that already hold the value are not written again (no re-index): the usual case
    // for this laptop's own changes coming back.
    let current = store::load(conn, m.entity, m.entity_id)?.unwrap_or_default();
    let fields: Map<String, Value> = payload
        .iter()
        .filter(|(k, v)| !pending.contains(*k) && !skip.contains(*k) && current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if fields.is_empty() {
        return Ok(());
    }
    store::apply(conn, m.entity, m.entity_id, Operation::Update, &fields)
}

/// Tries again to place held changes, in stream order: a create (e.g. a note whose person
/// arrived later), then the updates held because that record was not here yet.
///
/// A held update is only applied after its own record's held create has been placed in the
/// same pass, so it lands in stream order. A record that became known any other way came in a
/// later stream entry (a snapshot after a reassignment) that already includes its held create
/// and updates; applying them then would put older values over newer ones, so they stay held.
fn retry_held(tx: &rusqlite::Transaction<'_>) -> Result<(), SyncError> {
    let held: Vec<(i64, String)> = {
        let mut stmt =
            tx.prepare("SELECT server_seq, mutation FROM sync_inbox_held ORDER BY server_seq")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut placed_now: HashSet<(EntityKind, Uuid)> = HashSet::new();
    for (seq, text) in held {
        let Ok(m) = serde_json::from_str::<Mutation>(&text) else {
            continue;
        };
        let record = (m.entity, m.entity_id);
        let placeable = if m.op == Operation::Create {
            !exists(tx, m.entity, m.entity_id)?
        } else {
            placed_now.contains(&record)
        };
        if !placeable {
            continue;
        }
        if in_savepoint(tx, |c| apply_one(c, &m, &BTreeSet::new()))?.is_ok() {
            tx.execute("DELETE FROM sync_inbox_held WHERE server_seq = ?1", [seq])?;
            placed_now.insert(record);
        }
    }
    Ok(())
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Runs `f` in a savepoint: kept if it succeeds, undone if not. The savepoint statements are
/// prepared once (rusqlite's `savepoint()` parses new SQL each time, which cost a fifth of
/// applying a pulled page).
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, CoreError>,
) -> Result<Result<T, CoreError>, SyncError> {
    conn.prepare_cached("SAVEPOINT pulled_change")?
        .execute([])?;
    let out = f(conn);
    if out.is_err() {
        conn.prepare_cached("ROLLBACK TO pulled_change")?
            .execute([])?;
    }
    conn.prepare_cached("RELEASE pulled_change")?.execute([])?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_fifteen_minutes() {
        let mut b = Backoff::default();
        assert_eq!(b.failed().as_secs(), 5);
        assert_eq!(b.failed().as_secs(), 10);
        assert_eq!(b.failed().as_secs(), 20);
        for _ in 0..20 {
            b.failed();
        }
        assert_eq!(b.failed().as_secs(), 900);
        b.succeeded();
        assert_eq!(b.failed().as_secs(), 5);
    }

    #[test]
    fn only_the_last_write_of_a_field_in_a_page_is_applied() {
        let (anne, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let change = |seq: u64, id: Uuid, payload: Value| ServerChange {
            server_seq: seq,
            mutation: Mutation {
                mutation_id: Uuid::now_v7(),
                device_id: Uuid::nil(),
                worker_id: Uuid::nil(),
                device_seq: seq,
                hlc: Hlc {
                    wall_ms: seq,
                    counter: 0,
                    device: Uuid::nil(),
                },
                entity: EntityKind::Person,
                entity_id: id,
                op: Operation::Update,
                payload,
                payload_hash: String::new(),
                base_server_seq: 0,
            },
        };
        let page = [
            change(1, anne, serde_json::json!({"phone": "1", "email": "a@x"})),
            change(2, bob, serde_json::json!({"phone": "2"})),
            change(3, anne, serde_json::json!({"phone": "3"})),
        ];
        let skip = superseded_in_page(&page);
        let names = |i: usize| skip[i].iter().cloned().collect::<Vec<_>>();
        assert_eq!(
            names(0),
            ["phone"],
            "Anne's phone is set again later; her email is not"
        );
        assert!(skip[1].is_empty(), "Bob's phone is another record's");
        assert!(skip[2].is_empty(), "the last write is applied");
    }
}
