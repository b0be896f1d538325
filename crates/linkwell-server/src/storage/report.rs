//! What the organisation's reports read (`crate::report`), each in one read transaction, on
//! SQLite or PostgreSQL alike: the workers, and every record of a kind with its current field
//! values (the values every laptop converges on). Only reads; no rule is repeated here.

use super::db::{Db, p};
use super::{Result, ServerStorage, current_fields, entity_row};
use linkwell_protocol::EntityKind;
use serde_json::{Map, Value};
use uuid::Uuid;

/// A worker as the reports see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportWorker {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub active: bool,
}

impl ServerStorage {
    /// Every worker of the organisation.
    pub fn report_workers(&self) -> Result<Vec<ReportWorker>> {
        self.read(|db| {
            db.rows("SELECT id, name, role, active FROM worker", p![])?
                .iter()
                .map(|r| {
                    Ok(ReportWorker {
                        id: r.uuid(0)?,
                        name: r.text(1)?,
                        role: r.text(2)?,
                        active: r.bool(3)?,
                    })
                })
                .collect()
        })
    }

    /// Every record of `kind` with its current values, all read in one transaction.
    pub fn current_records(&self, kind: EntityKind) -> Result<Vec<(Uuid, Map<String, Value>)>> {
        self.read(|db| records_of(db, kind))
    }
}

fn records_of(db: &dyn Db, kind: EntityKind) -> Result<Vec<(Uuid, Map<String, Value>)>> {
    let ids = db.rows(
        "SELECT id FROM entity WHERE kind = ?1 ORDER BY id",
        p![kind.as_str()],
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for r in ids {
        let id = r.uuid(0)?;
        if let Some(e) = entity_row(db, kind, id)? {
            out.push((id, current_fields(db, kind, id, &e)?));
        }
    }
    Ok(out)
}
