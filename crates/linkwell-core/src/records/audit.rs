//! The audit trail: who opened, printed or exported whose record, and when. Changes already
//! carry their worker and device in the change log; this adds reading. Audit events are
//! append-only records synced like any other change, and only a supervisor (or an admin) may
//! read a person's trail.

use crate::domain::vocabulary::Role;
use crate::error::{Refusal, Result};
use crate::store::Store;
use chrono::Local;
use linkwell_protocol::{EntityKind, Operation};
use serde::Serialize;
use uuid::Uuid;

/// Re-opening the same record within this many minutes (moving between its sections, a
/// refresh after a save) is one look, not many: the trail stays readable for a supervisor.
pub const VIEW_WINDOW_MINUTES: i64 = 10;

const AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    ViewedRecord,
    PrintedGreenBook,
    ExportedData,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::ViewedRecord => "viewed_record",
            AuditAction::PrintedGreenBook => "printed_green_book",
            AuditAction::ExportedData => "exported_data",
        }
    }

    /// Words for a supervisor's screen; an action from a newer app version shows its code.
    pub fn label_of(code: &str) -> String {
        match code {
            "viewed_record" => "Opened the record".into(),
            "printed_green_book" => "Printed the Green Book".into(),
            "exported_data" => "Exported all their data".into(),
            other => other.replace('_', " "),
        }
    }
}

/// One line of a person's audit trail, as a supervisor sees it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditEntry {
    pub at: String,
    pub action: String,
    pub action_label: String,
    pub worker_id: String,
    /// None when the worker is not known on this laptop (another team's worker, say).
    pub worker_name: Option<String>,
    pub device_id: String,
}

impl Store {
    /// Appends to the audit trail. Never updated or deleted.
    pub fn record_audit(&mut self, person_id: Uuid, action: AuditAction) -> Result<()> {
        // Ids only: a log line never names the person.
        tracing::info!(person = %person_id, action = action.as_str(), "audit");
        let at = Local::now().naive_local().format(AT_FORMAT).to_string();
        self.write(|w| {
            let actor = w.actor();
            let id = w.new_id();
            let mut m = serde_json::Map::new();
            m.insert("person_id".into(), person_id.to_string().into());
            m.insert("action".into(), action.as_str().into());
            m.insert("at".into(), at.into());
            m.insert("worker_id".into(), actor.worker_id.to_string().into());
            m.insert("device_id".into(), actor.device_id.to_string().into());
            w.record(EntityKind::AuditEvent, id, Operation::Create, m)
        })
    }

    /// Records that this worker opened the person's record, unless they already did within
    /// the last [`VIEW_WINDOW_MINUTES`] on this device.
    pub fn record_view(&mut self, person_id: Uuid) -> Result<()> {
        let actor = self.actor()?;
        let since = (Local::now().naive_local() - chrono::Duration::minutes(VIEW_WINDOW_MINUTES))
            .format(AT_FORMAT)
            .to_string();
        let recent: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM audit_event WHERE person_id = ?1 AND action = ?2 \
             AND worker_id = ?3 AND device_id = ?4 AND at >= ?5)",
            rusqlite::params![
                person_id.to_string(),
                AuditAction::ViewedRecord.as_str(),
                actor.worker_id.to_string(),
                actor.device_id.to_string(),
                since
            ],
            |r| r.get(0),
        )?;
        if recent {
            return Ok(());
        }
        self.record_audit(person_id, AuditAction::ViewedRecord)
    }

    /// Whether the worker using this store may read audit trails.
    pub fn can_see_audit_trail(&self) -> Result<bool> {
        let me = self.worker(self.actor()?.worker_id)?;
        Ok(matches!(me.role, Role::Supervisor | Role::Admin))
    }

    /// The audit trail of a person's record, newest first, with workers' names where known.
    /// Supervisors and admins only.
    pub fn audit_trail(&self, person_id: Uuid) -> Result<Vec<AuditEntry>> {
        if !self.can_see_audit_trail()? {
            return Err(Refusal::SupervisorsOnly.into());
        }
        // One query: each line with its worker's name where this laptop knows the worker.
        let mut stmt = self.conn().prepare_cached(
            "SELECT a.at, a.action, a.worker_id, w.name, a.device_id FROM audit_event a
             LEFT JOIN worker w ON w.id = a.worker_id
             WHERE a.person_id = ?1 ORDER BY a.at DESC, a.rowid DESC",
        )?;
        let rows = stmt.query_map([person_id.to_string()], |r| {
            let action: String = r.get(1)?;
            Ok(AuditEntry {
                at: r.get(0)?,
                action_label: AuditAction::label_of(&action),
                action,
                worker_id: r.get(2)?,
                worker_name: r.get(3)?,
                device_id: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
