//! Sessions (contacts) and their notes. Notes are append-only: an edit is a new revision that
//! supersedes the one the writer saw; a retraction is itself a recorded revision with a
//! reason. Nothing is overwritten and nothing is hard-deleted.

use crate::domain::validate::Checker;
use crate::domain::vocabulary::{Attendance, SessionMode};
use crate::error::{CoreError, Refusal, Result};
use crate::records::WireText;
use crate::records::pathway::pick;
use crate::store::{self, Store};
use chrono::{Local, NaiveDateTime};
use linkwell_protocol::EntityKind as K;
use linkwell_protocol::fields::text_limit;
use linkwell_protocol::{EntityKind, Operation};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use uuid::Uuid;

crate::store::record_kinds!(Note, NoteRevision, Session);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Session {
    pub id: Uuid,
    pub person_id: Uuid,
    pub episode_id: Option<Uuid>,
    pub worker_id: Uuid,
    pub starts_at: NaiveDateTime,
    pub mode: SessionMode,
    pub venue: Option<String>,
    #[ts(type = "number | null")]
    pub minutes: Option<i64>,
    pub attendance: Attendance,
    pub actions_agreed: Option<String>,
    pub next_step: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct SessionInput {
    #[ts(as = "Option<String>", optional)]
    pub starts_at: String,
    #[ts(as = "Option<String>", optional)]
    pub mode: String,
    pub venue: Option<String>,
    #[ts(type = "number | null")]
    pub minutes: Option<i64>,
    /// booked (an appointment), attended, did_not_attend or cancelled.
    #[ts(as = "Option<String>", optional)]
    pub attendance: String,
    pub actions_agreed: Option<String>,
    pub next_step: Option<String>,
    /// A note written during the session, saved with it.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Note {
    pub id: Uuid,
    pub person_id: Uuid,
    pub session_id: Option<Uuid>,
    pub created_at: NaiveDateTime,
    pub worker_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct NoteRevision {
    pub id: Uuid,
    pub note_id: Uuid,
    pub supersedes: Option<Uuid>,
    pub body: String,
    pub retracted: bool,
    pub reason: Option<String>,
    pub written_at: NaiveDateTime,
    pub worker_id: Uuid,
}

/// A note with its whole revision history, oldest first; the last is current.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct NoteWithHistory {
    pub note: Note,
    pub revisions: Vec<NoteRevision>,
}

impl NoteWithHistory {
    pub fn current(&self) -> Option<&NoteRevision> {
        self.revisions.last()
    }
}

fn now() -> NaiveDateTime {
    Local::now().naive_local()
}

/// A session in the past cannot still be booked, nor one in the future attended.
fn check_attendance_time(
    c: &mut Checker,
    attendance: Option<Attendance>,
    starts_at: Option<NaiveDateTime>,
) {
    if attendance == Some(Attendance::Booked)
        && starts_at.is_some_and(|s| s < now() - chrono::Duration::days(1))
    {
        c.fail("attendance", "An appointment in the past should be recorded as attended, did not attend or cancelled");
    }
    if matches!(
        attendance,
        Some(Attendance::Attended | Attendance::DidNotAttend)
    ) && starts_at.is_some_and(|s| s > now() + chrono::Duration::hours(1))
    {
        c.fail("starts_at", "A session in the future can only be booked");
    }
}

impl Store {
    /// Records a session (or books an appointment). A held session moves the episode to
    /// active. A note given with it is saved in the same transaction.
    pub fn record_session(&mut self, person_id: Uuid, input: &SessionInput) -> Result<Session> {
        self.person(person_id)?;
        let mut c = Checker::new();
        let starts_at = c.datetime("starts_at", "Date and time", &input.starts_at);
        let mode = pick(
            &mut c,
            "mode",
            "how you met",
            &input.mode,
            SessionMode::parse,
            SessionMode::labels,
        );
        let attendance = pick(
            &mut c,
            "attendance",
            "whether they came",
            &input.attendance,
            Attendance::parse,
            Attendance::labels,
        );
        if let Some(m) = input.minutes
            && !(0..=600).contains(&m)
        {
            c.fail("minutes", "Length must be between 0 and 600 minutes");
        }
        let venue = c.optional_text(K::Session, "venue", "Venue", input.venue.as_deref());
        let actions_agreed = c.optional_text(
            K::Session,
            "actions_agreed",
            "Actions agreed",
            input.actions_agreed.as_deref(),
        );
        let next_step = c.optional_text(
            K::Session,
            "next_step",
            "Next step",
            input.next_step.as_deref(),
        );
        let note = c.optional(
            "note",
            "Note",
            input.note.as_deref(),
            text_limit(K::NoteRevision, "body"),
        );
        check_attendance_time(&mut c, attendance, starts_at);
        c.finish()?;
        let episode = self.open_episode(person_id)?;
        // Sessions belong to support that is open; a closed record is reopened first.
        if episode.is_none() && !self.episodes(person_id)?.is_empty() {
            return Err(Refusal::SupportClosed.into());
        }
        let attendance = attendance.unwrap_or(Attendance::Booked);
        self.write(|w| {
            let session = Session {
                id: w.new_id(),
                person_id,
                episode_id: episode.as_ref().map(|e| e.id),
                worker_id: w.actor().worker_id,
                starts_at: starts_at.unwrap_or_default(),
                mode: mode.unwrap_or(SessionMode::FaceToFace),
                venue,
                minutes: input.minutes,
                attendance,
                actions_agreed,
                next_step,
            };
            w.create(&session)?;
            if attendance == Attendance::Attended
                && let Some(ep) = &episode
            {
                crate::records::pathway::activate_on_session(w, ep, session.starts_at.date())?;
            }
            if let Some(body) = note {
                write_note(w, person_id, Some(session.id), body, now())?;
            }
            Ok(session)
        })
    }

    /// Closes off a booked appointment: attended, did not attend or cancelled. An appointment
    /// still to come can only be cancelled, and one closed off is not booked again.
    pub fn update_session_attendance(
        &mut self,
        session_id: Uuid,
        attendance: &str,
    ) -> Result<Session> {
        let mut s: Session = store::get(self.conn(), EntityKind::Session, session_id)?;
        let a = Attendance::parse(attendance).ok_or_else(|| {
            CoreError::invalid("attendance", "Choose attended, did not attend or cancelled")
        })?;
        if a == Attendance::Booked && s.attendance != Attendance::Booked {
            return Err(CoreError::invalid(
                "attendance",
                format!(
                    "This appointment is already recorded as {}: book a new one instead",
                    s.attendance.label().to_lowercase()
                ),
            ));
        }
        if matches!(a, Attendance::Attended | Attendance::DidNotAttend)
            && s.starts_at > now() + chrono::Duration::hours(1)
        {
            return Err(CoreError::invalid(
                "attendance",
                "This appointment has not happened yet: it can only be cancelled",
            ));
        }
        if a == s.attendance {
            return Ok(s);
        }
        s.attendance = a;
        let episode = self.open_episode(s.person_id)?;
        self.write(|w| {
            let mut m = Map::new();
            m.insert("attendance".into(), a.as_str().into());
            w.record(EntityKind::Session, session_id, Operation::Update, m)?;
            if a == Attendance::Attended
                && let Some(ep) = &episode
            {
                crate::records::pathway::activate_on_session(w, ep, s.starts_at.date())?;
            }
            Ok(s)
        })
    }

    pub fn sessions(&self, person_id: Uuid) -> Result<Vec<Session>> {
        store::get_where(
            self.conn(),
            EntityKind::Session,
            "person_id = ?1",
            &person_id.to_string(),
            "starts_at DESC",
        )
    }

    /// Adds a note to a person's record, optionally tied to a session.
    pub fn add_note(
        &mut self,
        person_id: Uuid,
        session_id: Option<Uuid>,
        body: &str,
    ) -> Result<NoteWithHistory> {
        self.person(person_id)?;
        if let Some(sid) = session_id {
            let s: Session = store::get(self.conn(), EntityKind::Session, sid)?;
            if s.person_id != person_id {
                return Err(CoreError::invalid(
                    "session_id",
                    "That session belongs to someone else",
                ));
            }
        }
        let mut c = Checker::new();
        let body = c.text(K::NoteRevision, "body", "Note", body);
        c.finish()?;
        let id = self.write(|w| write_note(w, person_id, session_id, body, now()))?;
        self.note(id)
    }

    /// Writes a new revision of a note. `supersedes` is the revision the writer was looking at:
    /// if someone else revised the note since, the edit is refused rather than silently
    /// overwriting theirs.
    pub fn revise_note(
        &mut self,
        note_id: Uuid,
        supersedes: Uuid,
        body: &str,
    ) -> Result<NoteWithHistory> {
        let current = self.note(note_id)?;
        let latest = current.current().map(|r| r.id);
        if latest != Some(supersedes) {
            return Err(Refusal::NoteChangedMeanwhile.into());
        }
        if current.current().is_some_and(|r| r.retracted) {
            return Err(Refusal::NoteRetracted.into());
        }
        let mut c = Checker::new();
        let body = c.text(K::NoteRevision, "body", "Note", body);
        c.finish()?;
        if current.current().is_some_and(|r| r.body == body) {
            return Ok(current);
        }
        self.write(|w| {
            let rev = NoteRevision {
                id: w.new_id(),
                note_id,
                supersedes: Some(supersedes),
                body,
                retracted: false,
                reason: None,
                written_at: now(),
                worker_id: w.actor().worker_id,
            };
            w.create(&rev)
        })?;
        self.note(note_id)
    }

    /// Retracts a note (e.g. written on the wrong record). The text stays in the history; the
    /// retraction is a revision with a reason.
    pub fn retract_note(&mut self, note_id: Uuid, reason: &str) -> Result<NoteWithHistory> {
        let current = self.note(note_id)?;
        let latest = current
            .current()
            .ok_or_else(|| CoreError::Corrupt("note without text".into()))?;
        if latest.retracted {
            return Err(Refusal::NoteAlreadyRetracted.into());
        }
        let mut c = Checker::new();
        let reason = c.text(K::NoteRevision, "reason", "Reason for retracting", reason);
        c.finish()?;
        let (supersedes, body) = (latest.id, latest.body.clone());
        self.write(|w| {
            let rev = NoteRevision {
                id: w.new_id(),
                note_id,
                supersedes: Some(supersedes),
                body,
                retracted: true,
                reason: Some(reason),
                written_at: now(),
                worker_id: w.actor().worker_id,
            };
            w.create(&rev)
        })?;
        self.note(note_id)
    }

    pub fn note(&self, note_id: Uuid) -> Result<NoteWithHistory> {
        let note: Note = store::get(self.conn(), EntityKind::Note, note_id)?;
        let revisions = store::get_where(
            self.conn(),
            EntityKind::NoteRevision,
            "note_id = ?1",
            &note_id.to_string(),
            "written_at, rowid",
        )?;
        Ok(NoteWithHistory { note, revisions })
    }

    pub fn notes(&self, person_id: Uuid) -> Result<Vec<NoteWithHistory>> {
        let notes: Vec<Note> = store::get_where(
            self.conn(),
            EntityKind::Note,
            "person_id = ?1",
            &person_id.to_string(),
            "created_at DESC",
        )?;
        notes.into_iter().map(|n| self.note(n.id)).collect()
    }
}

/// A new note and its first revision. Returns the note's id.
pub(crate) fn write_note(
    w: &mut store::Writer<'_>,
    person_id: Uuid,
    session_id: Option<Uuid>,
    body: String,
    at: NaiveDateTime,
) -> Result<Uuid> {
    let note = Note {
        id: w.new_id(),
        person_id,
        session_id,
        created_at: at,
        worker_id: w.actor().worker_id,
    };
    w.create(&note)?;
    let rev = NoteRevision {
        id: w.new_id(),
        note_id: note.id,
        supersedes: None,
        body,
        retracted: false,
        reason: None,
        written_at: at,
        worker_id: note.worker_id,
    };
    w.create(&rev)?;
    Ok(note.id)
}
