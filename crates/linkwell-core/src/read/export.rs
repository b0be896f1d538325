//! Exports: everything held about one person (for a subject access request), or the whole
//! database, as JSON. Built from the same registry the store writes with, so no field is
//! left out by accident.

use crate::error::Result;
use crate::store::{Store, load_where};
use linkwell_protocol::{EntityKind, PersonLink};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// How each kind of record is tied to a person, as a SQL condition on `?1` (the person id),
/// derived from the protocol's one table of person links.
fn person_scope(kind: EntityKind) -> Option<String> {
    match kind.person_link() {
        PersonLink::Own => Some("id = ?1".into()),
        PersonLink::Via {
            parent: EntityKind::Person,
            field,
            ..
        } => Some(format!("{field} = ?1")),
        PersonLink::Via { parent, field, .. } => Some(format!(
            "{field} IN (SELECT id FROM {} WHERE person_id = ?1)",
            linkwell_protocol::registry::table(parent).name
        )),
        PersonLink::None => None,
    }
}

impl Store {
    /// Everything held about one person, including who changed what and when.
    /// Records the export in the audit trail first, so the export shows it too.
    /// Who looked at the record is in it only when a supervisor (or admin) exports: the audit
    /// trail is theirs to see.
    pub fn export_person(&mut self, person_id: Uuid) -> Result<Value> {
        self.person(person_id)?;
        self.record_audit(person_id, crate::records::audit::AuditAction::ExportedData)?;
        let with_audit = self.can_see_audit_trail().unwrap_or(false);
        let id = person_id.to_string();
        let mut records = Map::new();
        let mut ids = Vec::new();
        for kind in EntityKind::ALL {
            let Some(scope) = person_scope(kind) else {
                continue;
            };
            if kind == EntityKind::AuditEvent && !with_audit {
                continue;
            }
            let rows = load_where(self.conn(), kind, &scope, &id, "rowid")?;
            ids.extend(
                rows.iter()
                    .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_string)),
            );
            records.insert(
                kind.as_str().to_string(),
                Value::Array(rows.into_iter().map(Value::Object).collect()),
            );
        }
        // The services this person was referred to, so the export reads on its own.
        let services = load_where(
            self.conn(),
            EntityKind::Service,
            "id IN (SELECT service_id FROM onward_referral WHERE person_id = ?1)",
            &id,
            "name",
        )?;
        records.insert(
            "service".into(),
            Value::Array(services.into_iter().map(Value::Object).collect()),
        );
        let history = self.change_history(&ids)?;
        Ok(json!({
            "export": "subject_access_request",
            "generated_at": chrono::Local::now().naive_local().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "person_id": person_id,
            "records": records,
            "change_history": history,
            "audit_trail": if with_audit {
                "included"
            } else {
                "left out: only a supervisor's export includes who looked at the record"
            },
        }))
    }

    /// Every record in the database, by kind.
    pub fn export_all(&self) -> Result<Value> {
        let mut records = Map::new();
        for kind in EntityKind::ALL {
            let rows = load_where(self.conn(), kind, "?1 = ?1", "", "rowid")?;
            records.insert(
                kind.as_str().to_string(),
                Value::Array(rows.into_iter().map(Value::Object).collect()),
            );
        }
        Ok(json!({ "export": "all", "records": records }))
    }

    fn change_history(&self, ids: &[String]) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut stmt = self.conn().prepare_cached(
            "SELECT seq, hlc, entity, entity_id, op, payload, worker_id, device_id FROM change_log WHERE entity_id = ?1 ORDER BY seq",
        )?;
        for id in ids {
            let rows = stmt.query_map([id], |r| {
                Ok(json!({
                    "seq": r.get::<_, i64>(0)?,
                    "hlc": r.get::<_, String>(1)?,
                    "entity": r.get::<_, String>(2)?,
                    "entity_id": r.get::<_, String>(3)?,
                    "op": r.get::<_, String>(4)?,
                    "payload": serde_json::from_str::<Value>(&r.get::<_, String>(5)?).unwrap_or(Value::Null),
                    "worker_id": r.get::<_, String>(6)?,
                    "device_id": r.get::<_, String>(7)?,
                }))
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        out.sort_by_key(|v| v["seq"].as_i64());
        Ok(out)
    }
}
